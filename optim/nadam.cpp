#include "optim/nadam.hpp"

#include <cmath>
#include <stdexcept>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"

namespace xg::optim {

NAdam::NAdam(std::vector<Tensor> params, NAdamOptions options)
    : Optimizer("NAdam", std::move(params), /*has_step=*/true), options_(options) {
  validate_options();
  init_state_slots();
}

void NAdam::validate_options() const {
  detail::check_adam_options(name(), options_.lr_, options_.eps_, options_.betas_, options_.weight_decay_);
  if (!(options_.momentum_decay_ >= 0))
    throw std::invalid_argument("NAdam: momentum_decay must be ≥ 0, got " + std::to_string(options_.momentum_decay_));
}

std::vector<Optimizer::Hyperparameter> NAdam::hyperparameters() {
  return {{"lr", &options_.lr_},
          {"betas.0", &options_.betas_.first},
          {"betas.1", &options_.betas_.second},
          {"eps", &options_.eps_},
          {"weight_decay", &options_.weight_decay_},
          {"momentum_decay", &options_.momentum_decay_}};
}

std::vector<Optimizer::BufferSpec> NAdam::buffer_specs() const {
  return {{"exp_avg", true}, {"exp_avg_sq", true}, {"mu_product", true, /*scalar=*/true}};
}

void NAdam::update(std::size_t i, const Tensor& grad) {
  xg::detail::dispatch_floating("NAdam.step", params_[i].dtype(), [&](auto tag) { update_as<decltype(tag)>(i, grad); });
}

// Follows torch.optim.NAdam's single-tensor path operation by operation (conventions of
// adam.cpp: add_(x, alpha) = fma, addcmul_ = fma(value·a, b, self), addcdiv_ = self + (value·a)/b).
// mu_product is PyTorch's float32 0-dim tensor (torch.tensor(1.)): Πₜ = Πₜ₋₁·μₜ is rounded to
// its dtype, then read back as a Python float.
template <typename T>
void NAdam::update_as(std::size_t i, const Tensor& grad) {
  const NAdamOptions& o = options_;
  if (!has_state(i)) {
    buffer(0, i) = zeros(params_[i].shape(), params_[i].dtype());
    buffer(1, i) = zeros(params_[i].shape(), params_[i].dtype());
    buffer(2, i) = ones({}, kFloat32);
    mark_state(i);
  }
  const double t = static_cast<double>(increment_step(i));
  const double beta1 = o.betas_.first, beta2 = o.betas_.second;
  const double bias_correction2 = 1.0 - std::pow(beta2, t);
  const double mu = beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay_));
  const double mu_next = beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay_));
  // PyTorch 1.13 computes Πₜ₊₁ as the tensor Πₜ·μₜ·μₜ₊₁ (μₜ counted twice: fixed in later
  // releases); we keep 1.13's numbers, in the tensor's dtype.
  Tensor& mu_product_t = buffer(2, i);
  double mu_product = 0, mu_product_next = 0;
  xg::detail::dispatch_floating("NAdam.step", mu_product_t.dtype(), [&](auto tag) {
    using M = decltype(tag);
    M* stored = mu_product_t.data<M>();
    *stored = *stored * static_cast<M>(mu);
    mu_product = static_cast<double>(*stored);
    mu_product_next = static_cast<double>(*stored * static_cast<M>(mu) * static_cast<M>(mu_next));
  });
  const T b1 = static_cast<T>(beta1), one_minus_b1 = static_cast<T>(1.0 - beta1);
  const T b2 = static_cast<T>(beta2), one_minus_b2 = static_cast<T>(1.0 - beta2);
  const T weight_decay = static_cast<T>(o.weight_decay_), eps = static_cast<T>(o.eps_);
  const T bc2 = static_cast<T>(bias_correction2);
  const T grad_step = static_cast<T>(-o.lr_ * (1.0 - mu) / (1.0 - mu_product));
  const T momentum_step = static_cast<T>((-o.lr_ * mu_next) / (1.0 - mu_product_next));
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
    const T denom = std::sqrt(v[j] / bc2) + eps;
    p[j] = p[j] + grad_step * d / denom;
    p[j] = p[j] + momentum_step * m[j] / denom;
  }
}

}  // namespace xg::optim
