#include "autograd/ops_unary.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/simd.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"

namespace xg {
using detail::one;
using detail::map_floating;
using detail::zip_floating;

namespace {
// Transcendental forwards are vectorised with xsimd (exp/tanh/sigmoid are the hot ones in an
// RNN); `f` maps an xsimd batch to a batch.
template <typename F>
Tensor vectorised(const char* op, const Tensor& x, F&& f) {
  detail::check_floating(op, x);
  Tensor out = detail::empty_like(x);
  detail::dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    detail::simd_map(x.data<T>(), out.data<T>(), x.numel(), f);
  });
  return out;
}

}  // namespace

Tensor neg(const Tensor& x) {
  Tensor out = map_floating("neg", x, [](auto v) { return -v; });
  if (needs_grad({&x})) {
    record(out, "neg", {x}, [](const Tensor& g) { return one(neg(g)); });
  }
  return out;
}

Tensor exp(const Tensor& x) {
  Tensor out = vectorised("exp", x, [](const auto& v) { return xsimd::exp(v); });
  if (needs_grad({&x})) {
    record(out, "exp", {x}, [y = detail::save_for_backward(out)](const Tensor& g) { return one(mul(g, y)); });
  }
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = vectorised("log", x, [](const auto& v) { return xsimd::log(v); });
  if (needs_grad({&x})) {
    record(out, "log", {x}, [x = detail::save_for_backward(x)](const Tensor& g) { return one(div(g, x)); });
  }
  return out;
}

Tensor sqrt(const Tensor& x) {
  Tensor out = vectorised("sqrt", x, [](const auto& v) { return xsimd::sqrt(v); });
  if (needs_grad({&x})) {
    record(out, "sqrt", {x}, [y = detail::save_for_backward(out)](const Tensor& g) {
      if (is_grad_enabled()) return one(div(g, mul(y, 2.0)));  // create_graph: recorded
      return one(zip_floating("sqrt_backward", g, y, [](auto gv, auto yv) { return gv / (yv + yv); }));
    });
  }
  return out;
}

Tensor tanh(const Tensor& x) {
  Tensor out = vectorised("tanh", x, [](const auto& v) { return xsimd::tanh(v); });
  if (needs_grad({&x})) {
    record(out, "tanh", {x}, [y = detail::save_for_backward(out)](const Tensor& g) {
      if (is_grad_enabled()) return one(mul(g, rsub(1.0, mul(y, y))));
      return one(zip_floating("tanh_backward", g, y, [](auto gv, auto yv) { return gv * (1 - yv * yv); }));
    });
  }
  return out;
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = vectorised("sigmoid", x, [](const auto& v) {
    using Batch = std::decay_t<decltype(v)>;
    return Batch(1) / (Batch(1) + xsimd::exp(-v));
  });
  if (needs_grad({&x})) {
    record(out, "sigmoid", {x}, [y = detail::save_for_backward(out)](const Tensor& g) {
      if (is_grad_enabled()) return one(mul(g, mul(y, rsub(1.0, y))));
      return one(zip_floating("sigmoid_backward", g, y, [](auto gv, auto yv) { return gv * yv * (1 - yv); }));
    });
  }
  return out;
}

Tensor relu(const Tensor& x) {
  // NaN propagates (relu(NaN) = NaN) and passes the gradient, as PyTorch's clamp_min /
  // threshold_backward: a NaN activation must not be silently hidden.
  Tensor out = map_floating("relu", x, [](auto v) { return v > 0 || v != v ? v : decltype(v)(0); });
  if (needs_grad({&x})) {
    record(out, "relu", {x}, [y = detail::save_for_backward(out)](const Tensor& g) {
      if (is_grad_enabled()) return one(mul(g, map_floating("relu_mask", y, [](auto v) { return decltype(v)(!(v <= 0)); })));
      return one(zip_floating("relu_backward", g, y, [](auto gv, auto yv) { return yv <= 0 ? decltype(gv)(0) : gv; }));
    });
  }
  return out;
}

Tensor abs(const Tensor& x) {
  Tensor out = map_floating("abs", x, [](auto v) { return std::abs(v); });
  if (needs_grad({&x})) {
    record(out, "abs", {x}, [x = detail::save_for_backward(x)](const Tensor& g) {
      if (is_grad_enabled())
        return one(mul(g, map_floating("abs_sign", x, [](auto v) { return decltype(v)((v > 0) - (v < 0)); })));
      return one(zip_floating("abs_backward", g, x, [](auto gv, auto xv) {
        return xv > 0 ? gv : (xv < 0 ? -gv : decltype(gv)(0));
      }));
    });
  }
  return out;
}

Tensor pow(const Tensor& x, double p) {
  Tensor out = map_floating("pow", x, [p](auto v) { return static_cast<decltype(v)>(std::pow(v, p)); });
  if (needs_grad({&x})) {
    record(out, "pow", {x}, [x = detail::save_for_backward(x), p](const Tensor& g) {
      // d(xᵖ)/dx = p·xᵖ⁻¹; p = 0 has zero gradient everywhere (also at x = 0, as PyTorch).
      if (is_grad_enabled()) return one(p == 0 ? mul(g, 0.0) : mul(g, mul(pow(x, p - 1), p)));
      return one(zip_floating("pow_backward", g, x, [p](auto gv, auto xv) {
        using T = decltype(gv);
        return p == 0 ? T(0) : static_cast<T>(gv * p * std::pow(xv, p - 1));
      }));
    });
  }
  return out;
}

static Tensor clamp_impl(const char* op, const Tensor& x, double lo, double hi) {
  if (std::isnan(lo) || std::isnan(hi))
    throw std::invalid_argument(std::string(op) + ": min and max must not be NaN, got min = " + std::to_string(lo) +
                                ", max = " + std::to_string(hi));
  // min(max(v, lo), hi) as PyTorch: NaN stays NaN, and min > max gives max everywhere (with a
  // zero gradient, as the mask below is then empty).
  Tensor out = map_floating(op, x, [lo, hi](auto v) {
    using T = decltype(v);
    const T raised = v < T(lo) ? T(lo) : v;
    return raised > T(hi) ? T(hi) : raised;
  });
  if (needs_grad({&x})) {
    record(out, op, {x}, [x = detail::save_for_backward(x), lo, hi](const Tensor& g) {
      if (is_grad_enabled())
        return one(mul(g, map_floating("clamp_mask", x, [lo, hi](auto v) {
                         using T = decltype(v);
                         return T(v >= T(lo) && v <= T(hi));
                       })));
      return one(zip_floating("clamp_backward", g, x, [lo, hi](auto gv, auto xv) {
        using T = decltype(gv);
        return (xv >= T(lo) && xv <= T(hi)) ? gv : T(0);
      }));
    });
  }
  return out;
}

Tensor clamp(const Tensor& x, double lo, double hi) { return clamp_impl("clamp", x, lo, hi); }
Tensor clamp_min(const Tensor& x, double lo) { return clamp_impl("clamp_min", x, lo, INFINITY); }
Tensor clamp_max(const Tensor& x, double hi) { return clamp_impl("clamp_max", x, -INFINITY, hi); }

}  // namespace xg
