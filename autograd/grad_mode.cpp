#include "autograd/grad_mode.hpp"

namespace xg {
using detail::anomaly_mode_enabled;
using detail::grad_mode_enabled;

void set_grad_enabled(bool enabled) { grad_mode_enabled = enabled; }

NoGradGuard::NoGradGuard() : previous_(grad_mode_enabled) { grad_mode_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_mode_enabled = previous_; }

AutoGradMode::AutoGradMode(bool enabled) : previous_(grad_mode_enabled) { grad_mode_enabled = enabled; }
AutoGradMode::~AutoGradMode() { grad_mode_enabled = previous_; }

AnomalyGuard::AnomalyGuard() : previous_(anomaly_mode_enabled) { anomaly_mode_enabled = true; }
AnomalyGuard::~AnomalyGuard() { anomaly_mode_enabled = previous_; }

}  // namespace xg
