#include "distributed/collectives.hpp"

#include <climits>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/detail/in_place.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "distributed/detail/mpi_context.hpp"
#include "distributed/process_group.hpp"

namespace xg::distributed {
using detail::check_mpi;
using detail::mpi_mutex;
using detail::mpi_type;
using detail::require_initialized;

namespace {

// What every rank must agree on: dtype, rank, element count and the first dims.
constexpr int kSignatureDims = 7;
constexpr int kSignatureSize = 3 + kSignatureDims;

std::string describe(const std::int64_t* sig) {
  std::string s = dtype_name(static_cast<Dtype>(sig[0]));
  s += " [";
  const std::int64_t ndim = sig[1];
  for (std::int64_t d = 0; d < ndim; ++d) {
    if (d) s += ", ";
    s += d < kSignatureDims ? std::to_string(sig[3 + d]) : std::string("…");
  }
  return s + "]";
}

// Gathers every rank's signature of `t` and throws the same error on every rank when they differ,
// so no rank enters the collective alone and waits forever. Caller holds the MPI lock.
void check_same_signature(const char* op, const Tensor& t) {
  std::int64_t mine[kSignatureSize] = {static_cast<std::int64_t>(t.dtype()), t.dim(), t.numel()};
  for (int d = 0; d < kSignatureDims && d < t.dim(); ++d) mine[3 + d] = t.shape()[static_cast<std::size_t>(d)];
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  std::vector<std::int64_t> all(static_cast<std::size_t>(n) * kSignatureSize);
  check_mpi(MPI_Allgather(mine, kSignatureSize, MPI_INT64_T, all.data(), kSignatureSize, MPI_INT64_T, MPI_COMM_WORLD),
            op);
  std::string differing;
  for (int r = 1; r < n; ++r)
    if (std::memcmp(&all[static_cast<std::size_t>(r) * kSignatureSize], all.data(), sizeof mine) != 0)
      differing += ", rank " + std::to_string(r) + " has " + describe(&all[static_cast<std::size_t>(r) * kSignatureSize]);
  if (!differing.empty())
    throw std::invalid_argument(std::string(op) + ": every rank must pass a tensor of the same dtype and shape, but rank 0 has " +
                                describe(all.data()) + differing);
}

int element_count(const char* op, const Tensor& t) {
  if (t.numel() > INT_MAX)
    throw std::invalid_argument(std::string(op) + ": tensors of more than " + std::to_string(INT_MAX) +
                                " elements are not supported (got " + shape_str(t.shape()) + ")");
  return static_cast<int>(t.numel());
}

void check_tensor(const char* op, const Tensor& t, bool written) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": got an undefined tensor");
  if (written) xg::detail::check_writable(op, t);
}

// MAX that propagates NaN, as xg::max does (MPI_MAX's comparison would drop it on some ranks).
template <typename T>
void nan_max(void* in, void* inout, int* len, MPI_Datatype*) {
  const T* a = static_cast<const T*>(in);
  T* b = static_cast<T*>(inout);
  for (int i = 0; i < *len; ++i)
    if (!(b[i] >= a[i]) && !std::isnan(b[i])) b[i] = a[i];
}

MPI_Op mpi_op(const char* op, ReduceOp reduce, Dtype dtype) {
  if (reduce == ReduceOp::AVG && !is_floating(dtype))
    throw std::invalid_argument(std::string(op) + ": ReduceOp::AVG needs a floating tensor, got " + dtype_name(dtype));
  if (reduce != ReduceOp::MAX) return MPI_SUM;
  if (dtype == kInt64) return MPI_MAX;
  static MPI_Op float_max = MPI_OP_NULL, double_max = MPI_OP_NULL;  // created once, under the MPI lock
  MPI_Op& slot = dtype == kFloat32 ? float_max : double_max;
  if (slot == MPI_OP_NULL)
    check_mpi(MPI_Op_create(dtype == kFloat32 ? &nan_max<float> : &nan_max<double>, 1, &slot), op);
  return slot;
}

void divide_by_world(Tensor& t, int n) {
  xg::detail::dispatch_floating("all_reduce", t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] /= static_cast<T>(n);
  });
}

}  // namespace

void all_reduce(Tensor& tensor, ReduceOp op) {
  const char* name = "distributed.all_reduce";
  require_initialized(name);
  check_tensor(name, tensor, true);
  const int count = element_count(name, tensor);
  std::lock_guard<std::mutex> lock(mpi_mutex());
  check_same_signature(name, tensor);
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, tensor.raw_data(), count, mpi_type(tensor.dtype()),
                          mpi_op(name, op, tensor.dtype()), MPI_COMM_WORLD),
            name);
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  if (op == ReduceOp::AVG) divide_by_world(tensor, n);
}

void broadcast(Tensor& tensor, int src) {
  const char* name = "distributed.broadcast";
  require_initialized(name);
  check_tensor(name, tensor, true);
  const int count = element_count(name, tensor);
  std::lock_guard<std::mutex> lock(mpi_mutex());
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  if (src < 0 || src >= n)
    throw std::invalid_argument(std::string(name) + ": src " + std::to_string(src) + " is not a rank of a job of " +
                                std::to_string(n));
  check_same_signature(name, tensor);
  check_mpi(MPI_Bcast(tensor.raw_data(), count, mpi_type(tensor.dtype()), src, MPI_COMM_WORLD), name);
}

void all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor) {
  const char* name = "distributed.all_gather";
  require_initialized(name);
  check_tensor(name, tensor, false);
  const int count = element_count(name, tensor);
  const int n = world_size();
  if (static_cast<int>(tensor_list.size()) != n)
    throw std::invalid_argument(std::string(name) + ": tensor_list has " + std::to_string(tensor_list.size()) +
                                " tensors; it needs world_size() = " + std::to_string(n));
  for (Tensor& out : tensor_list) {
    check_tensor(name, out, true);
    if (out.shape() != tensor.shape() || out.dtype() != tensor.dtype())
      throw std::invalid_argument(std::string(name) + ": tensor_list holds " + dtype_name(out.dtype()) + " " +
                                  shape_str(out.shape()) + " but the tensor is " + dtype_name(tensor.dtype()) + " " +
                                  shape_str(tensor.shape()));
  }
  Tensor gathered = empty({static_cast<std::int64_t>(n) * tensor.numel()}, tensor.dtype());
  {
    std::lock_guard<std::mutex> lock(mpi_mutex());
    check_same_signature(name, tensor);
    check_mpi(MPI_Allgather(tensor.raw_data(), count, mpi_type(tensor.dtype()), gathered.raw_data(), count,
                            mpi_type(tensor.dtype()), MPI_COMM_WORLD),
              name);
  }
  const std::size_t bytes = static_cast<std::size_t>(tensor.numel()) * element_size(tensor.dtype());
  for (int r = 0; r < n; ++r)
    if (bytes) std::memcpy(tensor_list[static_cast<std::size_t>(r)].raw_data(),
                           static_cast<const char*>(gathered.raw_data()) + static_cast<std::size_t>(r) * bytes, bytes);
}

void reduce_scatter(Tensor& output, const std::vector<Tensor>& input_list, ReduceOp op) {
  const char* name = "distributed.reduce_scatter";
  require_initialized(name);
  check_tensor(name, output, true);
  const int count = element_count(name, output);
  const int n = world_size();
  if (static_cast<int>(input_list.size()) != n)
    throw std::invalid_argument(std::string(name) + ": input_list has " + std::to_string(input_list.size()) +
                                " tensors; it needs world_size() = " + std::to_string(n));
  const std::size_t bytes = static_cast<std::size_t>(output.numel()) * element_size(output.dtype());
  Tensor packed = empty({static_cast<std::int64_t>(n) * output.numel()}, output.dtype());
  for (int r = 0; r < n; ++r) {
    const Tensor& in = input_list[static_cast<std::size_t>(r)];
    check_tensor(name, in, false);
    if (in.shape() != output.shape() || in.dtype() != output.dtype())
      throw std::invalid_argument(std::string(name) + ": input_list[" + std::to_string(r) + "] is " +
                                  dtype_name(in.dtype()) + " " + shape_str(in.shape()) + " but the output is " +
                                  dtype_name(output.dtype()) + " " + shape_str(output.shape()));
    if (bytes) std::memcpy(static_cast<char*>(packed.raw_data()) + static_cast<std::size_t>(r) * bytes, in.raw_data(), bytes);
  }
  {
    std::lock_guard<std::mutex> lock(mpi_mutex());
    check_same_signature(name, output);
    check_mpi(MPI_Reduce_scatter_block(packed.raw_data(), output.raw_data(), count, mpi_type(output.dtype()),
                                       mpi_op(name, op, output.dtype()), MPI_COMM_WORLD),
              name);
  }
  if (op == ReduceOp::AVG) divide_by_world(output, n);
}

}  // namespace xg::distributed
