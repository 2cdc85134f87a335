#include "optim/reduce_lr_on_plateau.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/format.hpp"

namespace xg::optim {

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& o)
    : optimizer_(optimizer), options_(o), last_lr_(optimizer.lr()) {
  const std::string m = "ReduceLROnPlateau: ";
  if (!(o.factor() < 1.0 && o.factor() > 0.0))
    throw std::invalid_argument(m + "factor must be in (0, 1), got " + format_number(o.factor()));
  if (o.patience() < 0 || o.cooldown() < 0)
    throw std::invalid_argument(m + "patience and cooldown must be ≥ 0, got " + std::to_string(o.patience()) + ", " +
                                std::to_string(o.cooldown()));
  if (!(o.threshold() >= 0 && o.min_lr() >= 0 && o.eps() >= 0))
    throw std::invalid_argument(m + "threshold, min_lr and eps must be ≥ 0, got " + format_number(o.threshold()) +
                                ", " + format_number(o.min_lr()) + ", " + format_number(o.eps()));
  if (o.mode() != PlateauMode::Min && o.mode() != PlateauMode::Max)
    throw std::invalid_argument(m + "mode must be Min or Max");
  if (o.threshold_mode() != ThresholdMode::Rel && o.threshold_mode() != ThresholdMode::Abs)
    throw std::invalid_argument(m + "threshold_mode must be Rel or Abs");
  best_ = o.mode() == PlateauMode::Min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

bool ReduceLROnPlateau::is_better(double a) const {
  const double t = options_.threshold();
  const bool rel = options_.threshold_mode() == ThresholdMode::Rel;
  if (options_.mode() == PlateauMode::Min) return rel ? a < best_ * (1.0 - t) : a < best_ - t;
  return rel ? a > best_ * (t + 1.0) : a > best_ + t;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience()) {
    const double old_lr = optimizer_.lr(), new_lr = std::max(old_lr * options_.factor(), options_.min_lr());
    if (old_lr - new_lr > options_.eps()) optimizer_.set_lr(new_lr);
    cooldown_counter_ = options_.cooldown();
    num_bad_epochs_ = 0;
  }
  last_lr_ = optimizer_.lr();
}

StateDict ReduceLROnPlateau::state_dict() const {
  StateDict out;
  out.insert("last_epoch", from_vector(std::vector<std::int64_t>{last_epoch_}, {}));
  out.insert("best", scalar_tensor(best_, kFloat64));
  out.insert("num_bad_epochs", from_vector(std::vector<std::int64_t>{num_bad_epochs_}, {}));
  out.insert("cooldown_counter", from_vector(std::vector<std::int64_t>{cooldown_counter_}, {}));
  out.insert("last_lr", scalar_tensor(last_lr_, kFloat64));
  return out;
}

void ReduceLROnPlateau::load_state_dict(const StateDict& state) {
  double v[5];
  const char* keys[] = {"last_epoch", "best", "num_bad_epochs", "cooldown_counter", "last_lr"};
  for (int k = 0; k < 5; ++k) {
    if (!state.contains(keys[k]) || state.at(keys[k]).numel() != 1)
      throw std::invalid_argument(std::string("ReduceLROnPlateau.load_state_dict: missing entry '") + keys[k] + "'");
    v[k] = state.at(keys[k]).item();
  }
  last_epoch_ = static_cast<std::int64_t>(v[0]);
  best_ = v[1];
  num_bad_epochs_ = static_cast<std::int64_t>(v[2]);
  cooldown_counter_ = static_cast<std::int64_t>(v[3]);
  last_lr_ = v[4];
}

}  // namespace xg::optim
