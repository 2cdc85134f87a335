#include "optim/rmsprop.hpp"

#include <cmath>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"

namespace xg::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : Optimizer("RMSprop", std::move(params), /*has_step=*/true), options_(options) {
  validate_options();
  init_state_slots();
}

void RMSprop::validate_options() const {
  const RMSpropOptions& o = options_;
  if (!(o.lr_ >= 0.0)) detail::throw_invalid_option(name(), "learning rate", o.lr_);
  if (!(o.eps_ >= 0.0)) detail::throw_invalid_option(name(), "epsilon value", o.eps_);
  if (!(o.momentum_ >= 0.0)) detail::throw_invalid_option(name(), "momentum value", o.momentum_);
  if (!(o.weight_decay_ >= 0.0)) detail::throw_invalid_option(name(), "weight_decay value", o.weight_decay_);
  if (!(o.alpha_ >= 0.0)) detail::throw_invalid_option(name(), "alpha value", o.alpha_);
}

std::vector<Optimizer::Hyperparameter> RMSprop::hyperparameters() {
  return {{"lr", &options_.lr_},
          {"alpha", &options_.alpha_},
          {"eps", &options_.eps_},
          {"weight_decay", &options_.weight_decay_},
          {"momentum", &options_.momentum_}};
}

std::vector<Optimizer::BufferSpec> RMSprop::buffer_specs() const {
  return {{"square_avg", true}, {"momentum_buffer", options_.momentum_ > 0.0}, {"grad_avg", options_.centered_}};
}

void RMSprop::update(std::size_t i, const Tensor& grad) {
  xg::detail::dispatch_floating("RMSprop.step", params_[i].dtype(), [&](auto tag) { update_as<decltype(tag)>(i, grad); });
}

// Follows torch.optim.RMSprop's single-tensor path operation by operation (scalars rounded to T;
// ATen's fused add_/addcmul_ kernels are std::fma here, see adam.cpp).
template <typename T>
void RMSprop::update_as(std::size_t i, const Tensor& grad) {
  const RMSpropOptions& o = options_;
  const bool use_momentum = o.momentum_ > 0.0;
  if (!has_state(i)) {
    buffer(0, i) = zeros(params_[i].shape(), params_[i].dtype());
    if (use_momentum) buffer(1, i) = zeros(params_[i].shape(), params_[i].dtype());
    if (o.centered_) buffer(2, i) = zeros(params_[i].shape(), params_[i].dtype());
    mark_state(i);
  }
  increment_step(i);
  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* square_avg = buffer(0, i).data<T>();
  T* buf = use_momentum ? buffer(1, i).data<T>() : nullptr;
  T* grad_avg = o.centered_ ? buffer(2, i).data<T>() : nullptr;
  const T alpha = static_cast<T>(o.alpha_), one_minus_alpha = static_cast<T>(1.0 - o.alpha_);
  const T weight_decay = static_cast<T>(o.weight_decay_);
  const T momentum = static_cast<T>(o.momentum_);
  const T eps = static_cast<T>(o.eps_);
  const T neg_lr = static_cast<T>(-o.lr_);
  const std::int64_t n = params_[i].numel();
  for (std::int64_t j = 0; j < n; ++j) {
    T gj = o.maximize_ ? -g[j] : g[j];
    if (o.weight_decay_ != 0.0) gj = std::fma(weight_decay, p[j], gj);
    square_avg[j] = std::fma(one_minus_alpha * gj, gj, square_avg[j] * alpha);
    T avg;
    if (grad_avg) {
      grad_avg[j] = std::fma(one_minus_alpha, gj, grad_avg[j] * alpha);
      avg = std::sqrt(std::fma(-grad_avg[j], grad_avg[j], square_avg[j]));
    } else {
      avg = std::sqrt(square_avg[j]);
    }
    avg = avg + eps;
    if (buf) {
      // mul_ then addcdiv_: the product is rounded before the add, so keep the compiler from
      // contracting it into an fma.
      volatile T scaled = buf[j] * momentum;
      buf[j] = scaled + gj / avg;
      p[j] = std::fma(neg_lr, buf[j], p[j]);
    } else {
      p[j] = p[j] + neg_lr * gj / avg;
    }
  }
}

}  // namespace xg::optim
