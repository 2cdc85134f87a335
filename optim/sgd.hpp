#pragma once
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of SGD (PyTorch 1.13 defaults; lr has no default, as in torch.optim.SGD).
struct SGDOptions {
  explicit SGDOptions(double lr) : lr_(lr) {}
  SGDOptions& lr(double v) { lr_ = v; return *this; }
  SGDOptions& momentum(double v) { momentum_ = v; return *this; }
  SGDOptions& dampening(double v) { dampening_ = v; return *this; }
  SGDOptions& weight_decay(double v) { weight_decay_ = v; return *this; }
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }
  SGDOptions& maximize(bool v) { maximize_ = v; return *this; }
  double lr() const { return lr_; }
  double momentum() const { return momentum_; }
  double dampening() const { return dampening_; }
  double weight_decay() const { return weight_decay_; }
  bool nesterov() const { return nesterov_; }
  bool maximize() const { return maximize_; }

  double lr_;
  double momentum_ = 0.0;
  double dampening_ = 0.0;
  double weight_decay_ = 0.0;
  bool nesterov_ = false;
  bool maximize_ = false;
};

/// Stochastic gradient descent with momentum, as torch.optim.SGD (PyTorch 1.13 documentation):
///   g ← ∇θ (−∇θ if maximize);  if λ ≠ 0: g ← g + λθ
///   if μ ≠ 0:  b ← g on the first step, else b ← μb + (1 − τ)g
///              g ← g + μb if nesterov, else g ← b
///   θ ← θ − γg
/// (γ = lr, μ = momentum, τ = dampening, λ = weight_decay). State: `state.<i>.momentum_buffer`
/// (only when μ ≠ 0). Throws std::invalid_argument for lr < 0, momentum < 0, weight_decay < 0,
/// or nesterov without momentum or with dampening.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  void step() override;
  const SGDOptions& options() const { return options_; }

 protected:
  std::vector<Hyperparameter> hyperparameters() override;
  void validate_options() const override;
  std::vector<BufferSpec> buffer_specs() const override;

 private:
  template <typename T>
  void update(std::size_t i, const Tensor& grad);
  SGDOptions options_;
};

}  // namespace xg::optim
