#include "autograd/grad_mode.hpp"

namespace xg {
namespace {
thread_local bool grad_enabled = true;
thread_local bool anomaly_enabled = false;
}  // namespace

bool is_grad_enabled() { return grad_enabled; }
void set_grad_enabled(bool enabled) { grad_enabled = enabled; }

NoGradGuard::NoGradGuard() : previous_(grad_enabled) { grad_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_enabled = previous_; }

AutoGradMode::AutoGradMode(bool enabled) : previous_(grad_enabled) { grad_enabled = enabled; }
AutoGradMode::~AutoGradMode() { grad_enabled = previous_; }

bool is_anomaly_enabled() { return anomaly_enabled; }
AnomalyGuard::AnomalyGuard() : previous_(anomaly_enabled) { anomaly_enabled = true; }
AnomalyGuard::~AnomalyGuard() { anomaly_enabled = previous_; }

}  // namespace xg
