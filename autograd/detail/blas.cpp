#include "autograd/detail/blas.hpp"

#include <cblas.h>

#include <algorithm>

#include "autograd/detail/parallel.hpp"

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

void call_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda,
               const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0f, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
}
void call_blas(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const double* a, std::int64_t lda,
               const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
  cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), 1.0, a, ld(lda), b, ld(ldb), beta, c, ld(ldc));
}

void call_gemv(bool trans, std::int64_t rows, std::int64_t cols, const float* a, std::int64_t lda, const float* x,
               std::int64_t incx, float* y, std::int64_t incy) {
  cblas_sgemv(CblasRowMajor, flag(trans), static_cast<blasint>(rows), static_cast<blasint>(cols), 1.0f, a, ld(lda), x,
              static_cast<blasint>(incx), 1.0f, y, static_cast<blasint>(incy));
}
void call_gemv(bool trans, std::int64_t rows, std::int64_t cols, const double* a, std::int64_t lda, const double* x,
               std::int64_t incx, double* y, std::int64_t incy) {
  cblas_dgemv(CblasRowMajor, flag(trans), static_cast<blasint>(rows), static_cast<blasint>(cols), 1.0, a, ld(lda), x,
              static_cast<blasint>(incx), 1.0, y, static_cast<blasint>(incy));
}

// y += op(M)·x, M row-major rows×cols. Products of at least kSplitGemvMacs are cut in two along
// the output (at a multiple of 16) and the halves run on two threads: at batch 1 a recurrent
// step is bound by reading the weight matrix, and two cores each keeping half of it in their own
// L2 cache read it about twice as fast. As for gemm, the cut depends on the shape alone.
constexpr double kSplitGemvMacs = 1 << 17;

template <typename T>
void split_gemv(bool trans, std::int64_t rows, std::int64_t cols, const T* mat, std::int64_t ld, const T* x,
                std::int64_t incx, T* y, std::int64_t incy) {
  const std::int64_t out = trans ? cols : rows;
  if (static_cast<double>(rows) * static_cast<double>(cols) < kSplitGemvMacs || out < 64) {
    call_gemv(trans, rows, cols, mat, ld, x, incx, y, incy);
    return;
  }
  const std::int64_t cut = (out / 2 + 15) / 16 * 16;
  run_two_halves([&](int half) {
    const std::int64_t begin = half == 0 ? 0 : cut, end = half == 0 ? cut : out;
    if (trans)
      call_gemv(true, rows, end - begin, mat + begin, ld, x, incx, y + begin * incy, incy);
    else
      call_gemv(false, end - begin, cols, mat + begin * ld, ld, x, incx, y + begin * incy, incy);
  });
}

// A product with one output row or column (batch 1 in a recurrent step) is a matrix-vector
// product. OpenBLAS 0.3.21's gemm does not forward those to gemv: it packs the whole matrix on
// every call (two thirds of a batch-1 RNN step went to packing). gemv streams the matrix once.
// beta is applied here (C is a strided vector) so gemv always accumulates with beta = 1; beta = 0
// writes zeros first, so stale NaNs in C never leak through.
template <typename T>
bool try_gemv(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda,
              const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  if (m != 1 && n != 1) return false;
  const std::int64_t len = m == 1 ? n : m, stride = m == 1 ? 1 : ldc;
  if (beta != T(1))
    for (std::int64_t i = 0; i < len; ++i) c[i * stride] = beta == T(0) ? T(0) : beta * c[i * stride];
  if (m == 1) {
    // c (1×n) = x · op(B) with x = row 0 of op(A): y = op(B)ᵀ x.
    const std::int64_t incx = ta ? lda : 1;
    if (tb)
      split_gemv(false, n, k, b, ldb, a, incx, c, std::int64_t{1});  // B stored n×k
    else
      split_gemv(true, k, n, b, ldb, a, incx, c, std::int64_t{1});  // B stored k×n
  } else {
    // c (m×1) = op(A) · x with x = column 0 of op(B).
    const std::int64_t incx = tb ? 1 : ldb;
    if (ta)
      split_gemv(true, k, m, a, lda, b, incx, c, ldc);  // A stored k×m
    else
      split_gemv(false, m, k, a, lda, b, incx, c, ldc);  // A stored m×k
  }
  return true;
}

// Products of at least kSplitMacs multiply-adds are cut in two along the longer of m and n (at a
// multiple of 16), and the halves run on two threads (run_two_halves). The cut depends only on
// the shape, so every element is computed by the same kernel calls whatever the thread count:
// bitwise-identical results with 1 or 2 threads (letting OpenBLAS thread a product partitions it
// by thread count, and the results differ in the last bit). The threshold is low enough to cut a
// recurrent step's (32×128)·(128×128) product (~8 µs): the helper thread is handed work in well
// under a microsecond (parallel.cpp). Measured at batch 32, H = 128: 2^19 beat 2^20 and 2^18.
constexpr double kSplitMacs = 1 << 19;

template <typename T>
void split_gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda,
                const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  const bool big = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) >= kSplitMacs;
  if (!big || std::max(m, n) < 32) {
    call_blas(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const bool by_rows = m >= n;
  const std::int64_t extent = by_rows ? m : n;
  const std::int64_t cut = (extent / 2 + 15) / 16 * 16;
  run_two_halves([&](int half) {
    const std::int64_t begin = half == 0 ? 0 : cut, end = half == 0 ? cut : extent;
    if (by_rows)
      call_blas(ta, tb, end - begin, n, k, ta ? a + begin : a + begin * lda, lda, b, ldb, beta, c + begin * ldc, ldc);
    else
      call_blas(ta, tb, m, end - begin, k, a, lda, tb ? b + begin * ldb : b + begin, ldb, beta, c + begin, ldc);
  });
}

}  // namespace

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (handle_degenerate(m, n, k, beta, c, ldc)) return;
  if (try_gemv(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc)) return;
  split_gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const double* a,
          std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc) {
  if (handle_degenerate(m, n, k, beta, c, ldc)) return;
  if (try_gemv(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc)) return;
  split_gemm(trans_a, trans_b, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace xg::detail
