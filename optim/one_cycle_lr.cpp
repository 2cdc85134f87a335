#include "optim/one_cycle_lr.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/format.hpp"

namespace xg::optim {

OneCycleLR::OneCycleLR(Optimizer& optimizer, const OneCycleLROptions& o)
    : LRScheduler(optimizer, "OneCycleLR"), options_(o) {
  const std::string m = "OneCycleLR: ";
  if (o.total_steps() < 1)
    throw std::invalid_argument(m + "total_steps must be a positive integer, got " + std::to_string(o.total_steps()));
  if (!(o.pct_start() >= 0 && o.pct_start() <= 1))
    throw std::invalid_argument(m + "pct_start must be in [0, 1], got " + format_number(o.pct_start()));
  if (!(o.max_lr() > 0 && o.div_factor() > 0 && o.final_div_factor() > 0))
    throw std::invalid_argument(m + "max_lr, div_factor and final_div_factor must be positive, got " +
                                format_number(o.max_lr()) + ", " + format_number(o.div_factor()) + ", " +
                                format_number(o.final_div_factor()));
  if (o.anneal_strategy() != AnnealStrategy::Cos && o.anneal_strategy() != AnnealStrategy::Linear)
    throw std::invalid_argument(m + "anneal_strategy must be Cos or Linear");
  const double initial = o.max_lr() / o.div_factor(), min_lr = initial / o.final_div_factor();
  const double total = static_cast<double>(o.total_steps()), up = o.pct_start() * total - 1;
  const double lo = o.base_momentum(), hi = o.max_momentum();
  if (o.three_phase())
    phases_ = {{up, initial, o.max_lr(), hi, lo}, {2 * o.pct_start() * total - 2, o.max_lr(), initial, lo, hi},
               {total - 1, initial, min_lr, hi, hi}};
  else
    phases_ = {{up, initial, o.max_lr(), hi, lo}, {total - 1, o.max_lr(), min_lr, lo, hi}};
  if (o.cycle_momentum()) {
    // PyTorch prefers betas (Adam and friends) and falls back to momentum (SGD, RMSprop).
    momentum_option_ = optimizer.has_option("betas.0") ? "betas.0" : optimizer.has_option("momentum") ? "momentum" : nullptr;
    if (!momentum_option_)
      throw std::invalid_argument(m + optimizer.name() +
                                  " has neither momentum nor betas: pass cycle_momentum(false) to cycle the lr only");
  }
  initial_step();
}

std::pair<double, double> OneCycleLR::at(std::int64_t epoch) const {
  if (epoch > options_.total_steps())
    throw std::invalid_argument("OneCycleLR: tried to step " + std::to_string(epoch) +
                                " times; the specified number of total steps is " +
                                std::to_string(options_.total_steps()));
  const double step = static_cast<double>(epoch);
  auto anneal = [this](double start, double end, double pct) {
    if (options_.anneal_strategy() == AnnealStrategy::Linear) return (end - start) * pct + start;
    return end + (start - end) / 2.0 * (std::cos(M_PI * pct) + 1);
  };
  double start_step = 0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& p = phases_[i];
    if (step <= p.end_step || i + 1 == phases_.size()) {
      const double pct = (step - start_step) / (p.end_step - start_step);
      return {anneal(p.start_lr, p.end_lr, pct), anneal(p.start_momentum, p.end_momentum, pct)};
    }
    start_step = p.end_step;
  }
  return {phases_.back().end_lr, phases_.back().end_momentum};  // not reached
}

double OneCycleLR::lr_at(std::int64_t epoch) const { return at(epoch).first; }
double OneCycleLR::momentum_at(std::int64_t epoch) const { return at(epoch).second; }

void OneCycleLR::after_lr_set(std::int64_t epoch) {
  if (momentum_option_) optimizer_.set_option(momentum_option_, momentum_at(epoch));
}

}  // namespace xg::optim
