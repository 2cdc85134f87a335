#include "optim/adam.hpp"

#include <cmath>

#include "autograd/detail/simd.hpp"

namespace xg::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam("Adam", std::move(params), options, false) {}

Adam::Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled)
    : AdamFamily(std::move(name), std::move(params), options, /*has_step=*/true), decoupled_(decoupled) {}

namespace {
AdamOptions as_adam_options(const AdamWOptions& o) {
  return AdamOptions(o.lr()).betas(o.betas()).eps(o.eps()).weight_decay(o.weight_decay()).amsgrad(o.amsgrad()).maximize(
      o.maximize());
}
}  // namespace

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : Adam("AdamW", std::move(params), as_adam_options(options), true) {}

void detail::check_adam_options(const std::string& optimizer, double lr, double eps, const Betas& betas,
                                double weight_decay) {
  if (!(lr >= 0.0)) throw_invalid_option(optimizer, "learning rate", lr);
  if (!(eps >= 0.0)) throw_invalid_option(optimizer, "epsilon value", eps);
  if (!(betas.first >= 0.0 && betas.first < 1.0)) throw_invalid_option(optimizer, "beta parameter at index 0", betas.first);
  if (!(betas.second >= 0.0 && betas.second < 1.0))
    throw_invalid_option(optimizer, "beta parameter at index 1", betas.second);
  if (!(weight_decay >= 0.0)) throw_invalid_option(optimizer, "weight_decay value", weight_decay);
}

std::vector<Optimizer::Hyperparameter> detail::adam_hyperparameters(double& lr, Betas& betas, double& eps,
                                                                    double& weight_decay) {
  return {{"lr", &lr}, {"betas.0", &betas.first}, {"betas.1", &betas.second}, {"eps", &eps},
          {"weight_decay", &weight_decay}};
}

std::vector<Optimizer::BufferSpec> Adam::buffers_of(const AdamOptions& o) {
  return {{"exp_avg", true}, {"exp_avg_sq", true}, {"max_exp_avg_sq", o.amsgrad_}};
}

namespace {

// Per-tensor constants of one Adam step, rounded to T once (see update below).
template <typename T>
struct AdamConstants {
  bool decoupled, maximize, coupled_decay;
  T decay, weight_decay, b1, one_minus_b1, b2, one_minus_b2, neg_step_size, bias_correction2_sqrt, eps;
};

template <typename T>
T choose(bool c, T a, T b) {
  return c ? a : b;
}
template <typename T, typename A>
xsimd::batch<T, A> choose(const xsimd::batch_bool<T, A>& c, const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b) {
  return xsimd::select(c, a, b);
}

// One element (V = T) or one SIMD batch (V = xsimd::batch<T>) of the update: the same
// operations in the same order either way, so vectorising cannot change a bit.
template <typename V, typename T>
void adam_element(V& p, V g, V& m, V& v, V* v_max, const AdamConstants<T>& k) {
  if (k.decoupled) p = p * V(k.decay);
  V gj = k.maximize ? -g : g;
  if (k.coupled_decay) gj = xsimd::fma(V(k.weight_decay), p, gj);
  m = xsimd::fma(V(k.one_minus_b1), gj, m * V(k.b1));
  v = xsimd::fma(V(k.one_minus_b2) * gj, gj, v * V(k.b2));
  V second = v;
  if (v_max) {
    // torch.maximum propagates NaN from either side.
    *v_max = choose(xsimd::isnan(*v_max), *v_max, choose(*v_max >= second, *v_max, second));
    second = *v_max;
  }
  const V denom = xsimd::sqrt(second) / V(k.bias_correction2_sqrt) + V(k.eps);
  p = p + V(k.neg_step_size) * m / denom;
}

}  // namespace

// Follows torch.optim.Adam's single-tensor path operation by operation: the bias corrections and
// step size are computed in double (Python floats) and rounded to T once, as PyTorch does, and
// ATen's fused kernels are std::fma here: add_(x, alpha) = fma(alpha, x, self) and
// addcmul_(a, b, value) = fma(value·a, b, self); addcdiv_ is self + (value·a)/b, unfused.
template <typename T>
void Adam::update_as(std::size_t i, const Tensor& grad, bool) {
  const AdamOptions& o = options_;
  const double t = static_cast<double>(step_count(i));
  const double beta1 = o.betas_.first, beta2 = o.betas_.second;
  const double bias_correction1 = 1.0 - std::pow(beta1, t);
  const double bias_correction2 = 1.0 - std::pow(beta2, t);
  const AdamConstants<T> k{decoupled_,
                           o.maximize_,
                           !decoupled_ && o.weight_decay_ != 0.0,
                           static_cast<T>(1.0 - o.lr_ * o.weight_decay_),
                           static_cast<T>(o.weight_decay_),
                           static_cast<T>(beta1),
                           static_cast<T>(1.0 - beta1),
                           static_cast<T>(beta2),
                           static_cast<T>(1.0 - beta2),
                           static_cast<T>(-(o.lr_ / bias_correction1)),
                           static_cast<T>(std::sqrt(bias_correction2)),
                           static_cast<T>(o.eps_)};

  T* p = params_[i].data<T>();
  const T* g = grad.data<T>();
  T* m = buffer(0, i).data<T>();
  T* v = buffer(1, i).data<T>();
  T* v_max = o.amsgrad_ ? buffer(2, i).data<T>() : nullptr;
  using Batch = xsimd::batch<T>;
  constexpr std::int64_t width = static_cast<std::int64_t>(Batch::size);
  // Elementwise, so splitting it over two threads cannot change a bit either.
  xg::detail::parallel_range(params_[i].numel(), xg::detail::kParallelElements, [&](std::int64_t begin, std::int64_t end) {
    std::int64_t j = begin;
    for (; j + width <= end; j += width) {
      Batch pb = Batch::load_unaligned(p + j), mb = Batch::load_unaligned(m + j), vb = Batch::load_unaligned(v + j);
      Batch mxb = v_max ? Batch::load_unaligned(v_max + j) : Batch(T(0));
      adam_element(pb, Batch::load_unaligned(g + j), mb, vb, v_max ? &mxb : nullptr, k);
      pb.store_unaligned(p + j);
      mb.store_unaligned(m + j);
      vb.store_unaligned(v + j);
      if (v_max) mxb.store_unaligned(v_max + j);
    }
    for (; j < end; ++j) adam_element(p[j], g[j], m[j], v[j], v_max ? &v_max[j] : nullptr, k);
  });
}

// OptimizerBase::update calls these (defined here, so instantiated here).
template void Adam::update_as<float>(std::size_t, const Tensor&, bool);
template void Adam::update_as<double>(std::size_t, const Tensor&, bool);

}  // namespace xg::optim
