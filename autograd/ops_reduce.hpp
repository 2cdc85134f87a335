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
std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// Index (int64) of the largest value along `dim` (first occurrence). Not differentiable.
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
/// log Σ exp(x) along `dim`, computed stably (max subtracted first); backward softmax(x)·g.
Tensor logsumexp(const Tensor& x, std::int64_t dim, bool keepdim = false);

}  // namespace xg
