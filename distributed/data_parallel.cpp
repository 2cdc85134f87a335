#include "distributed/data_parallel.hpp"

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "distributed/collectives.hpp"
#include "distributed/detail/mpi_context.hpp"
#include "distributed/process_group.hpp"

namespace xg::nn::parallel {
using distributed::detail::check_mpi;
using distributed::detail::mpi_mutex;
using distributed::detail::mpi_type;

namespace {
constexpr const char* kName = "DistributedDataParallel";

struct Bucket {
  Dtype dtype;
  std::vector<std::size_t> params;     // indices into the parameter list
  std::vector<std::int64_t> offsets;   // element offset of each parameter in `flat`
  Tensor flat;                         // the bucket's gradients, back to back
  std::size_t pending = 0;             // gradients still to arrive in this backward pass
  MPI_Request request = MPI_REQUEST_NULL;
};
}  // namespace

// Everything the engine's callbacks touch; held by shared_ptr so that a callback that outlives
// the DistributedDataParallel (a graph kept with retain_graph) finds it gone, not dangling.
struct DistributedDataParallel::Reducer {
  std::vector<Tensor> params;
  std::vector<Bucket> buckets;
  std::vector<std::size_t> bucket_of;   // parameter index -> bucket
  std::vector<char> ready;              // parameter got its gradient in this pass
  std::vector<std::vector<std::size_t>> bucket_params;
  std::size_t next_to_start = 0;
  bool in_pass = false;
  bool sync = true;
  bool find_unused = false;
  int world = 1;
  Stats stats;
  Stats pass_stats;
  std::vector<unsigned> hook_handles;
  std::weak_ptr<Reducer> weak_self;

  void on_grad_ready(std::size_t i);
  void start_ready_buckets();
  void start(Bucket& b);
  void finish_pass();
  void reset_pass();
};

void DistributedDataParallel::Reducer::reset_pass() {
  for (Bucket& b : buckets) {
    b.pending = b.params.size();
    b.request = MPI_REQUEST_NULL;
  }
  std::fill(ready.begin(), ready.end(), 0);
  next_to_start = 0;
  pass_stats = Stats{};
}

// Engine callback: parameter i's .grad is final for this backward pass.
void DistributedDataParallel::Reducer::on_grad_ready(std::size_t i) {
  if (!sync) return;  // inside no_sync(): accumulate locally only
  if (!in_pass) {
    in_pass = true;
    reset_pass();
    // Runs once the whole backward pass is over: wait for the buckets, check every parameter came.
    autograd::queue_callback([weak = weak_self]() {
      if (auto self = weak.lock()) self->finish_pass();
    });
  }
  if (ready[i])
    throw std::logic_error(std::string(kName) + ": parameter " + std::to_string(i) +
                           " received its gradient twice in one backward pass");
  ready[i] = 1;
  Bucket& b = buckets[bucket_of[i]];
  if (--b.pending == 0) start_ready_buckets();
  // Let MPI progress the buckets already in flight (Open MPI moves non-blocking collectives only
  // inside MPI calls).
  std::lock_guard<std::mutex> lock(mpi_mutex());
  for (std::size_t k = 0; k < next_to_start; ++k) {
    int done = 0;
    if (buckets[k].request != MPI_REQUEST_NULL) MPI_Test(&buckets[k].request, &done, MPI_STATUS_IGNORE);
  }
}

// Buckets start strictly in order (every rank must issue its collectives in the same order).
void DistributedDataParallel::Reducer::start_ready_buckets() {
  while (next_to_start < buckets.size() && buckets[next_to_start].pending == 0) {
    start(buckets[next_to_start]);
    ++next_to_start;
    ++pass_stats.buckets_started_during_backward;
  }
}

void DistributedDataParallel::Reducer::start(Bucket& b) {
  const std::size_t elem = element_size(b.dtype);
  char* flat = static_cast<char*>(b.flat.raw_data());
  for (std::size_t k = 0; k < b.params.size(); ++k) {
    const Tensor& p = params[b.params[k]];
    const Tensor g = p.grad();
    const std::size_t bytes = static_cast<std::size_t>(p.numel()) * elem;
    if (g.defined()) std::memcpy(flat + static_cast<std::size_t>(b.offsets[k]) * elem, g.raw_data(), bytes);
    else std::memset(flat + static_cast<std::size_t>(b.offsets[k]) * elem, 0, bytes);  // unused: contributes 0
  }
  std::lock_guard<std::mutex> lock(mpi_mutex());
  check_mpi(MPI_Iallreduce(MPI_IN_PLACE, b.flat.raw_data(), static_cast<int>(b.flat.numel()), mpi_type(b.dtype),
                           MPI_SUM, MPI_COMM_WORLD, &b.request),
            kName);
}

void DistributedDataParallel::Reducer::finish_pass() {
  in_pass = false;
  std::string missing;
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!ready[i]) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
  if (!missing.empty()) {
    if (!find_unused) {
      // The buckets this rank did start were started by every rank: finish them so the job stays
      // in step, then report. (A rank whose peers used other parameters cannot recover: uncaught,
      // the error ends the whole job via distributed::init's terminate handler.)
      {
        std::lock_guard<std::mutex> lock(mpi_mutex());
        for (Bucket& b : buckets) MPI_Wait(&b.request, MPI_STATUS_IGNORE);
      }
      throw std::runtime_error(
          std::string(kName) + " (rank " + std::to_string(distributed::rank()) +
          "): parameters that were not used in producing the loss got no gradient, so this rank cannot finish the "
          "gradient reduction the other ranks are waiting for. Pass find_unused_parameters(true) to "
          "DistributedDataParallelOptions if some parameters are legitimately unused, or make sure every "
          "parameter's output takes part in the loss. Parameter indices that received no gradient: " +
          missing);
    }
    // Unused parameters contribute zeros; start whatever they held back, in order.
    for (Bucket& b : buckets) b.pending = 0;
    const std::int64_t before = pass_stats.buckets_started_during_backward;
    start_ready_buckets();
    pass_stats.buckets_started_during_backward = before;
  }
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mpi_mutex());
    for (Bucket& b : buckets) check_mpi(MPI_Wait(&b.request, MPI_STATUS_IGNORE), kName);
  }
  pass_stats.seconds_waiting_at_end = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Average, and copy back into each parameter's .grad (creating it for unused parameters, as
  // PyTorch's DDP does with find_unused_parameters).
  NoGradGuard no_grad;
  for (Bucket& b : buckets) {
    xg::detail::dispatch_floating(kName, b.dtype, [&](auto tag) {
      using T = decltype(tag);
      T* flat = b.flat.data<T>();
      const T n = static_cast<T>(world);
      for (std::int64_t e = 0; e < b.flat.numel(); ++e) flat[e] /= n;
      for (std::size_t k = 0; k < b.params.size(); ++k) {
        Tensor& p = params[b.params[k]];
        Tensor g = p.grad();
        if (!g.defined()) {
          g = empty(p.shape(), p.dtype());
          p.set_grad(g);
        }
        std::memcpy(g.raw_data(), flat + b.offsets[k], static_cast<std::size_t>(p.numel()) * sizeof(T));
      }
    });
  }
  stats = pass_stats;
}

DistributedDataParallel::DistributedDataParallel(std::shared_ptr<Module> module, DistributedDataParallelOptions options)
    : module_(std::move(module)), reducer_(std::make_shared<Reducer>()) {
  if (!module_) throw std::invalid_argument(std::string(kName) + ": module is null");
  if (!(options.bucket_cap_mb() > 0))
    throw std::invalid_argument(std::string(kName) + ": bucket_cap_mb must be > 0, got " +
                                std::to_string(options.bucket_cap_mb()));
  if (!distributed::is_initialized())
    throw std::logic_error(std::string(kName) + ": call xg::distributed::init() first");
  Reducer& r = *reducer_;
  r.params = module_->parameters();
  r.find_unused = options.find_unused_parameters();
  r.world = distributed::world_size();
  {
    // Every replica starts from rank 0's values (the broadcast also checks, rank by rank, that the
    // replicas have the same parameter shapes and dtypes).
    NoGradGuard no_grad;
    for (Tensor& p : r.params) distributed::broadcast(p, 0);
    if (options.broadcast_buffers())
      for (auto& [name, b] : module_->named_buffers()) distributed::broadcast(b, 0);
  }
  // Buckets: parameters in reverse registration order (roughly the order backward produces their
  // gradients), a new bucket when the dtype changes or the cap is reached.
  const double cap_bytes = options.bucket_cap_mb() * 1024.0 * 1024.0;
  r.bucket_of.assign(r.params.size(), 0);
  r.ready.assign(r.params.size(), 0);
  double bytes_in_bucket = 0;
  for (std::size_t k = r.params.size(); k-- > 0;) {
    const Tensor& p = r.params[k];
    const double bytes = static_cast<double>(p.numel()) * static_cast<double>(element_size(p.dtype()));
    if (r.buckets.empty() || r.buckets.back().dtype != p.dtype() ||
        (bytes_in_bucket > 0 && bytes_in_bucket + bytes > cap_bytes)) {
      r.buckets.push_back(Bucket{p.dtype(), {}, {}, Tensor(), 0, MPI_REQUEST_NULL});
      bytes_in_bucket = 0;
    }
    Bucket& b = r.buckets.back();
    b.offsets.push_back(b.params.empty() ? 0 : b.offsets.back() + r.params[b.params.back()].numel());
    b.params.push_back(k);
    r.bucket_of[k] = r.buckets.size() - 1;
    bytes_in_bucket += bytes;
  }
  for (Bucket& b : r.buckets) {
    b.flat = empty({b.offsets.back() + r.params[b.params.back()].numel()}, b.dtype);
    r.bucket_params.push_back(b.params);
  }
  r.weak_self = reducer_;
  std::weak_ptr<Reducer> weak = reducer_;
  for (std::size_t i = 0; i < r.params.size(); ++i)
    r.hook_handles.push_back(r.params[i].register_post_accumulate_grad_hook([weak, i](const Tensor&) {
      if (auto self = weak.lock()) self->on_grad_ready(i);
    }));
}

DistributedDataParallel::~DistributedDataParallel() {
  for (std::size_t i = 0; i < reducer_->params.size(); ++i)
    reducer_->params[i].remove_hook(reducer_->hook_handles[i]);
}

const std::vector<std::vector<std::size_t>>& DistributedDataParallel::bucket_parameters() const {
  return reducer_->bucket_params;
}

DistributedDataParallel::Stats DistributedDataParallel::last_stats() const { return reducer_->stats; }

DistributedDataParallel::NoSyncGuard::NoSyncGuard(DistributedDataParallel& ddp) : ddp_(ddp), previous_(ddp.reducer_->sync) {
  ddp_.reducer_->sync = false;
}
DistributedDataParallel::NoSyncGuard::~NoSyncGuard() { ddp_.reducer_->sync = previous_; }

}  // namespace xg::nn::parallel
