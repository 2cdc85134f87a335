#pragma once
#include <cstdint>
#include <string>

namespace xg {

/// What does the number crunching. Examples and benchmarks print backend_summary().
struct BackendInfo {
  std::string blas;           // "OpenBLAS 0.3.21 ..." (its config string)
  std::string kernel;         // the OpenBLAS core in use, e.g. "Haswell", "SkylakeX", "Zen"
  std::string kernel_source;  // who chose it: OpenBLAS's detection, xgrad, or OPENBLAS_CORETYPE
  int threads = 1;            // intra-op threads (get_num_threads)
  std::string simd;           // the instruction set xgrad's own kernels were compiled for
};

BackendInfo backend_info();
/// One line: "OpenBLAS 0.3.21, kernel Haswell (chosen by xgrad: ...), 2 threads, simd avx2+fma".
std::string backend_summary();

/// Threads for matrix products, large elementwise kernels, reductions over rows and the optimizers
/// (like torch.set_num_threads), any count from 1 up; oneTBB runs them. Results are bitwise the
/// same for every thread count: work is cut into blocks by shape, never by thread count
/// (autograd/detail/parallel.hpp).
void set_num_threads(int threads);
/// The thread count in use. Default: OPENBLAS_NUM_THREADS or OMP_NUM_THREADS when set, otherwise
/// the CPUs this process may use — its affinity mask (taskset, cpusets) capped by its cgroup's CPU
/// quota (docker --cpus, Kubernetes limits), not the machine's core count.
int get_num_threads();


}  // namespace xg
