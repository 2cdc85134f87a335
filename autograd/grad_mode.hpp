#pragma once

namespace xg {

namespace detail {
// The thread's modes, read inline by every op (a function call each was measurable on the per-op
// path, bench/RESULTS.md "Per-op overhead"). Set only through the functions and guards below.
inline thread_local bool grad_mode_enabled = true;
inline thread_local bool anomaly_mode_enabled = false;
}  // namespace detail

/// Whether ops record onto the tape (thread-local, on by default).
inline bool is_grad_enabled() { return detail::grad_mode_enabled; }
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
inline bool is_anomaly_enabled() { return detail::anomaly_mode_enabled; }
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
