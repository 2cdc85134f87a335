#pragma once
// The one door to BLAS (internal): every matrix product in xgrad goes through detail::gemm.
#include <cstdint>

namespace xg::detail {

/// C (m×n, row-major, leading dim ldc) = op(A)·op(B) + beta·C on raw pointers, with transpose
/// flags instead of transposed copies. Handles empty sizes itself (BLAS rejects lda = 0), sends
/// one-row/one-column products to gemv, and cuts large products into blocks fixed by the shape,
/// run on the intra-op threads (blas.cpp), so results do not depend on the thread count.
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const double* a,
          std::int64_t lda, const double* b, std::int64_t ldb, double beta, double* c, std::int64_t ldc);

}  // namespace xg::detail
