#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

// Parts of tensors and tensors joined: every op here copies into new contiguous tensors.

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
/// Pieces of the given sizes along `dim` (torch.split with a list; the sizes must add up to
/// x.size(dim)). Backward fills one shared [x.shape] buffer, as unbind's does.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& split_sizes, std::int64_t dim = 0);
/// `chunks` pieces of ceil(size/chunks) along `dim` (torch.chunk).
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim = 0);
/// Rows of x along `dim` picked by a 1-D int64 `index`; backward scatter-adds in index order
/// (deterministic, repeated indices accumulate).
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
/// torch.unbind: the x.size(dim) slices of x along `dim`, each with that dim removed (copies).
/// Use it instead of one select() per time step: backward writes every slice's gradient into
/// one shared [x.shape] buffer, O(numel) in total, where T separate selects cost T full-size
/// gradients and T full-size additions (O(T·numel)).
std::vector<Tensor> unbind(const Tensor& x, std::int64_t dim = 0);

}  // namespace xg
