#include "autograd/ops_activation.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/elementwise.hpp"
#include "autograd/detail/where_mask.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_math.hpp"
#include "autograd/ops_unary.hpp"

namespace xg {
using detail::one;
using detail::save_for_backward;
using detail::value_of;
using detail::simd_unary;
using detail::where_mask;

// Each forward below mirrors PyTorch 1.13's CPU kernel formula (same branch tests, same order of
// operations where it matters for NaN and ±inf).

Tensor softplus(const Tensor& x, double beta, double threshold) {
  Tensor out = simd_unary("softplus", x, [beta, threshold](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    const B bx = v * B(static_cast<value_of<B>>(beta));
    return xsimd::select(bx > B(static_cast<value_of<B>>(threshold)), v,
                         xsimd::log1p(xsimd::exp(bx)) / B(static_cast<value_of<B>>(beta)));
  });
  if (needs_grad({&x})) {
    record(out, "softplus", {x}, [x = save_for_backward(x), beta, threshold](const Tensor& g) {
      // d/dx = σ(βx), and 1 on the identity branch.
      const Tensor linear = detail::mask_where("softplus_backward", x, [&](double v) { return v * beta > threshold; });
      return one(mul(g, where_mask(linear, ones_like(x), sigmoid(mul(x, beta)))));
    });
  }
  return out;
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  if (approximate != "none" && approximate != "tanh")
    throw std::invalid_argument("gelu: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
  constexpr double kBeta = M_SQRT2 * M_2_SQRTPI * 0.5;  // √(2/π)
  constexpr double kKappa = 0.044715;
  if (approximate == "tanh") {
    Tensor out = simd_unary("gelu", x, [](const auto& v) {
      using B = std::decay_t<decltype(v)>;
      using T = value_of<B>;
      const B inner = B(T(kBeta)) * (v + B(T(kKappa)) * (v * v * v));
      return B(T(0.5)) * v * (B(T(1)) + xsimd::tanh(inner));
    });
    if (needs_grad({&x})) {
      record(out, "gelu", {x}, [x = save_for_backward(x)](const Tensor& g) {
        // d/dx = 0.5(1 + t) + 0.5x(1 − t²)·β(1 + 3κx²), t = tanh(β(x + κx³))
        const Tensor x2 = mul(x, x);
        const Tensor t = tanh(mul(add(x, mul(mul(x2, x), kKappa)), kBeta));
        const Tensor left = mul(add(t, 1.0), 0.5);
        const Tensor right = mul(mul(mul(x, 0.5), rsub(1.0, mul(t, t))), mul(add(mul(x2, 3 * kKappa), 1.0), kBeta));
        return one(mul(g, add(left, right)));
      });
    }
    return out;
  }
  Tensor out = simd_unary("gelu", x, [](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    using T = value_of<B>;
    return v * B(T(0.5)) * (B(T(1)) + xsimd::erf(v * B(T(M_SQRT1_2))));
  });
  if (needs_grad({&x})) {
    record(out, "gelu", {x}, [x = save_for_backward(x)](const Tensor& g) {
      // d/dx = Φ(x) + x·φ(x)
      const Tensor cdf = mul(add(erf(mul(x, M_SQRT1_2)), 1.0), 0.5);
      const Tensor pdf = mul(exp(mul(mul(x, x), -0.5)), M_2_SQRTPI * M_SQRT1_2 * 0.5);
      return one(mul(g, add(cdf, mul(x, pdf))));
    });
  }
  return out;
}

Tensor silu(const Tensor& x) {
  Tensor out = simd_unary("silu", x, [](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    return v / (B(1) + xsimd::exp(-v));
  });
  if (needs_grad({&x})) {
    record(out, "silu", {x}, [x = save_for_backward(x)](const Tensor& g) {
      const Tensor s = sigmoid(x);  // d/dx = σ(x)(1 + x(1 − σ(x)))
      return one(mul(g, mul(s, add(mul(x, rsub(1.0, s)), 1.0))));
    });
  }
  return out;
}

Tensor mish(const Tensor& x) {
  Tensor out = simd_unary("mish", x, [](const auto& v) { return v * xsimd::tanh(xsimd::log1p(xsimd::exp(v))); });
  if (needs_grad({&x})) {
    record(out, "mish", {x}, [x = save_for_backward(x)](const Tensor& g) {
      const Tensor t = tanh(softplus(x));  // d/dx = t + x·σ(x)(1 − t²)
      return one(mul(g, add(t, mul(mul(x, sigmoid(x)), rsub(1.0, mul(t, t))))));
    });
  }
  return out;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor out = simd_unary("leaky_relu", x, [negative_slope](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    return xsimd::select(v > B(0), v, v * B(static_cast<value_of<B>>(negative_slope)));
  });
  if (needs_grad({&x})) {
    record(out, "leaky_relu", {x}, [x = save_for_backward(x), negative_slope](const Tensor& g) {
      const Tensor slope = detail::map_floating("leaky_relu_backward", x, [negative_slope](auto v) {
        return v > 0 ? decltype(v)(1) : static_cast<decltype(v)>(negative_slope);
      });
      return one(mul(g, slope));
    });
  }
  return out;
}

Tensor elu(const Tensor& x, double alpha, double scale, double input_scale) {
  Tensor out = simd_unary("elu", x, [alpha, scale, input_scale](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    using T = value_of<B>;
    return xsimd::select(v <= B(0), xsimd::expm1(v * B(T(input_scale))) * B(T(alpha * scale)), v * B(T(scale)));
  });
  if (needs_grad({&x})) {
    record(out, "elu", {x}, [x = save_for_backward(x), alpha, scale, input_scale](const Tensor& g) {
      // d/dx = scale for x > 0, α·scale·input_scale·e^(input_scale·x) otherwise, so NaN for NaN
      // (PyTorch 1.13's vectorised kernel; its scalar tail returns scale, see docs/api.md).
      const Tensor below = detail::mask_where("elu_backward", x, [](double v) { return !(v > 0); });
      const Tensor slope = where_mask(below, mul(exp(mul(x, input_scale)), alpha * scale * input_scale),
                                      full(x.shape(), scale, x.dtype()));
      return one(mul(g, slope));
    });
  }
  return out;
}

Tensor selu(const Tensor& x) {
  return elu(x, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0);
}

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  Tensor out = simd_unary("hardtanh", x, [min_val, max_val](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    using T = value_of<B>;
    const B lo(static_cast<T>(min_val)), hi(static_cast<T>(max_val));
    const B raised = xsimd::select(v < lo, lo, v);  // NaN fails both tests and stays NaN
    return xsimd::select(raised > hi, hi, raised);
  });
  if (needs_grad({&x})) {
    record(out, "hardtanh", {x}, [x = save_for_backward(x), min_val, max_val](const Tensor& g) {
      // 0 at NaN, as PyTorch 1.13's vectorised kernel (its scalar tail passes g, see docs/api.md)
      const Tensor inside =
          detail::mask_where("hardtanh_backward", x, [&](double v) { return v > min_val && v < max_val; });
      return one(where_mask(inside, g, zeros_like(g)));
    });
  }
  return out;
}

Tensor log_sigmoid(const Tensor& x) {
  Tensor out = simd_unary("log_sigmoid", x, [](const auto& v) {
    using B = std::decay_t<decltype(v)>;
    return xsimd::select(v < B(0), v, B(0)) - xsimd::log1p(xsimd::exp(-xsimd::abs(v)));
  });
  if (needs_grad({&x})) {
    record(out, "log_sigmoid", {x}, [x = save_for_backward(x)](const Tensor& g) { return one(mul(g, sigmoid(neg(x)))); });
  }
  return out;
}

}  // namespace xg
