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

// Blocks along one dimension of a product's output: `extent` cut into pieces of a multiple of 16
// (OpenBLAS's micro-kernels work on tiles of up to 16, so only the last piece has a ragged edge)
// and at least `min_length` long, with one block per `work_per_block` multiply-adds, at most
// kMaxBlocks. Depends on the shape alone: each output element is computed by the same BLAS call
// over the same block whatever the thread count, so results are bitwise identical for any count.
struct OutputBlocks {
  std::int64_t count = 1, length = 0;
};

OutputBlocks output_blocks(std::int64_t extent, double macs, double work_per_block, std::int64_t min_length) {
  const auto by_work = static_cast<std::int64_t>(macs / work_per_block);
  const std::int64_t most = std::max<std::int64_t>(1, std::min(kMaxBlocks, extent / min_length));
  const std::int64_t wanted = std::clamp<std::int64_t>(by_work, 1, most);
  OutputBlocks blocks;
  blocks.length = ((extent + wanted - 1) / wanted + 15) / 16 * 16;
  blocks.count = (extent + blocks.length - 1) / blocks.length;
  return blocks;
}

// y += op(M)·x, M row-major rows×cols, in blocks of the output of at least 64 and one per
// kGemvMacsPerBlock multiply-adds: at batch 1 a recurrent step is bound by reading the weight
// matrix, and cores that each keep their rows of it in their own L2 cache read it several times
// faster than one core streaming all of it.
constexpr double kGemvMacsPerBlock = 1 << 16;

template <typename T>
void split_gemv(bool trans, std::int64_t rows, std::int64_t cols, const T* mat, std::int64_t ld, const T* x,
                std::int64_t incx, T* y, std::int64_t incy) {
  const std::int64_t out = trans ? cols : rows;
  const OutputBlocks blocks = output_blocks(out, static_cast<double>(rows) * static_cast<double>(cols),
                                            kGemvMacsPerBlock, 64);
  if (blocks.count == 1) {
    call_gemv(trans, rows, cols, mat, ld, x, incx, y, incy);
    return;
  }
  parallel_blocks(blocks.count, [&](std::int64_t block) {
    const std::int64_t begin = block * blocks.length, end = std::min(out, begin + blocks.length);
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

// Products are cut along the longer of m and n into blocks of at least 64 and one per
// kGemmMacsPerBlock multiply-adds (output_blocks). Letting OpenBLAS thread a product instead
// partitions it by thread count, and the results then differ in the last bit between counts.
// A block is small enough that a recurrent step's (32×128)·(128×128) product (~8 µs) is cut in
// two, and large enough that re-packing the shared operand for every block costs a few percent.
constexpr double kGemmMacsPerBlock = 1 << 18;

template <typename T>
void split_gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda,
                const T* b, std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  const bool by_rows = m >= n;
  const std::int64_t extent = by_rows ? m : n;
  const OutputBlocks blocks = output_blocks(
      extent, static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k), kGemmMacsPerBlock, 64);
  if (blocks.count == 1) {
    call_blas(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  parallel_blocks(blocks.count, [&](std::int64_t block) {
    const std::int64_t begin = block * blocks.length, end = std::min(extent, begin + blocks.length);
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
