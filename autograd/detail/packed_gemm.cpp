#include "autograd/detail/packed_gemm.hpp"

#include <algorithm>

#include "autograd/detail/parallel.hpp"

namespace xg::detail {
namespace {

// Depth is taken in chunks of kDepthChunk: a panel's chunk (16 KB for floats and for doubles)
// stays in L1 while every row tile of A passes over it.
constexpr std::int64_t kDepthChunk = 256;
// Rows of A per micro-kernel call: 6 rows × 2 registers = 12 accumulators, plus the two panel
// registers and one broadcast, fit the 16 AVX2 registers.
constexpr std::int64_t kTileRows = 6;
// About one block per this many multiply-adds, as for detail::gemm (blas.cpp).
constexpr double kMacsPerBlock = 1 << 18;

// C (R × cols) += A (R × [k0, k1)) · panel: R rows of A against one panel, accumulated in
// registers over the chunk and added to C once.
template <typename T, int R>
void tile(const T* a, std::int64_t lda, const T* panel, std::int64_t k0, std::int64_t k1, T* c, std::int64_t ldc,
          std::int64_t cols) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t V = static_cast<std::int64_t>(B::size), W = 2 * V;
  B lo[R], hi[R];
  for (int r = 0; r < R; ++r) lo[r] = hi[r] = B(T(0));
  for (std::int64_t k = k0; k < k1; ++k) {
    const B p0 = B::load_aligned(panel + k * W), p1 = B::load_aligned(panel + k * W + V);
    for (int r = 0; r < R; ++r) {
      const B x(a[r * lda + k]);
      lo[r] = xsimd::fma(x, p0, lo[r]);
      hi[r] = xsimd::fma(x, p1, hi[r]);
    }
  }
  if (cols == W) {
    for (int r = 0; r < R; ++r) {
      T* row = c + r * ldc;
      (B::load_unaligned(row) + lo[r]).store_unaligned(row);
      (B::load_unaligned(row + V) + hi[r]).store_unaligned(row + V);
    }
    return;
  }
  alignas(64) T sums[W];  // the last panel's padding rows are computed and dropped
  for (int r = 0; r < R; ++r) {
    lo[r].store_aligned(sums);
    hi[r].store_aligned(sums + V);
    for (std::int64_t j = 0; j < cols; ++j) c[r * ldc + j] += sums[j];
  }
}

template <typename T>
void tile_rows(std::int64_t rows, const T* a, std::int64_t lda, const T* panel, std::int64_t k0, std::int64_t k1, T* c,
               std::int64_t ldc, std::int64_t cols) {
  switch (rows) {
    case 6: tile<T, 6>(a, lda, panel, k0, k1, c, ldc, cols); break;
    case 5: tile<T, 5>(a, lda, panel, k0, k1, c, ldc, cols); break;
    case 4: tile<T, 4>(a, lda, panel, k0, k1, c, ldc, cols); break;
    case 3: tile<T, 3>(a, lda, panel, k0, k1, c, ldc, cols); break;
    case 2: tile<T, 2>(a, lda, panel, k0, k1, c, ldc, cols); break;
    default: tile<T, 1>(a, lda, panel, k0, k1, c, ldc, cols); break;
  }
}

}  // namespace

template <typename T>
PackedMatrix<T>::PackedMatrix(const T* src, std::int64_t rows, std::int64_t depth, std::int64_t row_stride,
                              std::int64_t depth_stride)
    : rows_(rows), depth_(depth), panels_((rows + kWidth - 1) / kWidth),
      data_(static_cast<std::size_t>(panels_ * depth * kWidth), T(0)) {
  for (std::int64_t p = 0; p < panels_; ++p) {
    T* panel = data_.data() + p * depth * kWidth;
    const std::int64_t width = std::min(kWidth, rows - p * kWidth);
    for (std::int64_t k = 0; k < depth; ++k)
      for (std::int64_t r = 0; r < width; ++r)
        panel[k * kWidth + r] = src[(p * kWidth + r) * row_stride + k * depth_stride];
  }
}

template <typename T>
void PackedMatrix<T>::multiply_add(std::int64_t n, const T* a, std::int64_t lda, T* c, std::int64_t ldc) const {
  if (n == 0 || rows_ == 0 || depth_ == 0) return;
  const double macs_per_panel = static_cast<double>(n) * static_cast<double>(kWidth) * static_cast<double>(depth_);
  const std::int64_t per_block = std::max<std::int64_t>(
      {std::int64_t{1}, static_cast<std::int64_t>(kMacsPerBlock / macs_per_panel), (panels_ + kMaxBlocks - 1) / kMaxBlocks});
  const std::int64_t blocks = (panels_ + per_block - 1) / per_block;
  const std::int64_t tiles = (n + kTileRows - 1) / kTileRows;
  auto run_block = [&](std::int64_t block) {
    const std::int64_t last = std::min(panels_, (block + 1) * per_block);
    for (std::int64_t p = block * per_block; p < last; ++p) {
      const T* panel = data_.data() + p * depth_ * kWidth;
      const std::int64_t cols = std::min(kWidth, rows_ - p * kWidth);
      for (std::int64_t k0 = 0; k0 < depth_; k0 += kDepthChunk) {
        const std::int64_t k1 = std::min(depth_, k0 + kDepthChunk);
        // The rows spread evenly over the fewest tiles of at most kTileRows (32 rows: 6 6 5 5 5 5,
        // not 6 6 6 6 6 2, whose 2-row tile has too few accumulators to hide the FMA latency).
        for (std::int64_t t = 0, i = 0; t < tiles; ++t) {
          const std::int64_t rows = n / tiles + (t < n % tiles ? 1 : 0);
          tile_rows(rows, a + i * lda, lda, panel, k0, k1, c + i * ldc + p * kWidth, ldc, cols);
          i += rows;
        }
      }
    }
  };
  if (blocks == 1)
    run_block(0);
  else
    parallel_blocks(blocks, run_block);
}

template class PackedMatrix<float>;
template class PackedMatrix<double>;

}  // namespace xg::detail
