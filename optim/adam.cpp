#include "optim/adam.hpp"

#include <cmath>

#include "autograd/creation.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/kernel_utils.hpp"

namespace xg::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam("Adam", std::move(params), options, false) {}

Adam::Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled)
    : Optimizer(std::move(name), std::move(params), /*has_step=*/true), options_(options), decoupled_(decoupled) {
  validate_options();
  init_state_slots();
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options) : Adam("AdamW", std::move(params), options, true) {}

void Adam::validate_options() const {
  const AdamOptions& o = options_;
  if (!(o.lr_ >= 0.0)) detail::throw_invalid_option(name(), "learning rate", o.lr_);
  if (!(o.eps_ >= 0.0)) detail::throw_invalid_option(name(), "epsilon value", o.eps_);
  if (!(o.betas_.first >= 0.0 && o.betas_.first < 1.0))
    detail::throw_invalid_option(name(), "beta parameter at index 0", o.betas_.first);
  if (!(o.betas_.second >= 0.0 && o.betas_.second < 1.0))
    detail::throw_invalid_option(name(), "beta parameter at index 1", o.betas_.second);
  if (!(o.weight_decay_ >= 0.0)) detail::throw_invalid_option(name(), "weight_decay value", o.weight_decay_);
}

std::vector<Optimizer::Hyperparameter> Adam::hyperparameters() {
  return {{"lr", &options_.lr_},
          {"betas.0", &options_.betas_.first},
          {"betas.1", &options_.betas_.second},
          {"eps", &options_.eps_},
          {"weight_decay", &options_.weight_decay_}};
}

std::vector<Optimizer::BufferSpec> Adam::buffer_specs() const {
  return {{"exp_avg", true}, {"exp_avg_sq", true}, {"max_exp_avg_sq", options_.amsgrad_}};
}

void Adam::step() {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor grad = params_[i].grad();
    if (!grad.defined()) continue;
    xg::detail::dispatch_floating("Adam.step", params_[i].dtype(), [&](auto tag) { update<decltype(tag)>(i, grad); });
  }
}

// Follows torch.optim.Adam's single-tensor path operation by operation: the bias corrections and
// step size are computed in double (Python floats) and rounded to T once, as PyTorch does, and
// ATen's fused kernels are std::fma here: add_(x, alpha) = fma(alpha, x, self) and
// addcmul_(a, b, value) = fma(value·a, b, self); addcdiv_ is self + (value·a)/b, unfused.
template <typename T>
void Adam::update(std::size_t i, const Tensor& grad) {
  const AdamOptions& o = options_;
  if (!has_state(i)) {
    buffer(0, i) = zeros(params_[i].shape(), params_[i].dtype());
    buffer(1, i) = zeros(params_[i].shape(), params_[i].dtype());
    if (o.amsgrad_) buffer(2, i) = zeros(params_[i].shape(), params_[i].dtype());
    mark_state(i);
  }
  const double t = static_cast<double>(increment_step(i));
  const double beta1 = o.betas_.first, beta2 = o.betas_.second;
  const double bias_correction1 = 1.0 - std::pow(beta1, t);
  const double bias_correction2 = 1.0 - std::pow(beta2, t);

  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* m = buffer(0, i).data<T>();
  T* v = buffer(1, i).data<T>();
  T* v_max = o.amsgrad_ ? buffer(2, i).data<T>() : nullptr;
  const T b1 = static_cast<T>(beta1), one_minus_b1 = static_cast<T>(1.0 - beta1);
  const T b2 = static_cast<T>(beta2), one_minus_b2 = static_cast<T>(1.0 - beta2);
  const T weight_decay = static_cast<T>(o.weight_decay_);
  const T decay = static_cast<T>(1.0 - o.lr_ * o.weight_decay_);
  const T neg_step_size = static_cast<T>(-(o.lr_ / bias_correction1));
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T eps = static_cast<T>(o.eps_);
  const bool coupled_decay = !decoupled_ && o.weight_decay_ != 0.0;
  const bool decoupled = decoupled_, maximize = o.maximize_;
  // Elementwise, so splitting it over two threads cannot change a bit.
  const std::int64_t n = params_[i].numel();
  xg::detail::parallel_range(n, xg::detail::kParallelElements, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j) {
      if (decoupled) p[j] = p[j] * decay;
      T gj = maximize ? -g[j] : g[j];
      if (coupled_decay) gj = std::fma(weight_decay, p[j], gj);
      m[j] = std::fma(one_minus_b1, gj, m[j] * b1);
      v[j] = std::fma(one_minus_b2 * gj, gj, v[j] * b2);
      T second = v[j];
      if (v_max) {
        // torch.maximum propagates NaN from either side.
        if (!std::isnan(v_max[j]) && !(v_max[j] >= second)) v_max[j] = second;
        second = v_max[j];
      }
      const T denom = std::sqrt(second) / bias_correction2_sqrt + eps;
      p[j] = p[j] + neg_step_size * m[j] / denom;
    }
  });
}

}  // namespace xg::optim
