#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/state_dict.hpp"
#include "autograd/tensor.hpp"

namespace xg::optim {

/// Base of every optimizer: one parameter group (a list of leaf tensors), hyperparameters, and
/// per-parameter state kept in vectors parallel to the parameter list (never keyed by pointers).
///
/// State of parameter i is created on the first step() in which it has a gradient (as PyTorch):
/// an optional step count and named buffers of the parameter's shape and dtype. state_dict() holds
///   `state.<i>.step`          float64 0-dim (the per-parameter step count), if the optimizer has one
///   `state.<i>.<buffer>`      e.g. `state.0.exp_avg`, for every parameter that has state
///   `param_groups.0.<option>` every numeric option as a float64 0-dim tensor (lr, beta1, …)
/// so that xg::save_safetensors(path, opt.state_dict()) and load_state_dict() resume exactly.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Applies one update to every parameter that has a gradient (others are skipped), in place on
  /// the parameter's data, under no_grad, in the parameter's dtype: the one step loop; each
  /// optimizer supplies only update().
  void step();
  /// Clears every parameter's gradient: set to none (undefined) by default, as PyTorch ≥ 2.0 does
  /// (torch 1.13's default set_to_none=False fills zeros instead; pass false for that).
  void zero_grad(bool set_to_none = true);

  /// The learning rate (of the single parameter group).
  double lr() const;
  /// Sets the learning rate (what schedulers call); throws std::invalid_argument if lr < 0.
  void set_lr(double lr);
  /// Whether the optimizer has the numeric option `name`, spelled as in its state dict
  /// ("momentum", "betas.0", …): what OneCycleLR looks for to cycle the momentum.
  bool has_option(const std::string& name) const;
  /// Sets numeric option `name` and re-validates the options (restoring the old value if invalid);
  /// throws std::invalid_argument naming the optimizer and the option when it has none by that name.
  void set_option(const std::string& name, double value);

  const std::vector<Tensor>& parameters() const { return params_; }
  /// The optimizer's name as used in error messages ("Adam").
  const std::string& name() const { return name_; }
  /// Step count of parameter i (0 before its first update; always 0 for optimizers without one).
  std::int64_t step_count(std::size_t i) const { return steps_.at(i); }

  /// A deep copy of the state (see the class comment for the names).
  StateDict state_dict() const;
  /// Restores a state_dict() of an optimizer of the same kind over parameters of the same shapes.
  /// Throws std::invalid_argument naming the entry for unknown or missing entries, a parameter index
  /// out of range, or a shape mismatch; nothing is changed when it throws. Buffers are converted to
  /// the parameter's dtype (as PyTorch does).
  void load_state_dict(const StateDict& state);

 protected:
  /// A numeric option exposed in the state dict as `param_groups.0.<name>`.
  struct Hyperparameter {
    const char* name;
    double* value;
  };

  /// Validates `params` (non-empty; defined, floating, leaf tensors; no duplicates).
  Optimizer(std::string name, std::vector<Tensor> params, bool has_step);

  /// The numeric options, "lr" first (pointers into the derived class's options struct).
  virtual std::vector<Hyperparameter> hyperparameters() = 0;
  /// Throws std::invalid_argument if the current options are invalid (also run after loading).
  virtual void validate_options() const = 0;
  /// A per-parameter buffer: its name, and whether it exists under the current options. A
  /// `scalar` buffer is a 0-dim float32 tensor whatever the parameter (NAdam's mu_product, kept
  /// as PyTorch keeps it); the others have the parameter's shape and dtype.
  struct BufferSpec {
    const char* name;
    bool active;
    bool scalar = false;
  };
  /// Every buffer the optimizer may keep, in a fixed order (index k below).
  virtual std::vector<BufferSpec> buffer_specs() const = 0;
  /// Updates parameter i, which has gradient `grad`, in place (step() runs it under no_grad).
  virtual void update(std::size_t i, const Tensor& grad) = 0;

  /// Buffer `k` (index into buffer_specs()) of parameter i.
  Tensor& buffer(std::size_t k, std::size_t i) { return buffers_[k][i]; }
  bool has_state(std::size_t i) const { return has_state_[i] != 0; }
  /// Marks parameter i as having state (its buffers must have been created).
  void mark_state(std::size_t i) { has_state_[i] = 1; }
  /// Increments and returns parameter i's step count.
  std::int64_t increment_step(std::size_t i) { return ++steps_[i]; }
  /// Sizes the buffer table for buffer_specs(); derived constructors call it.
  void init_state_slots();

  std::vector<Tensor> params_;

 private:
  std::string name_;
  bool has_step_;
  std::vector<std::int64_t> steps_;
  std::vector<char> has_state_;
  std::vector<std::vector<Tensor>> buffers_;  // [buffer][parameter]
};

namespace detail {
/// "<name>: invalid <what>: <value>" as std::invalid_argument (value printed like Python's repr).
[[noreturn]] void throw_invalid_option(const std::string& optimizer, const std::string& what, double value);
}  // namespace detail

}  // namespace xg::optim
