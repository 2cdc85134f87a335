#include "autograd/ops_math.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/elementwise.hpp"
#include "autograd/detail/where_mask.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_unary.hpp"
#include "autograd/xtensor.hpp"

namespace xg {
using detail::mask_where;
using detail::one;
using detail::save_for_backward;
using detail::simd_unary;
using detail::where_mask;

namespace {

// Records `name` on out with the backward g ↦ g·derivative(saved), derivative built from
// recorded ops (so the closure differentiates again under create_graph).
template <typename Derivative>
void record_chain(Tensor& out, const char* name, const Tensor& x, const Tensor& saved, Derivative derivative) {
  record(out, name, {x}, [s = save_for_backward(saved), derivative](const Tensor& g) { return one(mul(g, derivative(s))); });
}

// The rounding ops: piecewise constant, so their gradient is zero (PyTorch returns zeros too).
// Under create_graph the zero is g·0, recorded, so the engine sees a gradient that is part of
// the graph (it refuses closures that return constants computed outside it).
void record_zero_gradient(Tensor& out, const char* name, const Tensor& x) {
  record(out, name, {x}, [](const Tensor& g) { return one(is_grad_enabled() ? mul(g, 0.0) : zeros_like(g)); });
}

// ---- scalar kernels without an xsimd counterpart (computed in double) ---------------------

// erf⁻¹(y): Winitzki's closed-form start (relative error < 2e-3), then Halley steps on
// f(x) = erf(x) − y, written as (1 − |y|) − erfc(x) for |y| ≥ 0.5 so y near ±1 keeps its digits.
double erfinv_scalar(double y) {
  if (std::isnan(y) || y < -1 || y > 1) return std::numeric_limits<double>::quiet_NaN();
  if (y == 1) return std::numeric_limits<double>::infinity();
  if (y == -1) return -std::numeric_limits<double>::infinity();
  if (y == 0) return y;  // keeps the sign of −0
  const double a = std::abs(y);
  constexpr double k = 0.147;
  const double ln = std::log1p(-a * a);
  const double t = 2 / (M_PI * k) + ln / 2;
  double x = std::sqrt(std::sqrt(t * t - ln / k) - t);
  for (int step = 0; step < 3; ++step) {
    const double f = a < 0.5 ? std::erf(x) - a : (1 - a) - std::erfc(x);
    const double df = M_2_SQRTPI * std::exp(-x * x);
    if (df == 0) break;
    x -= f / (df + x * f);  // Halley: f/(f′ − f·f″/(2f′)) with f″ = −2x·f′
  }
  return std::copysign(x, y);
}

// ψ(x): reflection below 0, recurrence up to 12, then the asymptotic series (error ~1e-15).
double digamma_scalar(double x) {
  if (x == 0) return std::copysign(std::numeric_limits<double>::infinity(), -x);
  if (x < 0) {
    if (x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
    return digamma_scalar(1 - x) - M_PI / std::tan(M_PI * x);
  }
  double shift = 0;
  while (x < 12) {
    shift -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  return shift + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

// ψ₁(x) (trigamma), the same way.
double trigamma_scalar(double x) {
  if (x == -std::numeric_limits<double>::infinity()) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0 && x == std::floor(x)) return std::numeric_limits<double>::infinity();  // a pole
  if (x < 0) {
    const double s = std::sin(M_PI * x);
    return M_PI * M_PI / (s * s) - trigamma_scalar(1 - x);
  }
  double shift = 0;
  while (x < 20) {  // the series' next term is then below 1e-17 relative
    shift += 1 / (x * x);
    x += 1;
  }
  const double t = 1 / x, f = t * t;
  return shift + t + f / 2 + t * f * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * (5.0 / 66)))));
}

template <double (*Fn)(double)>
Tensor scalar_map(const char* op, const Tensor& x) {
  return detail::map_floating(op, x, [](auto v) { return static_cast<decltype(v)>(Fn(static_cast<double>(v))); });
}

// ψ₁ as a recorded op, so digamma's backward is made of recorded ops; its own derivative (ψ₂)
// is not implemented and says so instead of returning a wrong third derivative of lgamma.
Tensor trigamma(const Tensor& x) {
  Tensor out = scalar_map<trigamma_scalar>("digamma_backward", x);
  if (needs_grad({&x}))
    record(out, "digamma_backward", {x}, [](const Tensor&) -> std::vector<Tensor> {
      throw std::runtime_error("digamma_backward: the derivative of trigamma (polygamma(2, x)) is not implemented");
    });
  return out;
}

// Broadcasts two operands to one shape with recorded expands (their backward sums back), so the
// kernels below only see equal shapes.
std::pair<Tensor, Tensor> broadcast_operands(const char* op, const Tensor& a, const Tensor& b) {
  detail::check_floating(op, a, "self");
  detail::check_floating(op, b, "other");
  detail::check_same_dtype(op, a, b);
  const Shape s = broadcast_shapes(op, a.shape(), b.shape());
  return {a.shape() == s ? a : expand(a, s), b.shape() == s ? b : expand(b, s)};
}

}  // namespace

// ---- trigonometric and hyperbolic ----------------------------------------------------------

Tensor sin(const Tensor& x) {
  Tensor out = simd_unary("sin", x, [](const auto& v) { return xsimd::sin(v); });
  if (needs_grad({&x})) record_chain(out, "sin", x, x, [](const Tensor& s) { return cos(s); });
  return out;
}

Tensor cos(const Tensor& x) {
  Tensor out = simd_unary("cos", x, [](const auto& v) { return xsimd::cos(v); });
  if (needs_grad({&x})) record_chain(out, "cos", x, x, [](const Tensor& s) { return neg(sin(s)); });
  return out;
}

Tensor tan(const Tensor& x) {
  Tensor out = simd_unary("tan", x, [](const auto& v) { return xsimd::tan(v); });
  if (needs_grad({&x})) record_chain(out, "tan", x, out, [](const Tensor& y) { return add(mul(y, y), 1.0); });
  return out;
}

Tensor asin(const Tensor& x) {
  Tensor out = simd_unary("asin", x, [](const auto& v) { return xsimd::asin(v); });
  if (needs_grad({&x})) record_chain(out, "asin", x, x, [](const Tensor& s) { return rsqrt(rsub(1.0, mul(s, s))); });
  return out;
}

Tensor acos(const Tensor& x) {
  Tensor out = simd_unary("acos", x, [](const auto& v) { return xsimd::acos(v); });
  if (needs_grad({&x})) record_chain(out, "acos", x, x, [](const Tensor& s) { return neg(rsqrt(rsub(1.0, mul(s, s)))); });
  return out;
}

Tensor atan(const Tensor& x) {
  Tensor out = simd_unary("atan", x, [](const auto& v) { return xsimd::atan(v); });
  if (needs_grad({&x})) record_chain(out, "atan", x, x, [](const Tensor& s) { return reciprocal(add(mul(s, s), 1.0)); });
  return out;
}

Tensor sinh(const Tensor& x) {
  Tensor out = simd_unary("sinh", x, [](const auto& v) { return xsimd::sinh(v); });
  if (needs_grad({&x})) record_chain(out, "sinh", x, x, [](const Tensor& s) { return cosh(s); });
  return out;
}

Tensor cosh(const Tensor& x) {
  Tensor out = simd_unary("cosh", x, [](const auto& v) { return xsimd::cosh(v); });
  if (needs_grad({&x})) record_chain(out, "cosh", x, x, [](const Tensor& s) { return sinh(s); });
  return out;
}

// ---- exponentials and logarithms -----------------------------------------------------------

Tensor log1p(const Tensor& x) {
  Tensor out = simd_unary("log1p", x, [](const auto& v) { return xsimd::log1p(v); });
  if (needs_grad({&x})) record_chain(out, "log1p", x, x, [](const Tensor& s) { return reciprocal(add(s, 1.0)); });
  return out;
}

Tensor expm1(const Tensor& x) {
  Tensor out = simd_unary("expm1", x, [](const auto& v) { return xsimd::expm1(v); });
  if (needs_grad({&x})) record_chain(out, "expm1", x, out, [](const Tensor& y) { return add(y, 1.0); });
  return out;
}

Tensor log2(const Tensor& x) {
  Tensor out = simd_unary("log2", x, [](const auto& v) { return xsimd::log2(v); });
  if (needs_grad({&x})) record_chain(out, "log2", x, x, [](const Tensor& s) { return reciprocal(mul(s, M_LN2)); });
  return out;
}

Tensor log10(const Tensor& x) {
  Tensor out = simd_unary("log10", x, [](const auto& v) { return xsimd::log10(v); });
  if (needs_grad({&x})) record_chain(out, "log10", x, x, [](const Tensor& s) { return reciprocal(mul(s, M_LN10)); });
  return out;
}

// ---- powers ----------------------------------------------------------------------------------

Tensor rsqrt(const Tensor& x) {
  Tensor out = simd_unary("rsqrt", x, [](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    return B(1) / xsimd::sqrt(v);
  });
  if (needs_grad({&x})) record_chain(out, "rsqrt", x, out, [](const Tensor& y) { return mul(mul(mul(y, y), y), -0.5); });
  return out;
}

Tensor reciprocal(const Tensor& x) {
  Tensor out = simd_unary("reciprocal", x, [](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    return B(1) / v;
  });
  if (needs_grad({&x})) record_chain(out, "reciprocal", x, out, [](const Tensor& y) { return neg(mul(y, y)); });
  return out;
}

Tensor square(const Tensor& x) {
  Tensor out = simd_unary("square", x, [](const auto& v) { return v * v; });
  if (needs_grad({&x})) record_chain(out, "square", x, x, [](const Tensor& s) { return mul(s, 2.0); });
  return out;
}

// ---- sign and rounding -----------------------------------------------------------------------

Tensor sign(const Tensor& x) {
  Tensor out = simd_unary("sign", x, [](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    return xsimd::select(v > B(0), B(1), B(0)) - xsimd::select(v < B(0), B(1), B(0));
  });
  if (needs_grad({&x})) record_zero_gradient(out, "sign", x);
  return out;
}

Tensor floor(const Tensor& x) {
  Tensor out = simd_unary("floor", x, [](const auto& v) { return xsimd::floor(v); });
  if (needs_grad({&x})) record_zero_gradient(out, "floor", x);
  return out;
}

Tensor ceil(const Tensor& x) {
  Tensor out = simd_unary("ceil", x, [](const auto& v) { return xsimd::ceil(v); });
  if (needs_grad({&x})) record_zero_gradient(out, "ceil", x);
  return out;
}

Tensor round(const Tensor& x) {
  // nearbyint rounds halves to even in the default rounding mode, as torch.round.
  Tensor out = simd_unary("round", x, [](const auto& v) { return xsimd::nearbyint(v); });
  if (needs_grad({&x})) record_zero_gradient(out, "round", x);
  return out;
}

Tensor trunc(const Tensor& x) {
  Tensor out = simd_unary("trunc", x, [](const auto& v) { return xsimd::trunc(v); });
  if (needs_grad({&x})) record_zero_gradient(out, "trunc", x);
  return out;
}

Tensor frac(const Tensor& x) {
  Tensor out = simd_unary("frac", x, [](const auto& v) { return v - xsimd::trunc(v); });
  if (needs_grad({&x})) {
    record(out, "frac", {x}, [](const Tensor& g) { return one(g); });
  }
  return out;
}

// ---- special functions -----------------------------------------------------------------------

Tensor erf(const Tensor& x) {
  Tensor out = simd_unary("erf", x, [](const auto& v) { return xsimd::erf(v); });
  if (needs_grad({&x}))
    record_chain(out, "erf", x, x, [](const Tensor& s) { return mul(exp(neg(mul(s, s))), M_2_SQRTPI); });
  return out;
}

Tensor erfinv(const Tensor& x) {
  detail::check_floating("erfinv", x);
  Tensor out = scalar_map<erfinv_scalar>("erfinv", x);
  if (needs_grad({&x}))
    record_chain(out, "erfinv", x, out, [](const Tensor& y) { return mul(exp(mul(y, y)), 1.0 / M_2_SQRTPI); });  // √π/2
  return out;
}

Tensor lgamma(const Tensor& x) {
  // libm's reentrant lgamma_r (lgamma writes the global signgam, a race across threads): xsimd
  // 8's batch lgamma loops forever on some inputs (a NaN/inf lane) and is wrong in float32.
  detail::check_floating("lgamma", x);
  Tensor out = detail::map_floating("lgamma", x, [](auto v) {
    int sign = 0;
    if constexpr (std::is_same_v<decltype(v), float>) return ::lgammaf_r(v, &sign);
    else return ::lgamma_r(v, &sign);
  });
  if (needs_grad({&x})) record_chain(out, "lgamma", x, x, [](const Tensor& s) { return digamma(s); });
  return out;
}

Tensor digamma(const Tensor& x) {
  detail::check_floating("digamma", x);
  Tensor out = scalar_map<digamma_scalar>("digamma", x);
  if (needs_grad({&x})) record_chain(out, "digamma", x, x, [](const Tensor& s) { return trigamma(s); });
  return out;
}

// ---- binary ------------------------------------------------------------------------------------

Tensor atan2(const Tensor& self, const Tensor& other) {
  const auto [y, x] = broadcast_operands("atan2", self, other);
  // libm, not xsimd: xsimd 8's atan2(0, 0) and pow(0, 0), pow(1, inf), pow(NaN, 0) are NaN or 0
  // where C and PyTorch give 0 and 1.
  Tensor out = detail::zip_floating("atan2", y, x, [](auto a, auto b) { return std::atan2(a, b); });
  if (needs_grad({&y, &x})) {
    const bool gy = y.requires_grad(), gx = x.requires_grad();
    record(out, "atan2", {y, x}, [y = save_for_backward(y), x = save_for_backward(x), gy, gx](const Tensor& g) {
      const Tensor r2 = add(mul(y, y), mul(x, x));  // d/dy = x/r², d/dx = −y/r²
      return std::vector<Tensor>{gy ? div(mul(g, x), r2) : Tensor(), gx ? neg(div(mul(g, y), r2)) : Tensor()};
    });
  }
  return out;
}

Tensor pow(const Tensor& self, const Tensor& exponent) {
  const auto [a, b] = broadcast_operands("pow", self, exponent);
  Tensor out = detail::zip_floating("pow", a, b, [](auto u, auto v) { return std::pow(u, v); });  // libm: see atan2
  if (needs_grad({&a, &b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    record(out, "pow", {a, b},
           [a = save_for_backward(a), b = save_for_backward(b), y = save_for_backward(out), ga, gb](const Tensor& g) {
             Tensor da, db;
             if (ga) {
               const Tensor zero_exponent = mask_where("pow_backward", b, [](double e) { return e == 0; });
               da = where_mask(zero_exponent, zeros_like(g), mul(g, mul(b, pow(a, sub(b, 1.0)))));
             }
             if (gb) {
               const Tensor base_zero = detail::zip_floating("pow_backward", a, b, [](auto u, auto e) {
                 return decltype(u)(u == 0 && e >= 0 ? 1 : 0);
               });
               db = where_mask(base_zero, zeros_like(g), mul(g, mul(y, log(a))));
             }
             return std::vector<Tensor>{da, db};
           });
  }
  return out;
}

Tensor pow(double self, const Tensor& exponent) {
  detail::check_floating("pow", exponent, "exponent");
  return pow(full(exponent.shape(), self, exponent.dtype()), exponent);
}

Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) {
  detail::check_floating("lerp", start, "start");
  detail::check_floating("lerp", end, "end");
  detail::check_floating("lerp", weight, "weight");
  detail::check_same_dtype("lerp", start, end);
  detail::check_same_dtype("lerp", start, weight);
  const Shape s = broadcast_shapes("lerp", broadcast_shapes("lerp", start.shape(), end.shape()), weight.shape());
  const Tensor a = start.shape() == s ? start : expand(start, s);
  const Tensor b = end.shape() == s ? end : expand(end, s);
  const Tensor w = weight.shape() == s ? weight : expand(weight, s);
  Tensor out = empty(s, a.dtype());
  detail::dispatch_floating("lerp", a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto va = as_xtensor<T>(a), vb = as_xtensor<T>(b), vw = as_xtensor<T>(w);
    as_xtensor<T>(out) = xt::where(xt::abs(vw) < T(0.5), va + vw * (vb - va), vb - (vb - va) * (T(1) - vw));
  });
  if (needs_grad({&a, &b, &w})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad(), gw = w.requires_grad();
    record(out, "lerp", {a, b, w},
           [a = save_for_backward(a), b = save_for_backward(b), w = save_for_backward(w), ga, gb, gw](const Tensor& g) {
             return std::vector<Tensor>{ga ? mul(g, rsub(1.0, w)) : Tensor(), gb ? mul(g, w) : Tensor(),
                                        gw ? mul(g, sub(b, a)) : Tensor()};
           });
  }
  return out;
}

Tensor lerp(const Tensor& start, const Tensor& end, double weight) {
  detail::check_floating("lerp", start, "start");
  return lerp(start, end, full({}, weight, start.dtype()));
}

}  // namespace xg
