#pragma once
#include <cstdint>
#include <tuple>
#include <type_traits>

#include "autograd/tensor.hpp"

namespace xg {

// Sorting along a dim (libtorch names). Values keep x's dtype; indices are int64 (not
// differentiable). NaN orders above every number, as PyTorch: last ascending, first descending.
// The sort is always stable (ties keep their input order), so `stable` changes nothing.

/// (values, indices) sorted along `dim`; the gradient of values goes back to the positions in
/// indices.
std::tuple<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim = -1, bool descending = false);
/// torch::sort(self, stable, dim, descending). Only a real bool selects it, so sort(x, 1) sorts
/// along dim 1 and never means stable = true.
template <typename Bool, std::enable_if_t<std::is_same_v<Bool, bool>, int> = 0>
std::tuple<Tensor, Tensor> sort(const Tensor& x, Bool stable, std::int64_t dim = -1, bool descending = false) {
  (void)stable;
  return sort(x, dim, descending);
}
/// Indices that sort x along dim (the second result of sort).
Tensor argsort(const Tensor& x, std::int64_t dim = -1, bool descending = false);
/// The k largest (or smallest) values along dim and their indices, in sorted order (ties by
/// index). 0 ≤ k ≤ size(dim), else std::invalid_argument.
std::tuple<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim = -1, bool largest = true,
                                bool sorted = true);

}  // namespace xg
