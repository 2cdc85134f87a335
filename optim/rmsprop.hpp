#pragma once
#include <vector>

#include "autograd/arg.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of RMSprop (PyTorch 1.13 defaults).
struct RMSpropOptions {
  using Self = RMSpropOptions;
  RMSpropOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT(google-explicit-constructor): RMSprop(params, 0.01)
  XG_ARG(double, lr);
  XG_ARG(double, alpha) = 0.99;
  XG_ARG(double, eps) = 1e-8;
  XG_ARG(double, weight_decay) = 0.0;
  XG_ARG(double, momentum) = 0.0;
  XG_ARG(bool, centered) = false;
  XG_ARG(bool, maximize) = false;
};

/// RMSprop, as torch.optim.RMSprop (PyTorch 1.13 documentation):
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   v ← αv + (1 − α)g²
///   if centered: gₐ ← αgₐ + (1 − α)g;  d ← √(v − gₐ²) + ε   else d ← √v + ε
///   if μ > 0: b ← μb + g/d;  θ ← θ − γb      else θ ← θ − γ g/d
/// (γ = lr, α = alpha, μ = momentum, λ = weight_decay). State: `state.<i>.step`, square_avg,
/// momentum_buffer (μ > 0), grad_avg (centered). Throws std::invalid_argument for lr, eps,
/// momentum, weight_decay or alpha < 0.
class RMSprop : public OptimizerBase<RMSprop, RMSpropOptions> {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = RMSpropOptions());

 private:
  friend OptimizerBase;
  static void check_options(const std::string& optimizer, const RMSpropOptions& o);
  static std::vector<Hyperparameter> hyperparameters_of(RMSpropOptions& o);
  static std::vector<BufferSpec> buffers_of(const RMSpropOptions& o);
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad, bool fresh);
};

}  // namespace xg::optim
