#include "optim/adagrad.hpp"

#include <cmath>


namespace xg::optim {

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions options)
    : OptimizerBase("Adagrad", std::move(params), options, /*has_step=*/true) {
  for (std::size_t i = 0; i < params_.size(); ++i) ensure_state(i);  // PyTorch creates `sum` here
}

void Adagrad::check_options(const std::string& optimizer, const AdagradOptions& o) {
  detail::check_non_negative(optimizer, {{"learning rate", o.lr_},
                                         {"lr_decay value", o.lr_decay_},
                                         {"weight_decay value", o.weight_decay_},
                                         {"initial_accumulator_value value", o.initial_accumulator_value_},
                                         {"epsilon value", o.eps_}});
}

std::vector<Optimizer::Hyperparameter> Adagrad::hyperparameters_of(AdagradOptions& o) {
  return {{"lr", &o.lr_}, {"lr_decay", &o.lr_decay_}, {"weight_decay", &o.weight_decay_},
          {"initial_accumulator_value", &o.initial_accumulator_value_}, {"eps", &o.eps_}};
}

std::vector<Optimizer::BufferSpec> Adagrad::buffers_of(const AdagradOptions& o) {
  return {{"sum", true, /*scalar=*/false, /*initial=*/o.initial_accumulator_value_}};
}

// Follows torch.optim.Adagrad's single-tensor path operation by operation (clr in double; ATen's
// fused add_/addcmul_ kernels are std::fma here, see adam.cpp).
template <typename T>
void Adagrad::update_as(std::size_t i, const Tensor& grad, bool) {
  const AdagradOptions& o = options_;
  const double t = static_cast<double>(step_count(i));
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

// OptimizerBase::update calls these (defined here, so instantiated here).
template void Adagrad::update_as<float>(std::size_t, const Tensor&, bool);
template void Adagrad::update_as<double>(std::size_t, const Tensor&, bool);

}  // namespace xg::optim
