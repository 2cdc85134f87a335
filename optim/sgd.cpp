#include "optim/sgd.hpp"

#include <cmath>

#include "autograd/format.hpp"

namespace xg::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : OptimizerBase("SGD", std::move(params), options, /*has_step=*/false) {}

void SGD::check_options(const std::string& optimizer, const SGDOptions& o) {
  detail::check_non_negative(
      optimizer, {{"learning rate", o.lr_}, {"momentum value", o.momentum_}, {"weight_decay value", o.weight_decay_}});
  if (o.nesterov_ && (o.momentum_ <= 0.0 || o.dampening_ != 0.0))
    throw std::invalid_argument("SGD: Nesterov momentum requires a momentum and zero dampening (momentum " +
                                format_number(o.momentum_) + ", dampening " +
                                format_number(o.dampening_) + ")");
}

std::vector<Optimizer::Hyperparameter> SGD::hyperparameters_of(SGDOptions& o) {
  return {{"lr", &o.lr_}, {"momentum", &o.momentum_}, {"dampening", &o.dampening_}, {"weight_decay", &o.weight_decay_}};
}

std::vector<Optimizer::BufferSpec> SGD::buffers_of(const SGDOptions& o) {
  return {{"momentum_buffer", o.momentum_ != 0.0}};
}

// Mirrors torch.optim.SGD's single-tensor path operation by operation, with the scalars rounded
// to T as PyTorch's kernels do: `add_(x, alpha)` is a fused multiply-add in ATen's CPU kernels, so
// it is std::fma here (and nothing else is left for the compiler to contract differently).
template <typename T>
void SGD::update_as(std::size_t i, const Tensor& grad, bool first) {
  const SGDOptions& o = options_;
  const bool use_momentum = o.momentum_ != 0.0;
  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* buf = use_momentum ? buffer(0, i).data<T>() : nullptr;
  const T weight_decay = static_cast<T>(o.weight_decay_);
  const T momentum = static_cast<T>(o.momentum_);
  const T one_minus_dampening = static_cast<T>(1.0 - o.dampening_);
  const T neg_lr = static_cast<T>(-o.lr_);
  const std::int64_t n = params_[i].numel();
  for (std::int64_t j = 0; j < n; ++j) {
    T d = o.maximize_ ? -g[j] : g[j];
    if (o.weight_decay_ != 0.0) d = std::fma(weight_decay, p[j], d);
    if (use_momentum) {
      buf[j] = first ? d : std::fma(one_minus_dampening, d, buf[j] * momentum);
      d = o.nesterov_ ? std::fma(momentum, buf[j], d) : buf[j];
    }
    p[j] = std::fma(neg_lr, d, p[j]);
  }
}

// OptimizerBase::update calls these (defined here, so instantiated here).
template void SGD::update_as<float>(std::size_t, const Tensor&, bool);
template void SGD::update_as<double>(std::size_t, const Tensor&, bool);

}  // namespace xg::optim
