#pragma once
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of RMSprop (PyTorch 1.13 defaults).
struct RMSpropOptions {
  explicit RMSpropOptions(double lr = 1e-2) : lr_(lr) {}
  RMSpropOptions& lr(double v) { lr_ = v; return *this; }
  RMSpropOptions& alpha(double v) { alpha_ = v; return *this; }
  RMSpropOptions& eps(double v) { eps_ = v; return *this; }
  RMSpropOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  RMSpropOptions& momentum(double v) { momentum_ = v; return *this; }
  RMSpropOptions& centered(bool v) { centered_ = v; return *this; }
  RMSpropOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double alpha() const { return alpha_; }
  double eps() const { return eps_; }
  double weight_decay() const { return weight_decay_; }
  double momentum() const { return momentum_; }
  bool centered() const { return centered_; }
  bool maximize() const { return maximize_; }

  double lr_;
  double alpha_ = 0.99;
  double eps_ = 1e-8;
  double weight_decay_ = 0.0;
  double momentum_ = 0.0;
  bool centered_ = false;
  bool maximize_ = false;
};

/// RMSprop, as torch.optim.RMSprop (PyTorch 1.13 documentation):
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   v ← αv + (1 − α)g²
///   if centered: gₐ ← αgₐ + (1 − α)g;  d ← √(v − gₐ²) + ε   else d ← √v + ε
///   if μ > 0: b ← μb + g/d;  θ ← θ − γb      else θ ← θ − γ g/d
/// (γ = lr, α = alpha, μ = momentum, λ = weight_decay). State: `state.<i>.step`, square_avg,
/// momentum_buffer (μ > 0), grad_avg (centered). Throws std::invalid_argument for lr, eps,
/// momentum, weight_decay or alpha < 0.
class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = RMSpropOptions());
  void step() override;
  const RMSpropOptions& options() const { return options_; }

 protected:
  std::vector<Hyperparameter> hyperparameters() override;
  void validate_options() const override;
  std::vector<BufferSpec> buffer_specs() const override;

 private:
  template <typename T>
  void update(std::size_t i, const Tensor& grad);
  RMSpropOptions options_;
};

}  // namespace xg::optim
