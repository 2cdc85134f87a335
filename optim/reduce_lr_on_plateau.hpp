#pragma once
#include <cstdint>
#include <limits>

#include "autograd/arg.hpp"
#include "autograd/state_dict.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

/// Options of ReduceLROnPlateau (PyTorch 1.13 defaults):
///   ReduceLROnPlateauOptions().mode(PlateauMode::Max).factor(0.5).patience(2)
enum class PlateauMode { Min, Max };
enum class ThresholdMode { Rel, Abs };
struct ReduceLROnPlateauOptions {
  using Self = ReduceLROnPlateauOptions;
  XG_ARG(PlateauMode, mode) = PlateauMode::Min;
  XG_ARG(double, factor) = 0.1;
  XG_ARG(std::int64_t, patience) = 10;
  XG_ARG(double, threshold) = 1e-4;
  XG_ARG(ThresholdMode, threshold_mode) = ThresholdMode::Rel;
  XG_ARG(std::int64_t, cooldown) = 0;
  XG_ARG(double, min_lr) = 0.0;
  XG_ARG(double, eps) = 1e-8;
};

/// Lowers the lr when a metric stops improving (torch.optim.lr_scheduler.ReduceLROnPlateau).
/// step(metric) after each evaluation: a metric better than the best so far (min: below
/// best·(1 − threshold) (Rel) or best − threshold (Abs); max: above best·(1 + threshold) or
/// best + threshold) resets the count of bad epochs; after more than `patience` bad epochs the lr
/// becomes max(lr·factor, min_lr) (skipped when the change is ≤ eps) and `cooldown` epochs follow
/// in which bad epochs are not counted. A NaN metric is never better. Throws
/// std::invalid_argument for factor ≥ 1 or ≤ 0, negative patience, cooldown, threshold or min_lr.
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});
  void step(double metric);
  double get_last_lr() const { return last_lr_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  double best() const { return best_; }
  const ReduceLROnPlateauOptions& options() const { return options_; }
  /// {"last_epoch", "best", "num_bad_epochs", "cooldown_counter", "last_lr"} as float64/int64 0-dim.
  StateDict state_dict() const;
  /// Restores state_dict(); throws std::invalid_argument naming a missing entry.
  void load_state_dict(const StateDict& state);

 private:
  bool is_better(double metric) const;
  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  double best_;
  std::int64_t last_epoch_ = 0, num_bad_epochs_ = 0, cooldown_counter_ = 0;
  double last_lr_;
};

}  // namespace xg::optim
