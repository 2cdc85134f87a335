#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/state_dict.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// Base of the learning-rate schedulers. As in PyTorch, constructing a scheduler records the
/// optimizer's current lr as base_lr and sets the lr for epoch 0; call step() once after each
/// optimizer.step() (or epoch): it advances last_epoch and sets optimizer.lr = lr_at(last_epoch).
/// The schedules use PyTorch's closed forms (_get_closed_form_lr), so the lr depends only on the
/// epoch and base_lr (an lr set by hand between steps is overwritten by the next step()).
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// last_epoch ← last_epoch + 1; optimizer.set_lr(lr_at(last_epoch)).
  void step();
  /// The number of step() calls since construction (0 right after construction).
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The lr this scheduler last set (PyTorch's get_last_lr()[0]).
  double get_last_lr() const { return last_lr_; }
  double base_lr() const { return base_lr_; }
  const Optimizer& optimizer() const { return optimizer_; }
  /// The schedule: the lr at `epoch` ≥ 0.
  virtual double lr_at(std::int64_t epoch) const = 0;

  /// {"last_epoch": int64 0-dim, "base_lr": float64 0-dim, "last_lr": float64 0-dim} — save it
  /// next to the optimizer's state_dict (e.g. with a "scheduler." prefix) to resume.
  virtual StateDict state_dict() const;
  /// Restores state_dict() (does not touch the optimizer, whose own state holds the lr). Throws
  /// std::invalid_argument naming a missing or unexpected entry or a negative/non-integer epoch.
  virtual void load_state_dict(const StateDict& state);

 protected:
  friend class SequentialLR;      // they give their schedulers one base_lr, as PyTorch's initial_lr
  friend class ChainedScheduler;
  LRScheduler(Optimizer& optimizer, std::string name);
  /// Whether PyTorch's recursive (chainable) form of this schedule multiplies the current lr by a
  /// factor that depends on the epoch only (StepLR, MultiStepLR, ExponentialLR, a LinearWarmup
  /// without `after`): only those compose in a ChainedScheduler as a product of factors.
  virtual bool multiplicative() const { return false; }
  /// Called after the lr of `epoch` is set (initial_step and step): OneCycleLR sets the momentum.
  virtual void after_lr_set(std::int64_t /*epoch*/) {}
  /// Called at the end of every derived constructor: sets the epoch-0 lr.
  void initial_step();
  /// Restores the three base entries found under `prefix` (all validated before any is changed).
  void load_base(const StateDict& state, const std::string& prefix);

  Optimizer& optimizer_;
  std::string name_;
  double base_lr_;
  std::int64_t last_epoch_ = 0;
  double last_lr_;
};

/// lr = base_lr · γ^⌊epoch / step_size⌋ (torch.optim.lr_scheduler.StepLR).
/// Throws std::invalid_argument for step_size < 1 or gamma < 0.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  double lr_at(std::int64_t epoch) const override;
  bool multiplicative() const override { return true; }

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// lr = base_lr · γ^(number of milestones ≤ epoch) (torch.optim.lr_scheduler.MultiStepLR; a
/// milestone given twice counts twice, as in PyTorch). Throws std::invalid_argument for a negative
/// milestone or gamma < 0.
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma = 0.1);
  double lr_at(std::int64_t epoch) const override;
  bool multiplicative() const override { return true; }

 private:
  std::vector<std::int64_t> milestones_;  // sorted
  double gamma_;
};

/// lr = base_lr · lr_lambda(epoch) (torch.optim.lr_scheduler.LambdaLR). lr_lambda must be pure (the
/// state dict cannot hold it: rebuild the scheduler with the same function before loading). Throws
/// std::invalid_argument for an empty function, and on step() if it returns a negative or NaN factor.
class LambdaLR : public LRScheduler {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(std::int64_t)> lr_lambda);
  double lr_at(std::int64_t epoch) const override;

 private:
  std::function<double(std::int64_t)> lr_lambda_;
};

/// lr = base_lr · γ^epoch (torch.optim.lr_scheduler.ExponentialLR). Throws for gamma < 0.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(std::int64_t epoch) const override;
  bool multiplicative() const override { return true; }

 private:
  double gamma_;
};

/// lr = η_min + (base_lr − η_min)(1 + cos(π·epoch / T_max)) / 2 (torch.optim.lr_scheduler.
/// CosineAnnealingLR's closed form; periodic beyond T_max as PyTorch's). Throws for T_max < 1 or
/// eta_min < 0.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0.0);
  double lr_at(std::int64_t epoch) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

/// Linear warmup (torch.optim.lr_scheduler.LinearLR with end_factor 1, total_iters = warmup_steps),
/// optionally followed by `after` (as SequentialLR([warmup, after], milestones=[warmup_steps])):
///   epoch < warmup_steps: lr = base_lr · (s + (1 − s) · epoch / warmup_steps)
///   otherwise:            lr = after.lr_at(epoch − warmup_steps), or base_lr without `after`.
/// `after` must be built on the same optimizer before this one (and is never step()ped itself).
/// Throws std::invalid_argument for start_factor outside (0, 1], warmup_steps < 1, or an `after`
/// on another optimizer.
class LinearWarmup : public LRScheduler {
 public:
  LinearWarmup(Optimizer& optimizer, double start_factor, std::int64_t warmup_steps,
               std::shared_ptr<LRScheduler> after = nullptr);
  double lr_at(std::int64_t epoch) const override;
  bool multiplicative() const override { return after_ == nullptr; }
  /// The base entries plus after's entries prefixed with "after.".
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 private:
  double start_factor_;
  std::int64_t warmup_steps_;
  std::shared_ptr<LRScheduler> after_;
};

}  // namespace xg::optim
