#pragma once
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
/// The checks torch.optim.Adam, Adamax and RAdam share: lr, eps, both betas in [0, 1), weight_decay.
void check_adam_options(const std::string& optimizer, double lr, double eps, const Betas& betas, double weight_decay);
}  // namespace detail

/// Adam, as torch.optim.Adam (PyTorch 1.13 documentation), per parameter with step count t:
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
///   v̂max ← max(v̂max, v) if amsgrad (and v is replaced by v̂max below)
///   θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// (γ = lr, λ = weight_decay; ε is added after the bias-corrected square root).
/// State: `state.<i>.step`, exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad). Throws
/// std::invalid_argument for lr < 0, eps < 0, betas outside [0, 1), weight_decay < 0.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = AdamOptions());
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled);
  std::vector<Hyperparameter> hyperparameters() override;
  void validate_options() const override;
  std::vector<BufferSpec> buffer_specs() const override;
  void update(std::size_t i, const Tensor& grad) override;

 private:
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad);
  AdamOptions options_;
  bool decoupled_;  // AdamW: decay θ directly instead of adding λθ to the gradient
};

/// AdamW, as torch.optim.AdamW (PyTorch 1.13): Adam without the λθ gradient term; instead each
/// step first decays the parameter, θ ← θ(1 − γλ), then applies Adam's update.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = AdamWOptions());
};

}  // namespace xg::optim
