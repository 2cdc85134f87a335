#include "optim/radam.hpp"

#include <cmath>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"

namespace xg::optim {

RAdam::RAdam(std::vector<Tensor> params, RAdamOptions options)
    : Optimizer("RAdam", std::move(params), /*has_step=*/true), options_(options) {
  validate_options();
  init_state_slots();
}

void RAdam::validate_options() const {
  detail::check_adam_options(name(), options_.lr_, options_.eps_, options_.betas_, options_.weight_decay_);
}

std::vector<Optimizer::Hyperparameter> RAdam::hyperparameters() {
  return {{"lr", &options_.lr_},
          {"betas.0", &options_.betas_.first},
          {"betas.1", &options_.betas_.second},
          {"eps", &options_.eps_},
          {"weight_decay", &options_.weight_decay_}};
}

std::vector<Optimizer::BufferSpec> RAdam::buffer_specs() const { return {{"exp_avg", true}, {"exp_avg_sq", true}}; }

void RAdam::update(std::size_t i, const Tensor& grad) {
  xg::detail::dispatch_floating("RAdam.step", params_[i].dtype(), [&](auto tag) { update_as<decltype(tag)>(i, grad); });
}

// Follows torch.optim.RAdam's single-tensor path operation by operation. The scalars (bias
// corrections, ρ, the rectification) are Python floats, i.e. double, rounded to T where they meet a
// tensor; add_/addcmul_ are std::fma (see adam.cpp); `scalar / tensor` is Tensor.__rdiv__, i.e.
// reciprocal(t) · scalar; the products m̂·γ·a·r are evaluated left to right, as written there.
template <typename T>
void RAdam::update_as(std::size_t i, const Tensor& grad) {
  const RAdamOptions& o = options_;
  if (!has_state(i)) {
    buffer(0, i) = zeros(params_[i].shape(), params_[i].dtype());
    buffer(1, i) = zeros(params_[i].shape(), params_[i].dtype());
    mark_state(i);
  }
  const double t = static_cast<double>(increment_step(i));
  const double beta1 = o.betas_.first, beta2 = o.betas_.second;
  const double bias_correction1 = 1.0 - std::pow(beta1, t), bias_correction2 = 1.0 - std::pow(beta2, t);
  const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
  const double rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / bias_correction2;
  const bool rectified = rho_t > 5.0;
  const double rect =
      rectified ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0.0;
  const T b1 = static_cast<T>(beta1), one_minus_b1 = static_cast<T>(1.0 - beta1);
  const T b2 = static_cast<T>(beta2), one_minus_b2 = static_cast<T>(1.0 - beta2);
  const T weight_decay = static_cast<T>(o.weight_decay_), eps = static_cast<T>(o.eps_);
  const T bc1 = static_cast<T>(bias_correction1), lr = static_cast<T>(o.lr_);
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2)), rect_t = static_cast<T>(rect);
  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* m = buffer(0, i).data<T>();
  T* v = buffer(1, i).data<T>();
  const std::int64_t n = params_[i].numel();
  for (std::int64_t j = 0; j < n; ++j) {
    T d = g[j];
    if (o.weight_decay_ != 0.0) d = std::fma(weight_decay, p[j], d);
    m[j] = std::fma(one_minus_b1, d, m[j] * b1);
    v[j] = std::fma(one_minus_b2 * d, d, v[j] * b2);
    const T m_hat = m[j] / bc1;
    T step = m_hat * lr;
    if (rectified) {
      const T adaptive_lr = (T(1) / (std::sqrt(v[j]) + eps)) * bc2_sqrt;
      step = step * adaptive_lr * rect_t;
    }
    p[j] = std::fma(T(-1), step, p[j]);
  }
}

}  // namespace xg::optim
