#include "optim/sgd.hpp"

#include <cmath>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/format.hpp"

namespace xg::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer("SGD", std::move(params), /*has_step=*/false), options_(options) {
  validate_options();
  init_state_slots();
}

void SGD::validate_options() const {
  const SGDOptions& o = options_;
  if (!(o.lr_ >= 0.0)) detail::throw_invalid_option(name(), "learning rate", o.lr_);
  if (!(o.momentum_ >= 0.0)) detail::throw_invalid_option(name(), "momentum value", o.momentum_);
  if (!(o.weight_decay_ >= 0.0)) detail::throw_invalid_option(name(), "weight_decay value", o.weight_decay_);
  if (o.nesterov_ && (o.momentum_ <= 0.0 || o.dampening_ != 0.0))
    throw std::invalid_argument("SGD: Nesterov momentum requires a momentum and zero dampening (momentum " +
                                format_number(o.momentum_) + ", dampening " +
                                format_number(o.dampening_) + ")");
}

std::vector<Optimizer::Hyperparameter> SGD::hyperparameters() {
  return {{"lr", &options_.lr_},
          {"momentum", &options_.momentum_},
          {"dampening", &options_.dampening_},
          {"weight_decay", &options_.weight_decay_}};
}

std::vector<Optimizer::BufferSpec> SGD::buffer_specs() const { return {{"momentum_buffer", options_.momentum_ != 0.0}}; }

void SGD::update(std::size_t i, const Tensor& grad) {
  xg::detail::dispatch_floating("SGD.step", params_[i].dtype(), [&](auto tag) { update_as<decltype(tag)>(i, grad); });
}

// Mirrors torch.optim.SGD's single-tensor path operation by operation, with the scalars rounded
// to T as PyTorch's kernels do: `add_(x, alpha)` is a fused multiply-add in ATen's CPU kernels, so
// it is std::fma here (and nothing else is left for the compiler to contract differently).
template <typename T>
void SGD::update_as(std::size_t i, const Tensor& grad) {
  const SGDOptions& o = options_;
  const bool use_momentum = o.momentum_ != 0.0;
  const bool first = use_momentum && !has_state(i);
  if (first) {
    buffer(0, i) = empty(params_[i].shape(), params_[i].dtype());
    mark_state(i);
  }
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

}  // namespace xg::optim
