#pragma once
#include <vector>

#include "autograd/arg.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of SGD (PyTorch 1.13 defaults; lr has no default, as in torch.optim.SGD).
struct SGDOptions {
  using Self = SGDOptions;
  SGDOptions(double lr) : lr_(lr) {}  // NOLINT(google-explicit-constructor): SGD(params, 0.1), as libtorch
  XG_ARG(double, lr);
  XG_ARG(double, momentum) = 0.0;
  XG_ARG(double, dampening) = 0.0;
  XG_ARG(double, weight_decay) = 0.0;
  XG_ARG(bool, nesterov) = false;
  XG_ARG(bool, maximize) = false;
};

/// Stochastic gradient descent with momentum, as torch.optim.SGD (PyTorch 1.13 documentation):
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   if μ ≠ 0:  b ← g on the first step, else b ← μb + (1 − τ)g
///              g ← g + μb if nesterov, else g ← b
///   θ ← θ − γg
/// (γ = lr, μ = momentum, τ = dampening, λ = weight_decay). State: `state.<i>.momentum_buffer`
/// (only when μ ≠ 0). Throws std::invalid_argument for lr < 0, momentum < 0, weight_decay < 0,
/// or nesterov without momentum or with dampening.
class SGD : public OptimizerBase<SGD, SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);

 private:
  friend OptimizerBase;
  static void check_options(const std::string& optimizer, const SGDOptions& o);
  static std::vector<Hyperparameter> hyperparameters_of(SGDOptions& o);
  static std::vector<BufferSpec> buffers_of(const SGDOptions& o);
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad, bool fresh);
};

}  // namespace xg::optim
