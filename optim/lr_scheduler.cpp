#include "optim/lr_scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "autograd/creation.hpp"
#include "autograd/format.hpp"

namespace xg::optim {

namespace {
const char* const kBaseKeys[] = {"last_epoch", "base_lr", "last_lr"};
}

LRScheduler::LRScheduler(Optimizer& optimizer, std::string name)
    : optimizer_(optimizer), name_(std::move(name)), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}

void LRScheduler::initial_step() {
  last_epoch_ = 0;
  last_lr_ = lr_at(0);
  optimizer_.set_lr(last_lr_);
  after_lr_set(0);
}

void LRScheduler::step() {
  ++last_epoch_;
  last_lr_ = lr_at(last_epoch_);
  optimizer_.set_lr(last_lr_);
  after_lr_set(last_epoch_);
}

StateDict LRScheduler::state_dict() const {
  StateDict out;
  out.insert("last_epoch", from_vector(std::vector<std::int64_t>{last_epoch_}, {}));
  out.insert("base_lr", scalar_tensor(base_lr_, kFloat64));
  out.insert("last_lr", scalar_tensor(last_lr_, kFloat64));
  return out;
}

void LRScheduler::load_base(const StateDict& state, const std::string& prefix) {
  const std::string op = name_ + ".load_state_dict: ";
  double values[3];
  for (int k = 0; k < 3; ++k) {
    const std::string key = prefix + kBaseKeys[k];
    if (!state.contains(key)) throw std::invalid_argument(op + "missing entry '" + key + "'");
    const Tensor& t = state.at(key);
    if (!t.defined() || t.numel() != 1)
      throw std::invalid_argument(op + "entry '" + key + "' must hold one value");
    values[k] = t.item();
  }
  if (!(values[0] >= 0.0) || values[0] != std::floor(values[0]) || values[0] > 9.0e15)
    throw std::invalid_argument(op + "entry '" + prefix + "last_epoch' must be a non-negative integer, got " +
                                format_number(values[0]));
  last_epoch_ = static_cast<std::int64_t>(values[0]);
  base_lr_ = values[1];
  last_lr_ = values[2];
}

void LRScheduler::load_state_dict(const StateDict& state) {
  for (const auto& item : state) {
    bool known = false;
    for (const char* k : kBaseKeys) known = known || item.first == k;
    if (!known) throw std::invalid_argument(name_ + ".load_state_dict: unexpected entry '" + item.first + "'");
  }
  load_base(state, "");
}

// ---- StepLR ----------------------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
  if (step_size < 1) throw std::invalid_argument("StepLR: step_size must be at least 1, got " + std::to_string(step_size));
  if (!(gamma >= 0.0)) detail::throw_invalid_option(name_, "gamma", gamma);
  initial_step();
}

double StepLR::lr_at(std::int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

// ---- MultiStepLR -----------------------------------------------------------------------------

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma)
    : LRScheduler(optimizer, "MultiStepLR"), milestones_(std::move(milestones)), gamma_(gamma) {
  for (std::int64_t m : milestones_)
    if (m < 0) throw std::invalid_argument("MultiStepLR: milestones must be non-negative, got " + std::to_string(m));
  if (!(gamma >= 0.0)) detail::throw_invalid_option(name_, "gamma", gamma);
  std::sort(milestones_.begin(), milestones_.end());
  initial_step();
}

double MultiStepLR::lr_at(std::int64_t epoch) const {
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lr_ * std::pow(gamma_, static_cast<double>(passed));
}

// ---- LambdaLR --------------------------------------------------------------------------------

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(std::int64_t)> lr_lambda)
    : LRScheduler(optimizer, "LambdaLR"), lr_lambda_(std::move(lr_lambda)) {
  if (!lr_lambda_) throw std::invalid_argument("LambdaLR: lr_lambda is an empty function");
  initial_step();
}

double LambdaLR::lr_at(std::int64_t epoch) const {
  const double factor = lr_lambda_(epoch);
  if (!(factor >= 0.0))
    throw std::invalid_argument("LambdaLR: lr_lambda(" + std::to_string(epoch) + ") = " + format_number(factor) +
                                " (a learning-rate factor must be a non-negative number)");
  return base_lr_ * factor;
}

// ---- ExponentialLR ---------------------------------------------------------------------------

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
  if (!(gamma >= 0.0)) detail::throw_invalid_option(name_, "gamma", gamma);
  initial_step();
}

double ExponentialLR::lr_at(std::int64_t epoch) const { return base_lr_ * std::pow(gamma_, static_cast<double>(epoch)); }

// ---- CosineAnnealingLR -----------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min)
    : LRScheduler(optimizer, "CosineAnnealingLR"), t_max_(T_max), eta_min_(eta_min) {
  if (T_max < 1) throw std::invalid_argument("CosineAnnealingLR: T_max must be at least 1, got " + std::to_string(T_max));
  if (!(eta_min >= 0.0)) detail::throw_invalid_option(name_, "eta_min", eta_min);
  initial_step();
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
  const double pi = std::acos(-1.0);
  return eta_min_ + (base_lr_ - eta_min_) * (1.0 + std::cos(pi * static_cast<double>(epoch) /
                                                             static_cast<double>(t_max_))) / 2.0;
}

// ---- LinearWarmup ----------------------------------------------------------------------------

LinearWarmup::LinearWarmup(Optimizer& optimizer, double start_factor, std::int64_t warmup_steps,
                           std::shared_ptr<LRScheduler> after)
    : LRScheduler(optimizer, "LinearWarmup"),
      start_factor_(start_factor),
      warmup_steps_(warmup_steps),
      after_(std::move(after)) {
  if (!(start_factor > 0.0 && start_factor <= 1.0))
    throw std::invalid_argument("LinearWarmup: start_factor must be in (0, 1], got " +
                                format_number(start_factor));
  if (warmup_steps < 1)
    throw std::invalid_argument("LinearWarmup: warmup_steps must be at least 1, got " + std::to_string(warmup_steps));
  if (after_ && &after_->optimizer() != &optimizer)
    throw std::invalid_argument("LinearWarmup: the scheduler to follow the warmup drives a different optimizer");
  initial_step();
}

double LinearWarmup::lr_at(std::int64_t epoch) const {
  if (epoch < warmup_steps_)
    return base_lr_ * (start_factor_ + (1.0 - start_factor_) * static_cast<double>(epoch) /
                                           static_cast<double>(warmup_steps_));
  return after_ ? after_->lr_at(epoch - warmup_steps_) : base_lr_;
}

StateDict LinearWarmup::state_dict() const {
  StateDict out = LRScheduler::state_dict();
  if (after_)
    for (const auto& [key, tensor] : after_->state_dict()) out.insert("after." + key, tensor);
  return out;
}

void LinearWarmup::load_state_dict(const StateDict& state) {
  StateDict own, sub;
  for (const auto& [key, tensor] : state) {
    if (after_ && key.compare(0, 6, "after.") == 0) {
      sub.insert(key.substr(6), tensor);
      continue;
    }
    bool known = false;
    for (const char* k : kBaseKeys) known = known || key == k;
    if (!known) throw std::invalid_argument(name_ + ".load_state_dict: unexpected entry '" + key + "'");
    own.insert(key, tensor);
  }
  // Validate both before changing either.
  const std::int64_t epoch = last_epoch_;
  const double base = base_lr_, last = last_lr_;
  load_base(own, "");
  if (after_) {
    try {
      after_->load_state_dict(sub);
    } catch (...) {
      last_epoch_ = epoch;
      base_lr_ = base;
      last_lr_ = last;
      throw;
    }
  }
}

}  // namespace xg::optim
