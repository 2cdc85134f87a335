#pragma once
// Internal copy kernels shared by the shape ops (ops_shape.cpp, ops_slice.cpp). Not public API.
// They move raw elements (4 or 8 bytes), so they serve float32, float64 and int64 alike.
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::detail {

/// A tensor seen as [outer, n, inner] around one dim; `start`, `start + step`, … (`count` of
/// them) are the slices of interest along n.
struct SliceSpec {
  std::int64_t outer = 1, n = 1, inner = 1;
  std::int64_t start = 0, count = 0, step = 1;
};

/// outer / n / inner of `shape` around dim `d` (already normalised; rank 0 gives 1, 1, 1).
SliceSpec slice_spec(const Shape& shape, std::int64_t d);

/// gather: packed[o, k, :] = full[o, start + k·step, :]; otherwise the reverse (scatter), leaving
/// the other slices of `full` untouched. packed is [outer, count, inner], contiguous.
void move_slices(const Tensor& full, const Tensor& packed, const SliceSpec& s, bool gather);

/// out (row-major over its own shape) = src at offsets Σ index_j · strides[j] (in elements).
/// Strides may be 0 (broadcast) or permuted (transpose); inner contiguous runs use memcpy.
void strided_copy(const Tensor& src, const Tensor& out, const std::vector<std::int64_t>& strides);

/// A new TensorImpl for `shape` sharing x's storage (no copy, no graph), like Tensor::detach.
Tensor alias_with_shape(const Tensor& x, const Shape& shape);

}  // namespace xg::detail
