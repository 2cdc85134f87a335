#include "optim/adagrad.hpp"

#include <cmath>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"

namespace xg::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions options)
    : Optimizer("Adagrad", std::move(params), /*has_step=*/true), options_(options) {
  validate_options();
  init_state_slots();
  for (std::size_t i = 0; i < params_.size(); ++i) init_state(i);
}

void Adagrad::init_state(std::size_t i) {
  buffer(0, i) = full(params_[i].shape(), options_.initial_accumulator_value_, params_[i].dtype());
  mark_state(i);
}

void Adagrad::validate_options() const {
  const AdagradOptions& o = options_;
  if (!(o.lr_ >= 0.0)) detail::throw_invalid_option(name(), "learning rate", o.lr_);
  if (!(o.lr_decay_ >= 0.0)) detail::throw_invalid_option(name(), "lr_decay value", o.lr_decay_);
  if (!(o.weight_decay_ >= 0.0)) detail::throw_invalid_option(name(), "weight_decay value", o.weight_decay_);
  if (!(o.initial_accumulator_value_ >= 0.0))
    detail::throw_invalid_option(name(), "initial_accumulator_value value", o.initial_accumulator_value_);
  if (!(o.eps_ >= 0.0)) detail::throw_invalid_option(name(), "epsilon value", o.eps_);
}

std::vector<Optimizer::Hyperparameter> Adagrad::hyperparameters() {
  return {{"lr", &options_.lr_},
          {"lr_decay", &options_.lr_decay_},
          {"weight_decay", &options_.weight_decay_},
          {"initial_accumulator_value", &options_.initial_accumulator_value_},
          {"eps", &options_.eps_}};
}

std::vector<Optimizer::BufferSpec> Adagrad::buffer_specs() const { return {{"sum", true}}; }

void Adagrad::update(std::size_t i, const Tensor& grad) {
  xg::detail::dispatch_floating("Adagrad.step", params_[i].dtype(), [&](auto tag) { update_as<decltype(tag)>(i, grad); });
}

// Follows torch.optim.Adagrad's single-tensor path operation by operation (clr in double; ATen's
// fused add_/addcmul_ kernels are std::fma here, see adam.cpp).
template <typename T>
void Adagrad::update_as(std::size_t i, const Tensor& grad) {
  const AdagradOptions& o = options_;
  if (!has_state(i)) init_state(i);  // after loading a state dict without this parameter's entries
  const double t = static_cast<double>(increment_step(i));
  const double clr = o.lr_ / (1.0 + (t - 1.0) * o.lr_decay_);
  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* sum = buffer(0, i).data<T>();
  const T weight_decay = static_cast<T>(o.weight_decay_);
  const T eps = static_cast<T>(o.eps_);
  const T neg_clr = static_cast<T>(-clr);
  const std::int64_t n = params_[i].numel();
  for (std::int64_t j = 0; j < n; ++j) {
    T gj = o.maximize_ ? -g[j] : g[j];
    if (o.weight_decay_ != 0.0) gj = std::fma(weight_decay, p[j], gj);
    sum[j] = std::fma(gj, gj, sum[j]);
    const T std_dev = std::sqrt(sum[j]) + eps;
    p[j] = p[j] + neg_clr * gj / std_dev;
  }
}

}  // namespace xg::optim
