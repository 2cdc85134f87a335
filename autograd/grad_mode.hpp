#pragma once

namespace xg {

/// Whether ops record onto the tape (thread-local, on by default).
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// Disables recording for its lifetime (like `with torch.no_grad():`).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Sets grad mode for its lifetime (torch::AutoGradMode); the engine uses it to record the
/// backward pass under create_graph.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled);
  ~AutoGradMode();
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

/// Anomaly detection (like torch.autograd.detect_anomaly): while active, every recorded op's
/// forward output and every gradient computed in backward is checked for NaN/Inf, and a
/// std::runtime_error names the op ("log: backward produced NaN in input 0").
bool is_anomaly_enabled();
class AnomalyGuard {
 public:
  AnomalyGuard();
  ~AnomalyGuard();
  AnomalyGuard(const AnomalyGuard&) = delete;
  AnomalyGuard& operator=(const AnomalyGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace xg
