#pragma once
#include <utility>
#include <vector>

#include "autograd/arg.hpp"
#include "optim/adam.hpp"

namespace xg::optim {

/// Options of NAdam (PyTorch 1.13 defaults): NAdam(params, 2e-3).
struct NAdamOptions {
  using Self = NAdamOptions;
  NAdamOptions(double lr = 2e-3) : lr_(lr) {}  // NOLINT(google-explicit-constructor), as libtorch
  XG_ARG(double, lr);
  XG_ARG(Betas, betas) = {0.9, 0.999};
  XG_ARG(double, eps) = 1e-8;
  XG_ARG(double, weight_decay) = 0.0;
  XG_ARG(double, momentum_decay) = 4e-3;
};

/// NAdam (Adam with Nesterov momentum), as torch.optim.NAdam (PyTorch 1.13 documentation), per
/// parameter with step count t:
///   g ← ∇θ;  if λ ≠ 0: g ← g + λθ
///   μₜ = β₁(1 − ½·0.96^(t·ψ)),  μₜ₊₁ = β₁(1 − ½·0.96^((t+1)·ψ)),  Πₜ = Πₜ₋₁·μₜ
///   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²;   d = √(v / (1 − β₂ᵗ)) + ε
///   θ ← θ − γ(1 − μₜ)/(1 − Πₜ) · g/d − γμₜ₊₁/(1 − Πₜμₜμₜ₊₁) · m/d
/// (the last denominator is PyTorch 1.13's, which counts μₜ twice; kept for parity)
/// (γ = lr, λ = weight_decay, ψ = momentum_decay). State: `state.<i>.step`, exp_avg, exp_avg_sq,
/// mu_product (Πₜ, a 0-dim float32 tensor as PyTorch keeps it). Throws std::invalid_argument for
/// lr < 0, eps < 0, betas outside [0, 1), weight_decay < 0, momentum_decay < 0.
class NAdam : public AdamFamily<NAdam, NAdamOptions> {
 public:
  NAdam(std::vector<Tensor> params, NAdamOptions options = NAdamOptions());

 private:
  friend OptimizerBase;
  static void check_options(const std::string& optimizer, const NAdamOptions& o);
  static std::vector<Hyperparameter> hyperparameters_of(NAdamOptions& o);
  static std::vector<BufferSpec> buffers_of(const NAdamOptions& o);
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad, bool fresh);
};

}  // namespace xg::optim
