#include "optim/rmsprop.hpp"

#include <cmath>


namespace xg::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : OptimizerBase("RMSprop", std::move(params), options, /*has_step=*/true) {}

void RMSprop::check_options(const std::string& optimizer, const RMSpropOptions& o) {
  detail::check_non_negative(optimizer, {{"learning rate", o.lr_},
                                         {"epsilon value", o.eps_},
                                         {"momentum value", o.momentum_},
                                         {"weight_decay value", o.weight_decay_},
                                         {"alpha value", o.alpha_}});
}

std::vector<Optimizer::Hyperparameter> RMSprop::hyperparameters_of(RMSpropOptions& o) {
  return {{"lr", &o.lr_}, {"alpha", &o.alpha_}, {"eps", &o.eps_}, {"weight_decay", &o.weight_decay_},
          {"momentum", &o.momentum_}};
}

std::vector<Optimizer::BufferSpec> RMSprop::buffers_of(const RMSpropOptions& o) {
  return {{"square_avg", true}, {"momentum_buffer", o.momentum_ > 0.0}, {"grad_avg", o.centered_}};
}

// Follows torch.optim.RMSprop's single-tensor path operation by operation (scalars rounded to T;
// ATen's fused add_/addcmul_ kernels are std::fma here, see adam.cpp).
template <typename T>
void RMSprop::update_as(std::size_t i, const Tensor& grad, bool) {
  const RMSpropOptions& o = options_;
  const bool use_momentum = o.momentum_ > 0.0;
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

// OptimizerBase::update calls these (defined here, so instantiated here).
template void RMSprop::update_as<float>(std::size_t, const Tensor&, bool);
template void RMSprop::update_as<double>(std::size_t, const Tensor&, bool);

}  // namespace xg::optim
