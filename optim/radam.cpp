#include "optim/radam.hpp"

#include <cmath>


namespace xg::optim {

RAdam::RAdam(std::vector<Tensor> params, RAdamOptions options)
    : AdamFamily("RAdam", std::move(params), options, /*has_step=*/true) {}

std::vector<Optimizer::BufferSpec> RAdam::buffers_of(const RAdamOptions&) { return {{"exp_avg", true}, {"exp_avg_sq", true}}; }

// Follows torch.optim.RAdam's single-tensor path operation by operation. The scalars (bias
// corrections, ρ, the rectification) are Python floats, i.e. double, rounded to T where they meet a
// tensor; add_/addcmul_ are std::fma (see adam.cpp); `scalar / tensor` is Tensor.__rdiv__, i.e.
// reciprocal(t) · scalar; the products m̂·γ·a·r are evaluated left to right, as written there.
template <typename T>
void RAdam::update_as(std::size_t i, const Tensor& grad, bool) {
  const RAdamOptions& o = options_;
  const double t = static_cast<double>(step_count(i));
  const double beta1 = o.betas_.first, beta2 = o.betas_.second;
  const double bias_correction1 = 1.0 - std::pow(beta1, t), bias_correction2 = 1.0 - std::pow(beta2, t);
  const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
  const double rho_t = rho_inf - 2.0 * t * std::pow(beta2, t) / bias_correction2;
  const bool rectified = rho_t > 5.0;
  const double rect =
      rectified ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0.0;
  const detail::AdamMoments<T> moments(o.betas_, o.weight_decay_);
  const T eps = static_cast<T>(o.eps_);
  const T bc1 = static_cast<T>(bias_correction1), lr = static_cast<T>(o.lr_);
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2)), rect_t = static_cast<T>(rect);
  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* m = buffer(0, i).data<T>();
  T* v = buffer(1, i).data<T>();
  const std::int64_t n = params_[i].numel();
  for (std::int64_t j = 0; j < n; ++j) {
    moments(g[j], p[j], m[j], v[j]);
    const T m_hat = m[j] / bc1;
    T step = m_hat * lr;
    if (rectified) {
      const T adaptive_lr = (T(1) / (std::sqrt(v[j]) + eps)) * bc2_sqrt;
      step = step * adaptive_lr * rect_t;
    }
    p[j] = std::fma(T(-1), step, p[j]);
  }
}

// OptimizerBase::update calls these (defined here, so instantiated here).
template void RAdam::update_as<float>(std::size_t, const Tensor&, bool);
template void RAdam::update_as<double>(std::size_t, const Tensor&, bool);

}  // namespace xg::optim
