#include "optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/detail/kernel_utils.hpp"
#include "autograd/format.hpp"
#include "autograd/grad_mode.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

namespace {

// ‖g‖ₚ of one gradient, accumulated in double.
double grad_norm(const Tensor& g, double p) {
  return xg::detail::dispatch_floating("clip_grad_norm_", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* d = g.data<T>();
    const std::int64_t n = g.numel();
    double acc = 0.0;
    if (std::isinf(p)) {
      for (std::int64_t j = 0; j < n; ++j) {
        const double a = std::abs(static_cast<double>(d[j]));
        if (std::isnan(a)) return a;
        acc = std::max(acc, a);
      }
      return acc;
    }
    if (p == 2.0) {
      // Eight independent partial sums (a fixed order, so the result is still deterministic): one
      // running sum is a chain of dependent adds, 4× slower, and this runs over every gradient
      // each step (5 % of a batch-1 char-RNN step before).
      double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::int64_t j = 0;
      for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; ++l) part[l] += static_cast<double>(d[j + l]) * static_cast<double>(d[j + l]);
      for (; j < n; ++j) part[0] += static_cast<double>(d[j]) * static_cast<double>(d[j]);
      for (double v : part) acc += v;
      return std::sqrt(acc);
    }
    for (std::int64_t j = 0; j < n; ++j) acc += std::pow(std::abs(static_cast<double>(d[j])), p);
    return std::pow(acc, 1.0 / p);
  });
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(max_norm >= 0.0))
    throw std::invalid_argument("clip_grad_norm_: max_norm must be non-negative, got " + format_number(max_norm));
  if (!(norm_type > 0.0))
    throw std::invalid_argument("clip_grad_norm_: unsupported norm_type " + format_number(norm_type) +
                                " (expected a positive number or inf)");
  std::vector<Tensor> grads;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!params[i].defined())
      throw std::invalid_argument("clip_grad_norm_: parameter " + std::to_string(i) + " is an undefined tensor");
    Tensor g = params[i].grad();
    if (g.defined()) grads.push_back(g);
  }
  if (grads.empty()) return 0.0;

  double total = 0.0;
  if (std::isinf(norm_type)) {
    for (const Tensor& g : grads) {
      const double n = grad_norm(g, norm_type);
      total = std::isnan(n) || std::isnan(total) ? std::nan("") : std::max(total, n);
    }
  } else {
    double acc = 0.0;
    for (const Tensor& g : grads) acc += std::pow(grad_norm(g, norm_type), norm_type);
    total = std::pow(acc, 1.0 / norm_type);
  }
  if (error_if_nonfinite && !std::isfinite(total))
    throw std::runtime_error("clip_grad_norm_: the total norm of order " + format_number(norm_type) +
                             " for gradients from `parameters` is non-finite (" + format_number(total) +
                             "), so it cannot be clipped. To scale the gradients by the non-finite norm anyway, "
                             "set error_if_nonfinite=false");
  const double coef = max_norm / (total + 1e-6);
  if (coef >= 1.0) return total;  // PyTorch multiplies by the coefficient clamped to 1: a no-op
  NoGradGuard no_grad;
  for (Tensor& g : grads) {
    xg::detail::dispatch_floating("clip_grad_norm_", g.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* d = g.data<T>();
      const T c = static_cast<T>(coef);
      for (std::int64_t j = 0; j < g.numel(); ++j) d[j] = d[j] * c;
    });
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double value) {
  if (!(value >= 0.0))
    throw std::invalid_argument("clip_grad_value_: clip value must be non-negative, got " + format_number(value));
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!params[i].defined())
      throw std::invalid_argument("clip_grad_value_: parameter " + std::to_string(i) + " is an undefined tensor");
    Tensor g = params[i].grad();
    if (!g.defined()) continue;
    xg::detail::dispatch_floating("clip_grad_value_", g.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* d = g.data<T>();
      const T hi = static_cast<T>(value), lo = -hi;
      // clamp keeps NaN, as torch.clamp does.
      for (std::int64_t j = 0; j < g.numel(); ++j) d[j] = d[j] < lo ? lo : (d[j] > hi ? hi : d[j]);
    });
  }
}

}  // namespace xg::optim
