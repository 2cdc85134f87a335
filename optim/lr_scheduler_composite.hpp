#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "optim/lr_scheduler.hpp"

namespace xg::optim {

/// Runs schedulers one after another (torch.optim.lr_scheduler.SequentialLR): scheduler k takes
/// over at milestones[k−1] and restarts its own epoch count there:
///   lr(epoch) = schedulers[k].lr_at(epoch − milestones[k−1]),  k = #{milestones ≤ epoch}.
/// Every scheduler gets the first one's base_lr (PyTorch's initial_lr), whatever the lr was when
/// it was built; only the SequentialLR is step()ped. Throws std::invalid_argument when the
/// schedulers are empty, built on another optimizer, or milestones.size() ≠ schedulers − 1 or
/// are not increasing.
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<std::int64_t> milestones);
  double lr_at(std::int64_t epoch) const override;

 private:
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<std::int64_t> milestones_;
};

/// Multiplies the factors of several schedulers (torch.optim.lr_scheduler.ChainedScheduler):
///   lr(epoch) = base_lr · Π_s s.lr_at(epoch) / base_lr
/// which is what PyTorch's chained step()s give for schedules that multiply the lr by a factor of
/// the epoch (StepLR, MultiStepLR, ExponentialLR, LinearWarmup without `after`); the others are
/// refused, since PyTorch's chained result for them depends on the order of the calls. Throws
/// std::invalid_argument for an empty list, another optimizer, or such a scheduler.
class ChainedScheduler : public LRScheduler {
 public:
  explicit ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers);
  double lr_at(std::int64_t epoch) const override;

 private:
  static Optimizer& first_optimizer(const std::vector<std::shared_ptr<LRScheduler>>& schedulers);
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
};

}  // namespace xg::optim
