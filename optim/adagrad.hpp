#pragma once
#include <vector>

#include "autograd/arg.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of Adagrad (PyTorch 1.13 defaults).
struct AdagradOptions {
  using Self = AdagradOptions;
  AdagradOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT(google-explicit-constructor): Adagrad(params, 0.01)
  XG_ARG(double, lr);
  XG_ARG(double, lr_decay) = 0.0;
  XG_ARG(double, weight_decay) = 0.0;
  XG_ARG(double, initial_accumulator_value) = 0.0;
  XG_ARG(double, eps) = 1e-10;
  XG_ARG(bool, maximize) = false;
};

/// Adagrad, as torch.optim.Adagrad (PyTorch 1.13 documentation), per parameter with step count t:
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   γ̃ ← γ / (1 + (t − 1)η);   s ← s + g²;   θ ← θ − γ̃ g / (√s + ε)
/// (γ = lr, η = lr_decay, λ = weight_decay, s starts at initial_accumulator_value). State:
/// `state.<i>.step`, `sum` — created for every parameter at construction, as PyTorch does. Throws
/// std::invalid_argument for lr, lr_decay, weight_decay, initial_accumulator_value or eps < 0.
class Adagrad : public OptimizerBase<Adagrad, AdagradOptions> {
 public:
  Adagrad(std::vector<Tensor> params, AdagradOptions options = AdagradOptions());

 private:
  friend OptimizerBase;
  static void check_options(const std::string& optimizer, const AdagradOptions& o);
  static std::vector<Hyperparameter> hyperparameters_of(AdagradOptions& o);
  static std::vector<BufferSpec> buffers_of(const AdagradOptions& o);
  template <typename T>
  void update_as(std::size_t i, const Tensor& grad, bool fresh);
};

}  // namespace xg::optim
