#pragma once
#include <cmath>
#include <utility>
#include <vector>

#include "autograd/arg.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// (β₁, β₂) of Adam.
using Betas = std::pair<double, double>;

/// The options Adam and AdamW share (PyTorch 1.13 defaults but for AdamW's weight_decay).
template <typename Self>
struct AdamOptionsBase {
  XG_ARG(double, lr) = 1e-3;
  XG_ARG(Betas, betas) = {0.9, 0.999};
  XG_ARG(double, eps) = 1e-8;
  XG_ARG(double, weight_decay) = 0.0;
  XG_ARG(bool, amsgrad) = false;
  XG_ARG(bool, maximize) = false;
};

/// Options of Adam: Adam(params, 1e-3) or Adam(params, AdamOptions(1e-3).betas({0.9, 0.99})).
struct AdamOptions : AdamOptionsBase<AdamOptions> {
  AdamOptions(double lr = 1e-3) { lr_ = lr; }  // NOLINT(google-explicit-constructor), as libtorch
};

/// Options of AdamW: Adam's, with PyTorch's AdamW default weight_decay = 1e-2.
struct AdamWOptions : AdamOptionsBase<AdamWOptions> {
  AdamWOptions(double lr = 1e-3) {  // NOLINT(google-explicit-constructor), as libtorch
    lr_ = lr;
    weight_decay_ = 1e-2;
  }
};

namespace detail {
/// The checks torch.optim.Adam, Adamax, NAdam and RAdam share: lr, eps, both betas in [0, 1),
/// weight_decay.
void check_adam_options(const std::string& optimizer, double lr, double eps, const Betas& betas, double weight_decay);
/// The state-dict options they share: lr, betas.0, betas.1, eps, weight_decay (pointers to these).
std::vector<Optimizer::Hyperparameter> adam_hyperparameters(double& lr, Betas& betas, double& eps,
                                                            double& weight_decay);
}  // namespace detail

namespace detail {
/// The moment updates NAdam and RAdam share, for one element as torch.optim's single-tensor paths
/// write them (add_(x, α) = fma(α, x, self), addcmul_(a, b, value) = fma(value·a, b, self)), with
/// the scalars rounded to T once: d ← g (+ λθ), m ← β₁m + (1 − β₁)d, v ← β₂v + (1 − β₂)d².
template <typename T>
struct AdamMoments {
  AdamMoments(const Betas& betas, double weight_decay)
      : b1(static_cast<T>(betas.first)), one_minus_b1(static_cast<T>(1.0 - betas.first)),
        b2(static_cast<T>(betas.second)), one_minus_b2(static_cast<T>(1.0 - betas.second)),
        weight_decay(static_cast<T>(weight_decay)), decay(weight_decay != 0.0) {}
  /// Updates m and v in place; returns d.
  T operator()(T g, T p, T& m, T& v) const {
    const T d = decay ? std::fma(weight_decay, p, g) : g;
    m = std::fma(one_minus_b1, d, m * b1);
    v = std::fma(one_minus_b2 * d, d, v * b2);
    return d;
  }
  T b1, one_minus_b1, b2, one_minus_b2, weight_decay;
  bool decay;
};
}  // namespace detail

/// Base of Adam's relatives (Adam, Adamax, NAdam, RAdam): options that share lr, betas, eps and
/// weight_decay are checked and named in the state dict alike. A relative with more options
/// (NAdam's momentum_decay) declares its own check_options and hyperparameters_of, hiding these.
template <typename Derived, typename Options>
class AdamFamily : public OptimizerBase<Derived, Options> {
 public:
  static void check_options(const std::string& optimizer, const Options& o) {
    detail::check_adam_options(optimizer, o.lr_, o.eps_, o.betas_, o.weight_decay_);
  }
  static std::vector<Optimizer::Hyperparameter> hyperparameters_of(Options& o) {
    return detail::adam_hyperparameters(o.lr_, o.betas_, o.eps_, o.weight_decay_);
  }

 protected:
  using OptimizerBase<Derived, Options>::OptimizerBase;
};

/// Adam, as torch.optim.Adam (PyTorch 1.13 documentation), per parameter with step count t:
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
///   v̂max ← max(v̂max, v) if amsgrad (and v is replaced by v̂max below)
///   θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// (γ = lr, λ = weight_decay; ε is added after the bias-corrected square root).
/// State: `state.<i>.step`, exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad). Throws
/// std::invalid_argument for lr < 0, eps < 0, betas outside [0, 1), weight_decay < 0.
class Adam : public AdamFamily<Adam, AdamOptions> {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = AdamOptions());

 protected:
  Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled);

 private:
  friend OptimizerBase;
  static std::vector<BufferSpec> buffers_of(const AdamOptions& o);
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad, bool fresh);
  bool decoupled_;  // AdamW: decay θ directly instead of adding λθ to the gradient
};

/// AdamW, as torch.optim.AdamW (PyTorch 1.13): Adam without the λθ gradient term; instead each
/// step first decays the parameter, θ ← θ(1 − γλ), then applies Adam's update.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = AdamWOptions());
};

}  // namespace xg::optim
