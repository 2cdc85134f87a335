#pragma once
#include <cstdint>

#include "autograd/arg.hpp"
#include "optim/lr_scheduler.hpp"

namespace xg::optim {

enum class AnnealStrategy { Cos, Linear };

/// Options of OneCycleLR (PyTorch 1.13 defaults): OneCycleLROptions(0.1, 1000).pct_start(0.25).
struct OneCycleLROptions {
  using Self = OneCycleLROptions;
  OneCycleLROptions(double max_lr, std::int64_t total_steps) : max_lr_(max_lr), total_steps_(total_steps) {}
  XG_ARG(double, max_lr);
  XG_ARG(std::int64_t, total_steps);
  XG_ARG(double, pct_start) = 0.3;
  XG_ARG(AnnealStrategy, anneal_strategy) = AnnealStrategy::Cos;
  XG_ARG(bool, cycle_momentum) = true;
  XG_ARG(double, base_momentum) = 0.85;
  XG_ARG(double, max_momentum) = 0.95;
  XG_ARG(double, div_factor) = 25.0;
  XG_ARG(double, final_div_factor) = 1e4;
  XG_ARG(bool, three_phase) = false;
};

/// The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR): the lr goes from max_lr/div_factor up
/// to max_lr over the first pct_start of total_steps, then down to max_lr/(div_factor ·
/// final_div_factor) (three_phase: back to the initial lr first, then down), each phase annealed
/// by cosine or linearly between its end points at steps ⌊pct·total⌋ − 1 …; with cycle_momentum
/// the momentum (SGD "momentum", or β₁ of Adam-like "betas.0") moves the opposite way between
/// max_momentum and base_momentum. Call step() after each batch, at most total_steps times.
/// Throws std::invalid_argument for total_steps < 1, pct_start outside [0, 1], non-positive
/// max_lr, div_factor or final_div_factor, cycle_momentum on an optimizer without momentum/betas,
/// and on a step() past total_steps.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& options);
  double lr_at(std::int64_t epoch) const override;
  /// The momentum at `epoch` (when cycle_momentum).
  double momentum_at(std::int64_t epoch) const;
  const OneCycleLROptions& options() const { return options_; }

 protected:
  void after_lr_set(std::int64_t epoch) override;

 private:
  struct Phase {
    double end_step, start_lr, end_lr, start_momentum, end_momentum;
  };
  // (lr, momentum) at `epoch`.
  std::pair<double, double> at(std::int64_t epoch) const;
  OneCycleLROptions options_;
  std::vector<Phase> phases_;
  const char* momentum_option_ = nullptr;  // "momentum" or "betas.0"
};

}  // namespace xg::optim
