#pragma once
// A matrix packed once and multiplied many times (internal): the recurrent weight of an RNN, LSTM
// or GRU is applied at every step of a sequence, and a BLAS call re-packs it every time.
// Measured against per-step OpenBLAS sgemm: −10 to −20 % CPU time per batch-32 training step.
#include <cstdint>
#include <vector>

#include <xsimd/xsimd.hpp>

namespace xg::detail {

/// M (rows × depth) stored for C += A·Mᵀ: panels of kWidth rows of M, each panel depth-major
/// (element (r, k) of panel p at [p][k][r]), zero-padded to whole panels, so the micro-kernel
/// reads one contiguous, aligned stream per panel.
template <typename T>
class PackedMatrix {
 public:
  /// Two SIMD registers of outputs per panel: 16 floats / 8 doubles with AVX2.
  static constexpr std::int64_t kWidth = 2 * static_cast<std::int64_t>(xsimd::batch<T>::size);

  /// Packs element (r, k) = src[r·row_stride + k·depth_stride] for r < rows, k < depth: M itself
  /// is (W, I, 1) for a row-major W (O×I); its transpose is (W, 1, O) read the other way.
  PackedMatrix(const T* src, std::int64_t rows, std::int64_t depth, std::int64_t row_stride, std::int64_t depth_stride);

  std::int64_t rows() const { return rows_; }
  std::int64_t depth() const { return depth_; }

  /// C (n × rows, leading dim ldc) += A (n × depth, leading dim lda) · Mᵀ. Panels are cut into
  /// blocks by shape alone and each element sums its depth in one fixed order, so the result is
  /// bitwise the same for any thread count.
  void multiply_add(std::int64_t n, const T* a, std::int64_t lda, T* c, std::int64_t ldc) const;

 private:
  std::int64_t rows_, depth_, panels_;
  std::vector<T, xsimd::aligned_allocator<T, 64>> data_;
};

extern template class PackedMatrix<float>;
extern template class PackedMatrix<double>;

}  // namespace xg::detail
