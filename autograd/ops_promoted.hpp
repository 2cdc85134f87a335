#pragma once
// The mixed-dtype and integer side of the binary arithmetic ops (type promotion as
// torch::result_type, ops_binary.cpp sends every call whose operands are not one floating
// dtype here), plus floor_divide and remainder.
#include <cstdint>
#include <type_traits>

#include "autograd/ops_binary.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// ⌊a / b⌋ elementwise (torch::floor_divide; int64 division by zero throws). Not differentiable,
/// like PyTorch's (whose backward is "not implemented"): refused on inputs that require grad.
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor floor_divide(const Tensor& a, double b);
/// a − b·⌊a / b⌋ (Python's %, the sign of b; torch::remainder). Differentiable for floats:
/// d/da = 1, d/db = −⌊a / b⌋.
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, double b);
Tensor operator%(const Tensor& a, const Tensor& b);
Tensor operator%(const Tensor& a, double b);

namespace detail {
enum class BinaryOp { Add, Sub, Mul, Div, Maximum, Minimum };
/// True when `a ⊕ b` is not the plain same-floating-dtype case (one compare on the hot path).
inline bool needs_promotion(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && (a.dtype() != b.dtype() || !is_floating(a.dtype()));
}
/// a ⊕ b in torch::result_type(a, b): floating results convert the operands (differentiably)
/// and call the op again; int64/bool results use an integer kernel (never differentiable).
Tensor binary_promoted(BinaryOp op, const Tensor& a, const Tensor& b);
/// The 0-dim tensor an integral C++ scalar becomes beside `a` (int64 unless a is floating).
Tensor integral_scalar(const Tensor& a, std::int64_t s);
}  // namespace detail

// An integral C++ scalar keeps an int64 tensor int64 (t + 1, t * 2); beside a floating tensor it
// acts as the double overloads do.
template <typename S>
using IfIntegral = std::enable_if_t<std::is_integral_v<S> && !std::is_same_v<S, bool>, Tensor>;
template <typename S>
IfIntegral<S> operator+(const Tensor& a, S s) {
  return is_floating(a.dtype()) ? add(a, static_cast<double>(s)) : add(a, detail::integral_scalar(a, s));
}
template <typename S>
IfIntegral<S> operator-(const Tensor& a, S s) {
  return is_floating(a.dtype()) ? sub(a, static_cast<double>(s)) : sub(a, detail::integral_scalar(a, s));
}
template <typename S>
IfIntegral<S> operator*(const Tensor& a, S s) {
  return is_floating(a.dtype()) ? mul(a, static_cast<double>(s)) : mul(a, detail::integral_scalar(a, s));
}
template <typename S>
IfIntegral<S> operator%(const Tensor& a, S s) {
  return is_floating(a.dtype()) ? remainder(a, static_cast<double>(s)) : remainder(a, detail::integral_scalar(a, s));
}

}  // namespace xg
