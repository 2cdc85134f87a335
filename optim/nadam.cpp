#include "optim/nadam.hpp"

#include <cmath>
#include <stdexcept>

#include "autograd/detail/kernel_utils.hpp"

namespace xg::optim {

NAdam::NAdam(std::vector<Tensor> params, NAdamOptions options)
    : AdamFamily("NAdam", std::move(params), options, /*has_step=*/true) {}

void NAdam::check_options(const std::string& optimizer, const NAdamOptions& o) {
  AdamFamily::check_options(optimizer, o);
  if (!(o.momentum_decay_ >= 0))
    throw std::invalid_argument(optimizer + ": momentum_decay must be ≥ 0, got " + std::to_string(o.momentum_decay_));
}

std::vector<Optimizer::Hyperparameter> NAdam::hyperparameters_of(NAdamOptions& o) {
  std::vector<Hyperparameter> all = AdamFamily::hyperparameters_of(o);
  all.push_back({"momentum_decay", &o.momentum_decay_});
  return all;
}

std::vector<Optimizer::BufferSpec> NAdam::buffers_of(const NAdamOptions&) {
  return {{"exp_avg", true}, {"exp_avg_sq", true}, {"mu_product", true, /*scalar=*/true, /*initial=*/1.0}};
}

// Follows torch.optim.NAdam's single-tensor path operation by operation (conventions of
// adam.cpp: add_(x, alpha) = fma, addcmul_ = fma(value·a, b, self), addcdiv_ = self + (value·a)/b).
// mu_product is PyTorch's float32 0-dim tensor (torch.tensor(1.)): Πₜ = Πₜ₋₁·μₜ is rounded to
// its dtype, then read back as a Python float.
template <typename T>
void NAdam::update_as(std::size_t i, const Tensor& grad, bool) {
  const NAdamOptions& o = options_;
  const double t = static_cast<double>(step_count(i));
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
  const detail::AdamMoments<T> moments(o.betas_, o.weight_decay_);
  const T eps = static_cast<T>(o.eps_);
  const T bc2 = static_cast<T>(bias_correction2);
  const T grad_step = static_cast<T>(-o.lr_ * (1.0 - mu) / (1.0 - mu_product));
  const T momentum_step = static_cast<T>((-o.lr_ * mu_next) / (1.0 - mu_product_next));
  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* m = buffer(0, i).data<T>();
  T* v = buffer(1, i).data<T>();
  const std::int64_t n = params_[i].numel();
  for (std::int64_t j = 0; j < n; ++j) {
    const T d = moments(g[j], p[j], m[j], v[j]);
    const T denom = std::sqrt(v[j] / bc2) + eps;
    p[j] = p[j] + grad_step * d / denom;
    p[j] = p[j] + momentum_step * m[j] / denom;
  }
}

// OptimizerBase::update calls these (defined here, so instantiated here).
template void NAdam::update_as<float>(std::size_t, const Tensor&, bool);
template void NAdam::update_as<double>(std::size_t, const Tensor&, bool);

}  // namespace xg::optim
