#pragma once
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of Adagrad (PyTorch 1.13 defaults).
struct AdagradOptions {
  explicit AdagradOptions(double lr = 1e-2) : lr_(lr) {}
  AdagradOptions& lr(double v) { lr_ = v; return *this; }
  AdagradOptions& lr_decay(double v) { lr_decay_ = v; return *this; }
  AdagradOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  AdagradOptions& initial_accumulator_value(double v) { initial_accumulator_value_ = v; return *this; }
  AdagradOptions& eps(double v) { eps_ = v; return *this; }
  AdagradOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double lr_decay() const { return lr_decay_; }
  double weight_decay() const { return weight_decay_; }
  double initial_accumulator_value() const { return initial_accumulator_value_; }
  double eps() const { return eps_; }
  bool maximize() const { return maximize_; }

  double lr_;
  double lr_decay_ = 0.0;
  double weight_decay_ = 0.0;
  double initial_accumulator_value_ = 0.0;
  double eps_ = 1e-10;
  bool maximize_ = false;
};

/// Adagrad, as torch.optim.Adagrad (PyTorch 1.13 documentation), per parameter with step count t:
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   γ̃ ← γ / (1 + (t − 1)η);   s ← s + g²;   θ ← θ − γ̃ g / (√s + ε)
/// (γ = lr, η = lr_decay, λ = weight_decay, s starts at initial_accumulator_value). State:
/// `state.<i>.step`, `sum` — created for every parameter at construction, as PyTorch does. Throws
/// std::invalid_argument for lr, lr_decay, weight_decay, initial_accumulator_value or eps < 0.
class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, AdagradOptions options = AdagradOptions());
  void step() override;
  const AdagradOptions& options() const { return options_; }

 protected:
  std::vector<Hyperparameter> hyperparameters() override;
  void validate_options() const override;
  std::vector<BufferSpec> buffer_specs() const override;

 private:
  void init_state(std::size_t i);
  template <typename T>
  void update(std::size_t i, const Tensor& grad);
  AdagradOptions options_;
};

}  // namespace xg::optim
