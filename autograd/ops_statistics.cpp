#include "autograd/ops_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xreducer.hpp>

#include "autograd/creation.hpp"
#include "autograd/detail/dim_lines.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/where_mask.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_math.hpp"
#include "autograd/ops_rearrange.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_unary.hpp"
#include "autograd/xtensor.hpp"

namespace xg {
using detail::one;
using detail::save_for_backward;

namespace {

// Which dims a reduction folds (empty `dims` = all), checked for range and repeats.
std::vector<bool> reduced_dims(const char* op, const Shape& shape, const std::vector<std::int64_t>& dims) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  std::vector<bool> mask(shape.size(), dims.empty());
  for (std::int64_t d : dims) {
    const std::int64_t nd = normalize_dim(op, d, rank == 0 ? 1 : rank);
    if (rank == 0) continue;
    if (mask[nd])
      throw std::invalid_argument(std::string(op) + ": dim " + std::to_string(nd) + " appears multiple times in dims " +
                                  shape_str(dims) + " (tensor of shape " + shape_str(shape) + ")");
    mask[nd] = true;
  }
  return mask;
}

bool has_zero(const Tensor& x) {
  return detail::dispatch_floating("has_zero", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    return std::any_of(p, p + x.numel(), [](T v) { return v == T(0); });
  });
}

// Backward closures that fall back to a direct kernel (inputs with zeros) are not made of
// recorded ops: refuse create_graph there instead of returning a wrong higher derivative.
void refuse_create_graph_with_zeros(const char* op) {
  if (is_grad_enabled())
    throw std::runtime_error(std::string(op) +
                             ": double backward through an input that contains zeros is not implemented");
}

// Σ_{j ≥ i} along dim (flip, cumsum, flip: recorded and linear).
Tensor reverse_cumsum(const Tensor& g, std::int64_t dim) { return flip(cumsum(flip(g, {dim}), dim), {dim}); }

}  // namespace

// ---- prod --------------------------------------------------------------------------------------

Tensor prod(const Tensor& x) {
  detail::check_floating("prod", x);
  return prod(reshape(x, {x.numel()}), 0, false);
}

Tensor prod(const Tensor& x, std::int64_t dim, bool keepdim) {
  detail::check_floating("prod", x);
  const std::int64_t d = normalize_dim("prod", dim, std::max<std::int64_t>(x.dim(), 1));
  if (x.dim() == 0) return x.clone();
  std::vector<bool> mask(x.shape().size(), false);
  mask[d] = true;
  const Shape keep = detail::reduced_shape(x.shape(), mask, true);
  Tensor out = empty(detail::reduced_shape(x.shape(), mask, keepdim), x.dtype());
  detail::dispatch_floating("prod", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    as_xtensor<T>(out) = xt::reshape_view(xt::prod(as_xtensor<T>(x), {static_cast<std::size_t>(d)}),
                                          detail::xtensor_shape(out.shape()));
  });
  if (needs_grad({&x})) {
    record(out, "prod", {x}, [x = save_for_backward(x), y = save_for_backward(out), keep, d](const Tensor& g) {
      const Tensor gk = reshape(g, keep);
      if (!has_zero(x)) return one(mul(gk, div(reshape(y, keep), x)));
      refuse_create_graph_with_zeros("prod");
      // ∂/∂x_i = Π_{j≠i} x_j: exclusive prefix × exclusive suffix products per line.
      Tensor others = empty(x.shape(), x.dtype());
      const detail::DimLines l = detail::dim_lines(x.shape(), d);
      detail::dispatch_floating("prod_backward", x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* po = others.data<T>();
        for (std::int64_t line = 0; line < l.count(); ++line) {
          const std::int64_t b = l.base(line);
          T prefix = 1;
          for (std::int64_t i = 0; i < l.n; ++i) {
            po[b + i * l.inner] = prefix;
            prefix *= px[b + i * l.inner];
          }
          T suffix = 1;
          for (std::int64_t i = l.n; i-- > 0;) {
            po[b + i * l.inner] *= suffix;
            suffix *= px[b + i * l.inner];
          }
        }
      });
      return one(mul(gk, others));
    });
    // recorded ops on g and the saved tensors; the zeros fallback refuses create_graph
  }
  return out;
}

// ---- var / std -----------------------------------------------------------------------------------

Tensor detail::var_impl(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, std::int64_t correction,
                        bool keepdim, bool take_sqrt) {
  detail::check_floating(op, x);
  if (correction < 0)
    throw std::invalid_argument(std::string(op) + ": correction must be non-negative, got " + std::to_string(correction));
  const std::vector<bool> mask = reduced_dims(op, x.shape(), dims);
  std::int64_t n = 1;
  for (std::size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) n *= x.shape()[d];
  // Two passes of recorded ops (mean, then squared deviations): the gradient 2(x − mean)/(N − c)
  // and its own derivative come from the tape.
  const Tensor deviation = sub(x, mean(x, dims, true));
  const Tensor v = div(sum(mul(deviation, deviation), dims, keepdim), static_cast<double>(std::max<std::int64_t>(n - correction, 0)));
  return take_sqrt ? sqrt(v) : v;
}

Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction, bool keepdim) {
  return detail::var_impl("var", x, dims, correction.value_or(1), keepdim, false);
}
Tensor var(const Tensor& x) { return detail::var_impl("var", x, {}, 1, false, false); }
Tensor std(const Tensor& x, const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction, bool keepdim) {
  return detail::var_impl("std", x, dims, correction.value_or(1), keepdim, true);
}
Tensor std(const Tensor& x) { return detail::var_impl("std", x, {}, 1, false, true); }

// ---- norm ----------------------------------------------------------------------------------------

Tensor norm(const Tensor& x, double p) { return norm(x, p, {}, false); }

Tensor norm(const Tensor& x, const std::string& p, const std::vector<std::int64_t>& dims, bool keepdim) {
  if (p != "fro")
    throw std::invalid_argument("norm: p must be a number or \"fro\", got \"" + p + "\" (\"nuc\" is not implemented)");
  return norm(x, 2.0, dims, keepdim);
}

Tensor norm(const Tensor& x, double p, const std::vector<std::int64_t>& dims, bool keepdim) {
  detail::check_floating("norm", x);
  if (!(p > 0))
    throw std::invalid_argument("norm: p must be positive or inf, got " + std::to_string(p) +
                                " (p = 0 and negative p are not implemented)");
  const std::vector<bool> mask = reduced_dims("norm", x.shape(), dims);
  const Shape keep = detail::reduced_shape(x.shape(), mask, true);
  const Shape out_shape = detail::reduced_shape(x.shape(), mask, keepdim);
  Tensor out;
  {
    NoGradGuard no_grad;  // the forward reuses the reductions; the node below is the norm's own
    const Tensor a = abs(x);
    if (std::isinf(p)) {
      std::vector<std::size_t> axes;
      for (std::size_t d = 0; d < mask.size(); ++d)
        if (mask[d]) axes.push_back(d);
      out = empty(out_shape, x.dtype());
      detail::dispatch_floating("norm", x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        // max that propagates NaN (std::max keeps whichever operand comes first)
        auto nan_max = [](T u, T v) { return (u != u || u > v) ? u : v; };
        if (x.numel() == 0) {
          as_xtensor<T>(out).fill(T(0));
          return;
        }
        as_xtensor<T>(out) = xt::reshape_view(xt::reduce(nan_max, as_xtensor<T>(a), axes),
                                              detail::xtensor_shape(out_shape));
      });
    } else if (p == 1) {
      out = sum(a, dims, keepdim);
    } else if (p == 2) {
      out = sqrt(sum(mul(x, x), dims, keepdim));
    } else {
      out = pow(sum(pow(a, p), dims, keepdim), 1 / p);
    }
    if (x.dim() == 0 && keepdim) out = reshape(out, {});
  }
  if (needs_grad({&x})) {
    record(out, "norm", {x}, [x = save_for_backward(x), y = save_for_backward(out), keep, p, mask](const Tensor& g) {
      const Tensor gk = reshape(g, keep), yk = reshape(y, keep);
      const Tensor zero_norm = detail::mask_where("norm_backward", yk, [](double v) { return v == 0; });
      if (std::isinf(p)) {
        // the elements at the max share the gradient evenly (PyTorch's amax-style backward)
        const Tensor at_max = detail::zip_floating("norm_backward", abs(x), expand(yk, x.shape()),
                                                   [](auto u, auto v) { return decltype(u)(u == v ? 1 : 0); });
        std::vector<std::int64_t> axes;
        for (std::size_t d = 0; d < mask.size(); ++d)
          if (mask[d]) axes.push_back(static_cast<std::int64_t>(d));
        const Tensor count = sum(at_max, axes, true);
        return one(mul(mul(sign(x), at_max), div(gk, count)));
      }
      if (p == 1) return one(mul(sign(x), gk));
      // x·|x|^(p−2)·g/‖x‖^(p−1), written sign(x)|x|^(p−1) so x = 0 gives 0; 0 where ‖x‖ = 0
      const Tensor scale = detail::where_mask(zero_norm, zeros_like(gk), div(gk, p == 2 ? yk : pow(yk, p - 1)));
      const Tensor direction = p == 2 ? x : mul(sign(x), pow(abs(x), p - 1));
      return one(mul(direction, scale));
    });
    // recorded ops on g and the saved tensors; the zeros fallback refuses create_graph
  }
  return out;
}

// ---- scans ---------------------------------------------------------------------------------------

Tensor cumsum(const Tensor& x, std::int64_t dim) {
  detail::check_floating("cumsum", x);
  if (x.dim() == 0) {
    normalize_dim("cumsum", dim, 1);
    return add(x, 0.0);
  }
  const std::int64_t d = normalize_dim("cumsum", dim, x.dim());
  Tensor out = empty(x.shape(), x.dtype());
  detail::dispatch_floating("cumsum", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    as_xtensor<T>(out) = xt::cumsum(as_xtensor<T>(x), static_cast<std::ptrdiff_t>(d));
  });
  if (needs_grad({&x})) {
    record(out, "cumsum", {x}, [d](const Tensor& g) { return one(reverse_cumsum(g, d)); });
  }
  return out;
}

Tensor cumprod(const Tensor& x, std::int64_t dim) {
  detail::check_floating("cumprod", x);
  if (x.dim() == 0) {
    normalize_dim("cumprod", dim, 1);
    return mul(x, 1.0);
  }
  const std::int64_t d = normalize_dim("cumprod", dim, x.dim());
  Tensor out = empty(x.shape(), x.dtype());
  detail::dispatch_floating("cumprod", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    as_xtensor<T>(out) = xt::cumprod(as_xtensor<T>(x), static_cast<std::ptrdiff_t>(d));
  });
  if (needs_grad({&x})) {
    record(out, "cumprod", {x}, [x = save_for_backward(x), y = save_for_backward(out), d](const Tensor& g) {
      // ∂/∂x_i = Σ_{j ≥ i} g_j·y_j/x_i without zeros
      if (!has_zero(x)) return one(div(reverse_cumsum(mul(g, y), d), x));
      refuse_create_graph_with_zeros("cumprod");
      // with zeros: Σ_{j ≥ i} g_j·Π_{k ≤ j, k ≠ i} x_k directly (O(n²) per line)
      Tensor grad = empty(x.shape(), x.dtype());
      const detail::DimLines l = detail::dim_lines(x.shape(), d);
      detail::dispatch_floating("cumprod_backward", x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        const T* pg = g.data<T>();
        T* po = grad.data<T>();
        for (std::int64_t line = 0; line < l.count(); ++line) {
          const std::int64_t b = l.base(line);
          T prefix = 1;  // Π_{k < i} x_k
          for (std::int64_t i = 0; i < l.n; ++i) {
            T running = prefix, total = 0;
            for (std::int64_t j = i; j < l.n; ++j) {
              if (j > i) running *= px[b + j * l.inner];
              total += pg[b + j * l.inner] * running;
            }
            po[b + i * l.inner] = total;
            prefix *= px[b + i * l.inner];
          }
        }
      });
      return one(grad);
    });
    // recorded ops on g and the saved tensors; the zeros fallback refuses create_graph
  }
  return out;
}

}  // namespace xg
