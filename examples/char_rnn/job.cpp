#include "job.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#ifdef XGRAD_CHAR_RNN_MPI
#include "distributed/collectives.hpp"
#include "distributed/data_parallel.hpp"
#include "distributed/process_group.hpp"
#endif

namespace char_rnn {
namespace {
#ifdef XGRAD_CHAR_RNN_MPI
// Set in every process that Open MPI's mpirun, an MPICH/Hydra launcher or a PMIx launcher (Slurm's
// srun --mpi=pmix) starts. A plain `char_rnn train` is a job of one and never initialises MPI
// (MPI's singleton mode would start a daemon for nothing).
bool launched_by_mpi() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(var)) return true;
  return false;
}
#endif
}  // namespace

#ifdef XGRAD_CHAR_RNN_MPI
struct Job::Replication {
  std::unique_ptr<xg::nn::parallel::DistributedDataParallel> ddp;
};
#else
struct Job::Replication {};
#endif

Job::Job() {
#ifdef XGRAD_CHAR_RNN_MPI
  if (launched_by_mpi()) {
    xg::distributed::init();
    rank_ = xg::distributed::rank();
    size_ = xg::distributed::world_size();
  }
#endif
}

Job::~Job() = default;

std::vector<double> Job::sum(std::vector<double> values) const {
#ifdef XGRAD_CHAR_RNN_MPI
  if (size_ > 1 && !values.empty()) {
    xg::Tensor t = xg::from_vector(values, {static_cast<std::int64_t>(values.size())}, xg::kFloat64);
    xg::distributed::all_reduce(t, xg::distributed::ReduceOp::SUM);
    values = t.to_vector();
  }
#endif
  return values;
}

bool Job::any(bool value) const { return size_ == 1 ? value : sum({value ? 1.0 : 0.0})[0] > 0; }

xg::Tensor Job::gather(const xg::Tensor& t, std::int64_t dim) const {
  if (size_ == 1 || !t.defined()) return t;
#ifdef XGRAD_CHAR_RNN_MPI
  std::vector<xg::Tensor> parts;
  for (int r = 0; r < size_; ++r) parts.push_back(xg::empty(t.shape(), t.dtype()));
  xg::distributed::all_gather(parts, t.detach());
  return xg::cat(parts, dim);
#else
  (void)dim;
  return t;
#endif
}

xg::Tensor Job::shard(const xg::Tensor& t, std::int64_t dim) const {
  if (size_ == 1 || !t.defined()) return t;
  const std::int64_t n = t.size(dim);
  if (n % size_ != 0)
    throw std::runtime_error("cannot split a carried state of " + std::to_string(n) + " streams over " +
                             std::to_string(size_) + " processes");
  return xg::narrow(t, dim, rank_ * (n / size_), n / size_).clone();
}

std::vector<std::string> Job::gather(const std::string& s) const {
  if (size_ == 1) return {s};
  std::vector<std::string> all;
#ifdef XGRAD_CHAR_RNN_MPI
  // Strings travel as int64 tensors of their bytes, padded to the longest one.
  const std::vector<double> lengths = [&] {
    std::vector<double> mine(static_cast<std::size_t>(size_), 0.0);
    mine[static_cast<std::size_t>(rank_)] = static_cast<double>(s.size());
    return sum(mine);
  }();
  const auto longest = static_cast<std::int64_t>(*std::max_element(lengths.begin(), lengths.end()));
  std::vector<std::int64_t> bytes(static_cast<std::size_t>(longest), 0);
  std::copy(s.begin(), s.end(), bytes.begin());
  std::vector<xg::Tensor> parts;
  for (int r = 0; r < size_; ++r) parts.push_back(xg::empty({longest}, xg::kInt64));
  xg::distributed::all_gather(parts, xg::from_vector(bytes, {longest}));
  for (int r = 0; r < size_; ++r) {
    const std::int64_t* p = parts[static_cast<std::size_t>(r)].data<std::int64_t>();
    all.emplace_back(p, p + static_cast<std::int64_t>(lengths[static_cast<std::size_t>(r)]));
  }
#endif
  return all;
}

void Job::replicate(const std::shared_ptr<xg::nn::Module>& model) {
#ifdef XGRAD_CHAR_RNN_MPI
  if (size_ > 1) {
    replication_ = std::make_unique<Replication>();
    replication_->ddp = std::make_unique<xg::nn::parallel::DistributedDataParallel>(model);
  }
#else
  (void)model;
#endif
}

double Job::allreduce_wait_seconds() const {
#ifdef XGRAD_CHAR_RNN_MPI
  if (replication_) return replication_->ddp->last_stats().seconds_waiting_at_end;
#endif
  return 0;
}

void Job::abort(const std::string& message, int exit_code) const {
#ifdef XGRAD_CHAR_RNN_MPI
  if (size_ > 1) xg::distributed::abort(message, exit_code);
#endif
  std::cerr << message << std::endl;
  std::exit(exit_code);
}

}  // namespace char_rnn
