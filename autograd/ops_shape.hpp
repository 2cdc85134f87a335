#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

// Shape ops. Tensors are always contiguous: reshape/view/squeeze/unsqueeze share the data
// (no copy); every other op here copies into a new contiguous tensor.

/// Same data, new shape; one size may be −1 (inferred). Throws naming both shapes.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Alias of reshape (always possible, as tensors are contiguous).
Tensor view(const Tensor& x, const Shape& shape);
/// Flattens dims [start_dim, end_dim] into one.
Tensor flatten(const Tensor& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
/// Swaps two dims (a copy).
Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1);
/// Reorders dims: out.shape[i] = x.shape[dims[i]].
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims);
/// Removes all size-1 dims / the given one if it has size 1.
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, std::int64_t dim);
/// Inserts a size-1 dim at `dim` ∈ [−rank−1, rank].
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
/// x[..., index, ...] along `dim`; the dim is removed.
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
/// x[..., start:start+length, ...] along `dim`.
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
/// Python-style slice [start:end:step] along `dim` (step ≥ 1; bounds clamped as in Python).
Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1);
/// Concatenates along an existing dim; all other sizes and the dtype must agree.
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
/// Stacks equal-shaped tensors along a new dim.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
/// Pieces of `split_size` along `dim` (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim = 0);
/// `chunks` pieces of ceil(size/chunks) along `dim` (torch.chunk).
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);
/// Rows of x along `dim` picked by a 1-D int64 `index`; backward scatter-adds in index order
/// (deterministic, repeated indices accumulate).
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
/// Broadcasts x to `shape` (a copy; backward sums back with sum_to_shape).
Tensor expand(const Tensor& x, const Shape& shape);

}  // namespace xg
