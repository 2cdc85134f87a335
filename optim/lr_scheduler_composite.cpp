#include "optim/lr_scheduler_composite.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace xg::optim {

namespace {
void check_members(const char* op, const Optimizer& optimizer, const std::vector<std::shared_ptr<LRScheduler>>& s) {
  if (s.empty()) throw std::invalid_argument(std::string(op) + ": expected at least one scheduler");
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (!s[k]) throw std::invalid_argument(std::string(op) + ": scheduler " + std::to_string(k) + " is null");
    if (&s[k]->optimizer() != &optimizer)
      throw std::invalid_argument(std::string(op) + ": scheduler " + std::to_string(k) +
                                  " is bound to another optimizer than the first one");
  }
}
}  // namespace

Optimizer& ChainedScheduler::first_optimizer(const std::vector<std::shared_ptr<LRScheduler>>& schedulers) {
  if (schedulers.empty() || !schedulers[0])
    throw std::invalid_argument("ChainedScheduler: expected at least one scheduler (and a non-null first one)");
  return schedulers[0]->optimizer_;
}

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : LRScheduler(optimizer, "SequentialLR"), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  check_members("SequentialLR", optimizer, schedulers_);
  if (milestones_.size() + 1 != schedulers_.size())
    throw std::invalid_argument("SequentialLR: expected " + std::to_string(schedulers_.size() - 1) +
                                " milestones for " + std::to_string(schedulers_.size()) + " schedulers, got " +
                                std::to_string(milestones_.size()));
  for (std::size_t k = 0; k < milestones_.size(); ++k)
    if (milestones_[k] < 1 || (k > 0 && milestones_[k] <= milestones_[k - 1]))
      throw std::invalid_argument("SequentialLR: milestones must be positive and increasing, got " +
                                  std::to_string(milestones_[k]) + " at position " + std::to_string(k));
  base_lr_ = schedulers_[0]->base_lr_;
  for (auto& s : schedulers_) s->base_lr_ = base_lr_;
  initial_step();
}

double SequentialLR::lr_at(std::int64_t epoch) const {
  const std::size_t k =
      static_cast<std::size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin());
  return schedulers_[k]->lr_at(k == 0 ? epoch : epoch - milestones_[k - 1]);
}

ChainedScheduler::ChainedScheduler(std::vector<std::shared_ptr<LRScheduler>> schedulers)
    : LRScheduler(first_optimizer(schedulers), "ChainedScheduler"),
      schedulers_(std::move(schedulers)) {
  check_members("ChainedScheduler", optimizer_, schedulers_);
  for (std::size_t k = 0; k < schedulers_.size(); ++k)
    if (!schedulers_[k]->multiplicative())
      throw std::invalid_argument("ChainedScheduler: scheduler " + std::to_string(k) + " (" + schedulers_[k]->name_ +
                                  ") does not multiply the lr by a factor of the epoch; only StepLR, MultiStepLR, "
                                  "ExponentialLR and LinearWarmup without `after` can be chained");
  base_lr_ = schedulers_[0]->base_lr_;
  for (auto& s : schedulers_) s->base_lr_ = base_lr_;
  initial_step();
}

double ChainedScheduler::lr_at(std::int64_t epoch) const {
  double lr = base_lr_;
  if (base_lr_ == 0) return 0;
  for (const auto& s : schedulers_) lr *= s->lr_at(epoch) / base_lr_;
  return lr;
}

}  // namespace xg::optim
