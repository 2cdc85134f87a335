#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

// Shape ops. Tensors are always contiguous: reshape/view/squeeze/unsqueeze share the data
// (no copy); transpose, permute and expand copy into a new contiguous tensor. The ops that take
// parts of tensors or join them (select, narrow, slice, cat, stack, split, ...) are in ops_slice.hpp.

/// Same data, new shape; one size may be −1 (inferred). Throws naming both shapes.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Alias of reshape (always possible, as tensors are contiguous).
Tensor view(const Tensor& x, const Shape& shape);
/// Flattens dims [start_dim, end_dim] into one.
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
/// Splits dim `dim` into `sizes` (torch::unflatten): [.., n, ..] → [.., sizes..., ..] with
/// Π sizes = n; one size may be −1 (inferred). Throws naming the sizes and the dim's size.
Tensor unflatten(const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& sizes);
/// Swaps two dims (a copy).
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
/// Reorders dims: out.shape[i] = x.shape[dims[i]].
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
/// Removes all size-1 dims / the given one if it has size 1.
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::int64_t dim);
/// Inserts a size-1 dim at `dim` ∈ [−rank−1, rank].
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
/// Broadcasts x to `shape` (a copy; backward sums back with sum_to_shape).
Tensor expand(const Tensor& x, const Shape& shape);

}  // namespace xg
