#include "autograd/backend.hpp"

#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "autograd/detail/cpu_quota.hpp"
#include "autograd/detail/runtime.hpp"

extern "C" {
char* openblas_get_config(void);
char* openblas_get_corename(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);
}

namespace xg {
namespace {

std::string kernel_source = "detected by OpenBLAS";
int configured_threads = 1;  // threads xgrad may use (set_num_threads; default: see ensure_runtime_initialized)

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The kernel this CPU deserves, or "" when we have nothing better than OpenBLAS's choice.
std::string preferred_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return "";
}

bool good_enough(const std::string& current, const std::string& preferred) {
  const std::string c = lower(current);
  const bool avx512_kernel = c == "skylakex" || c == "cooperlake" || c == "sapphirerapids";
  const bool avx2_kernel = c == "haswell" || c == "zen";
  if (preferred == "SkylakeX") return avx512_kernel;
  return avx512_kernel || avx2_kernel;
}

// Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its kernel once, when the library loads, and does
// not know recent CPUs: it then silently runs the generic "Prescott" kernels, ~5x slower. Its
// dispatch can be redone in-process: clear the `gotoblas` table pointer, set OPENBLAS_CORETYPE and
// call gotoblas_dynamic_init() again. Looked up with dlsym so a BLAS without them still works.
void select_blas_kernel() {
  const char* user = std::getenv("OPENBLAS_CORETYPE");
  if (user && *user) {
    kernel_source = "set by OPENBLAS_CORETYPE";
    return;
  }
  const std::string preferred = preferred_kernel();
  if (preferred.empty() || good_enough(openblas_get_corename(), preferred)) return;
  auto** table = static_cast<void**>(dlsym(RTLD_DEFAULT, "gotoblas"));
  auto* reinit = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
  if (!table || !reinit) return;
  const std::string previous = openblas_get_corename();
  setenv("OPENBLAS_CORETYPE", preferred.c_str(), 0);
  *table = nullptr;
  reinit();
  unsetenv("OPENBLAS_CORETYPE");
  kernel_source = "chosen by xgrad (OpenBLAS had picked " + previous + ")";
}

}  // namespace

void ensure_runtime_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    // glibc maps every buffer above 128 KiB (dynamically adjusted) with mmap and unmaps it on free,
    // so a training step would page-fault its activations in anew each time. Keep them on the heap.
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
    select_blas_kernel();
    // The user's OPENBLAS_NUM_THREADS / OMP_NUM_THREADS if set (OpenBLAS has read them), else the
    // CPUs this process may use: its affinity mask and cgroup quota, not the machine's core count
    // (a container limited to one CPU must not get two threads that take turns on it).
    configured_threads = std::getenv("OPENBLAS_NUM_THREADS") || std::getenv("OMP_NUM_THREADS")
                             ? openblas_get_num_threads()
                             : detail::available_cpus();
    // OpenBLAS itself always runs single-threaded: xgrad cuts large products into blocks by shape
    // and its oneTBB threads run those (blas.cpp), so results never depend on the thread count
    // and OpenBLAS's own pool never competes with oneTBB's for the cores.
    openblas_set_num_threads(1);
  });
}

// Runs at load time for programs that link this object; Storage also calls it, as static
// initialisation order across translation units is unspecified.
static const bool runtime_ready = (ensure_runtime_initialized(), true);

BackendInfo backend_info() {
  ensure_runtime_initialized();
  BackendInfo info;
  std::string config = openblas_get_config();
  info.blas = config;
  info.kernel = openblas_get_corename();
  info.kernel_source = kernel_source;
  info.threads = configured_threads;
#if defined(__AVX512F__)
  info.simd = "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  info.simd = "avx2+fma";
#elif defined(__AVX__)
  info.simd = "avx";
#else
  info.simd = "sse2";
#endif
  return info;
}

std::string backend_summary() {
  const BackendInfo info = backend_info();
  std::string blas = info.blas.substr(0, info.blas.find(" NO_") == std::string::npos ? info.blas.size()
                                                                                     : info.blas.find(" NO_"));
  return blas + ", kernel " + info.kernel + " (" + info.kernel_source + "), " + std::to_string(info.threads) +
         " thread" + (info.threads == 1 ? "" : "s") + ", simd " + info.simd;
}

void set_num_threads(int threads) {
  if (threads < 1) throw std::invalid_argument("set_num_threads: expected at least 1 thread, got " + std::to_string(threads));
  ensure_runtime_initialized();
  configured_threads = threads;
}

int get_num_threads() {
  ensure_runtime_initialized();
  return configured_threads;
}


}  // namespace xg
