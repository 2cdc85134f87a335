#pragma once
#include <utility>
#include <vector>

#include "autograd/arg.hpp"
#include "optim/adam.hpp"

namespace xg::optim {

/// Options of RAdam (PyTorch 1.13 defaults; 1.13 has no maximize for RAdam): RAdam(params, 1e-3).
struct RAdamOptions {
  using Self = RAdamOptions;
  RAdamOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT(google-explicit-constructor), as libtorch
  XG_ARG(double, lr);
  XG_ARG(Betas, betas) = {0.9, 0.999};
  XG_ARG(double, eps) = 1e-8;
  XG_ARG(double, weight_decay) = 0.0;
};

/// RAdam, as torch.optim.RAdam (PyTorch 1.13 documentation), per parameter with step count t:
///   g ← ∇θ;  if λ ≠ 0: g ← g + λθ
///   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²;   m̂ = m / (1 − β₁ᵗ)
///   ρ∞ = 2/(1 − β₂) − 1;   ρₜ = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
///   if ρₜ > 5: r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)),  θ ← θ − m̂·γ·(√(1 − β₂ᵗ)/(√v + ε))·r
///   else:      θ ← θ − m̂·γ
/// (γ = lr, λ = weight_decay). State: `state.<i>.step`, exp_avg, exp_avg_sq. Throws
/// std::invalid_argument for lr < 0, eps < 0, betas outside [0, 1), weight_decay < 0.
class RAdam : public AdamFamily<RAdam, RAdamOptions> {
 public:
  RAdam(std::vector<Tensor> params, RAdamOptions options = RAdamOptions());

 private:
  friend OptimizerBase;
  static std::vector<BufferSpec> buffers_of(const RAdamOptions& o);
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad, bool fresh);
};

}  // namespace xg::optim
