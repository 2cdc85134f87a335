#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

// Reductions and scans beyond sum/mean (libtorch names and signatures). `dims` may be negative;
// an empty `dims` list means every dimension. keepdim keeps reduced dims as size 1.

/// Product of all elements → scalar; gradient out/x, computed without division where x has zeros.
Tensor prod(const Tensor& x);
/// Product along `dim`.
Tensor prod(const Tensor& x, std::int64_t dim, bool keepdim = false);

namespace detail {
Tensor var_impl(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, std::int64_t correction,
                bool keepdim, bool take_sqrt);
template <typename B>
using if_bool = std::enable_if_t<std::is_same_v<B, bool>, int>;
}  // namespace detail

/// Variance Σ(x − mean)²/(N − correction) over `dims` (correction 1 = unbiased, the default;
/// N ≤ correction gives inf or NaN, as PyTorch). The `unbiased` overloads accept only a real
/// bool, so `var(x, {1})` reduces dim 1 and `var(x, {1}, 2)` means correction = 2 — an int never
/// silently becomes `unbiased` (a trap of the libtorch overload set).
Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction = std::nullopt,
           bool keepdim = false);
template <typename Bool, detail::if_bool<Bool> = 0>
Tensor var(const Tensor& x, Bool unbiased) {
  return detail::var_impl("var", x, {}, unbiased ? 1 : 0, false, false);
}
template <typename Bool, detail::if_bool<Bool> = 0>
Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims, Bool unbiased, bool keepdim = false) {
  return detail::var_impl("var", x, dims, unbiased ? 1 : 0, keepdim, false);
}
Tensor var(const Tensor& x);
/// Standard deviation: √var, with the same overloads.
Tensor std(const Tensor& x, const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction = std::nullopt,
           bool keepdim = false);
template <typename Bool, detail::if_bool<Bool> = 0>
Tensor std(const Tensor& x, Bool unbiased) {
  return detail::var_impl("std", x, {}, unbiased ? 1 : 0, false, true);
}
template <typename Bool, detail::if_bool<Bool> = 0>
Tensor std(const Tensor& x, const std::vector<std::int64_t>& dims, Bool unbiased, bool keepdim = false) {
  return detail::var_impl("std", x, dims, unbiased ? 1 : 0, keepdim, true);
}
Tensor std(const Tensor& x);

/// Vector p-norm (Σ|x|ᵖ)^(1/p) over `dims` for p > 0, max|x| for p = inf. Gradient 0 where the
/// norm is 0 (as PyTorch); for p = inf it is shared evenly by the elements that reach the max.
Tensor norm(const Tensor& x, double p = 2.0);
Tensor norm(const Tensor& x, double p, const std::vector<std::int64_t>& dims, bool keepdim = false);
/// p = "fro": the Frobenius norm (the 2-norm of the elements) over `dims`; other strings throw.
Tensor norm(const Tensor& x, const std::string& p, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);

/// Running sum along `dim` (out[i] = Σ_{j ≤ i} x[j]).
Tensor cumsum(const Tensor& x, std::int64_t dim);
/// Running product along `dim`; the gradient is exact also where x has zeros.
Tensor cumprod(const Tensor& x, std::int64_t dim);

}  // namespace xg
