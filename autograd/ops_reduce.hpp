#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

// Reductions. `dims` may be negative; an empty `dims` list means "all dimensions".
// keepdim keeps reduced dims as size 1 (PyTorch semantics). Sums are accumulated in a fixed
// order (deterministic), float32 sums in double precision per output element.

/// Σ of all elements → scalar (shape []).
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// Arithmetic mean of all elements → scalar.
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// Largest value along `dim` and its index (first occurrence); the gradient flows to that index.
/// NaN counts as larger than everything (max propagates NaN, as in PyTorch).
std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Smallest value along `dim` and its index, the same way (torch.min(input, dim)).
std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Largest / smallest of all elements → scalar; the gradient is shared evenly by the elements
/// equal to it (torch.max(input) / torch.min(input)).
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
/// Largest / smallest value over `dims` (all when empty); ties share the gradient evenly
/// (torch.amax / torch.amin).
Tensor amax(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor amin(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// Index (int64) of the largest / smallest value along `dim` (first occurrence). Not differentiable.
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Without a dim: the index into the flattened tensor (torch.argmax(input)).
Tensor argmax(const Tensor& x);
Tensor argmin(const Tensor& x);
/// log Σ exp(x) along `dim` / over `dims` (all when empty), computed stably (max subtracted
/// first, accumulated in double); backward softmax(x)·g.
Tensor logsumexp(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);

}  // namespace xg
