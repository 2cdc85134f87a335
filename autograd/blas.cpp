#include "autograd/blas.hpp"

#include <cblas.h>

#include <algorithm>

#include "autograd/backend.hpp"

namespace xg::detail {
namespace {

// Degenerate sizes are handled here: BLAS rejects a leading dimension of 0 even when a size is
// 0, and some builds misbehave on empty products.
template <typename T>
bool handle_degenerate(std::int64_t m, std::int64_t n, std::int64_t k, T beta, T* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return true;
  if (k != 0) return false;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
  return true;
}

blasint ld(std::int64_t v) { return static_cast<blasint>(std::max<std::int64_t>(1, v)); }
CBLAS_TRANSPOSE flag(bool transposed) { return transposed ? CblasTrans : CblasNoTrans; }

}  // namespace

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (handle_degenerate(m, n, k, beta, c, ldc)) return;
  prepare_blas_call(m, n, k);
  cblas_sgemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
}

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const double* a,
          std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
  if (handle_degenerate(m, n, k, beta, c, ldc)) return;
  prepare_blas_call(m, n, k);
  cblas_dgemm(CblasRowMajor, flag(trans_a), flag(trans_b), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
}

}  // namespace xg::detail
