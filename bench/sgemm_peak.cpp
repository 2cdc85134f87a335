// The machine's practical float32 peak: OpenBLAS sgemm on 1024³, repeated; prints one JSON line
// with the best and median GFLOP/s. bench/run.sh divides each implementation's achieved
// FLOP rate by this to report "% of peak".
//
//   sgemm_peak [--threads K=2] [--n N=1024] [--reps R=20]
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/backend.hpp"

extern "C" void openblas_set_num_threads(int);

int main(int argc, char** argv) {
  int threads = 2, n = 1024, reps = 20;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    int* target = flag == "--threads" ? &threads : flag == "--n" ? &n : flag == "--reps" ? &reps : nullptr;
    if (!target || i + 1 >= argc) {
      std::fprintf(stderr, "sgemm_peak: unknown flag or missing value '%s'\nusage: sgemm_peak [--threads K] [--n N] [--reps R]\n",
                   flag.c_str());
      return 2;
    }
    *target = std::atoi(argv[++i]);
    if (*target <= 0) {
      std::fprintf(stderr, "sgemm_peak: %s must be a positive integer, got '%s'\n", flag.c_str(), argv[i]);
      return 2;
    }
  }
  xg::set_num_threads(threads);  // also runs xgrad's OpenBLAS kernel selection
  // The machine's peak is OpenBLAS's own multi-threaded sgemm (xgrad keeps OpenBLAS at 1 thread
  // and splits products itself, so set OpenBLAS's count directly here).
  openblas_set_num_threads(threads);
  const std::size_t nn = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  std::vector<float> a(nn), b(nn), c(nn);
  for (std::size_t i = 0; i < nn; ++i) {
    a[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
    b[i] = static_cast<float>((i * 104729) % 1000) / 1000.0f - 0.5f;
  }
  auto gemm = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  };
  gemm();  // warm-up: page in, spin up the BLAS threads
  std::vector<double> gflops;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    gemm();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    gflops.push_back(2.0 * n * static_cast<double>(n) * n / s / 1e9);
  }
  std::sort(gflops.begin(), gflops.end());
  std::printf("{\"n\":%d,\"threads\":%d,\"best_gflops\":%.2f,\"median_gflops\":%.2f,\"blas_kernel\":\"%s\"}\n", n, threads,
              gflops.back(), gflops[gflops.size() / 2], xg::backend_info().kernel.c_str());
  return 0;
}
