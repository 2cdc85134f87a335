#pragma once
#include <utility>
#include <vector>

#include "autograd/arg.hpp"
#include "optim/adam.hpp"

namespace xg::optim {

/// Options of Adamax (PyTorch 1.13 defaults): Adamax(params, 2e-3).
struct AdamaxOptions {
  using Self = AdamaxOptions;
  AdamaxOptions(double lr = 2e-3) : lr_(lr) {}  // NOLINT(google-explicit-constructor), as libtorch
  XG_ARG(double, lr);
  XG_ARG(Betas, betas) = {0.9, 0.999};
  XG_ARG(double, eps) = 1e-8;
  XG_ARG(double, weight_decay) = 0.0;
  XG_ARG(bool, maximize) = false;
};

/// Adamax, as torch.optim.Adamax (PyTorch 1.13 documentation), per parameter with step count t:
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   m ← β₁m + (1 − β₁)g;   u ← max(β₂u, |g| + ε)
///   θ ← θ − (γ / (1 − β₁ᵗ)) · m / u
/// (γ = lr, λ = weight_decay). State: `state.<i>.step`, exp_avg, exp_inf. Throws
/// std::invalid_argument for lr < 0, eps < 0, betas outside [0, 1), weight_decay < 0.
class Adamax : public AdamFamily<Adamax, AdamaxOptions> {
 public:
  Adamax(std::vector<Tensor> params, AdamaxOptions options = AdamaxOptions());

 private:
  friend OptimizerBase;
  static std::vector<BufferSpec> buffers_of(const AdamaxOptions& o);
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad, bool fresh);
};

}  // namespace xg::optim
