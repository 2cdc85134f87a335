#include "optim/adamax.hpp"

#include <cmath>


namespace xg::optim {

Adamax::Adamax(std::vector<Tensor> params, AdamaxOptions options)
    : AdamFamily("Adamax", std::move(params), options, /*has_step=*/true) {}

std::vector<Optimizer::BufferSpec> Adamax::buffers_of(const AdamaxOptions&) { return {{"exp_avg", true}, {"exp_inf", true}}; }

// Follows torch.optim.Adamax's single-tensor path operation by operation: clr in double, the
// scalars rounded to T once; add_(x, alpha) is std::fma (see adam.cpp), the infinity norm is
// torch.amax of (β₂u, |g| + ε), which propagates NaN, and addcdiv_ is θ + (−clr·m)/u.
template <typename T>
void Adamax::update_as(std::size_t i, const Tensor& grad, bool) {
  const AdamaxOptions& o = options_;
  const double t = static_cast<double>(step_count(i));
  const double beta1 = o.betas_.first;
  const T b1 = static_cast<T>(beta1), one_minus_b1 = static_cast<T>(1.0 - beta1);
  const T b2 = static_cast<T>(o.betas_.second), eps = static_cast<T>(o.eps_);
  const T weight_decay = static_cast<T>(o.weight_decay_);
  const T neg_clr = static_cast<T>(-(o.lr_ / (1.0 - std::pow(beta1, t))));
  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* m = buffer(0, i).data<T>();
  T* u = buffer(1, i).data<T>();
  const std::int64_t n = params_[i].numel();
  for (std::int64_t j = 0; j < n; ++j) {
    T d = o.maximize_ ? -g[j] : g[j];
    if (o.weight_decay_ != 0.0) d = std::fma(weight_decay, p[j], d);
    m[j] = std::fma(one_minus_b1, d, m[j] * b1);
    const T decayed = u[j] * b2, bound = std::abs(d) + eps;
    u[j] = std::isnan(decayed) || std::isnan(bound) ? decayed + bound : (decayed >= bound ? decayed : bound);
    p[j] = p[j] + neg_clr * m[j] / u[j];
  }
}

// OptimizerBase::update calls these (defined here, so instantiated here).
template void Adamax::update_as<float>(std::size_t, const Tensor&, bool);
template void Adamax::update_as<double>(std::size_t, const Tensor&, bool);

}  // namespace xg::optim
