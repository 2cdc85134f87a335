#pragma once
#include <utility>
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of Adam (PyTorch 1.13 defaults).
struct AdamOptions {
  explicit AdamOptions(double lr = 1e-3) : lr_(lr) {}
  AdamOptions& lr(double v) { lr_ = v; return *this; }
  AdamOptions& betas(std::pair<double, double> v) { betas_ = v; return *this; }
  AdamOptions& eps(double v) { eps_ = v; return *this; }
  AdamOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  AdamOptions& amsgrad(bool v) { amsgrad_ = v; return *this; }
  AdamOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  std::pair<double, double> betas() const { return betas_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  bool amsgrad() const { return amsgrad_; }
  bool maximize() const { return maximize_; }

  double lr_;
  std::pair<double, double> betas_{0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_ = 0.0;
  bool amsgrad_ = false;
  bool maximize_ = false;
};

/// Options of AdamW: Adam's, with PyTorch's AdamW default weight_decay = 1e-2.
struct AdamWOptions : AdamOptions {
  explicit AdamWOptions(double lr = 1e-3) : AdamOptions(lr) { weight_decay_ = 1e-2; }
  AdamWOptions& lr(double v) { lr_ = v; return *this; }
  AdamWOptions& betas(std::pair<double, double> v) { betas_ = v; return *this; }
  AdamWOptions& eps(double v) { eps_ = v; return *this; }
  AdamWOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  AdamWOptions& amsgrad(bool v) { amsgrad_ = v; return *this; }
  AdamWOptions& maximize(bool v) { maximize_ = v; return *this; }
  using AdamOptions::lr, AdamOptions::betas, AdamOptions::eps, AdamOptions::weight_decay, AdamOptions::amsgrad,
      AdamOptions::maximize;
};

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
  void step() override;
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled);
  std::vector<Hyperparameter> hyperparameters() override;
  void validate_options() const override;
  std::vector<BufferSpec> buffer_specs() const override;

 private:
  template <typename T>
  void update(std::size_t i, const Tensor& grad);
  AdamOptions options_;
  bool decoupled_;  // AdamW: decay θ directly instead of adding λθ to the gradient
};

/// AdamW, as torch.optim.AdamW (PyTorch 1.13): Adam without the λθ gradient term; instead each
/// step first decays the parameter, θ ← θ(1 − γλ), then applies Adam's update.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = AdamWOptions());
};

}  // namespace xg::optim
