#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
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
  /// A numeric option exposed in the state dict as `param_groups.0.<name>`.
  struct Hyperparameter {
    const char* name;
    double* value;
  };

  /// A per-parameter buffer: its name, and whether it exists under the current options. A
  /// `scalar` buffer is a 0-dim float32 tensor whatever the parameter (NAdam's mu_product, kept
  /// as PyTorch keeps it); the others have the parameter's shape and dtype. Every element starts
  /// at `initial`.
  struct BufferSpec {
    const char* name;
    bool active;
    bool scalar = false;
    double initial = 0.0;
  };

  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Applies one update to every parameter that has a gradient (others are skipped), in place on
  /// the parameter's data, under no_grad, in the parameter's dtype: the one step loop. It creates
  /// a parameter's state on its first update and counts its steps; each optimizer supplies only
  /// update().
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
  /// Validates `params` (non-empty; defined, floating, leaf tensors; no duplicates).
  Optimizer(std::string name, std::vector<Tensor> params, bool has_step);

  /// The numeric options, "lr" first (pointers into the derived class's options struct).
  virtual std::vector<Hyperparameter> hyperparameters() = 0;
  /// Throws std::invalid_argument if the current options are invalid (also run after loading).
  virtual void validate_options() const = 0;
  /// Every buffer the optimizer may keep, in a fixed order (index k below).
  virtual std::vector<BufferSpec> buffer_specs() const = 0;
  /// Updates parameter i, which has gradient `grad`, in place (step() runs it under no_grad, after
  /// ensure_state and counting the step); `fresh`: its state was created for this update.
  virtual void update(std::size_t i, const Tensor& grad, bool fresh) = 0;

  /// Buffer `k` (index into buffer_specs()) of parameter i.
  Tensor& buffer(std::size_t k, std::size_t i) { return buffers_[k][i]; }
  bool has_state(std::size_t i) const { return has_state_[i] != 0; }
  /// Creates parameter i's active buffers (buffer_specs()) unless it has state; returns whether it
  /// created them now (false too when no buffer is active: then it has no state).
  bool ensure_state(std::size_t i);
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

/// What every optimizer class adds to Optimizer, written once: its options struct (options(),
/// validated at construction and after set_option/load_state_dict), and the dispatch of update()
/// to the derived class's `template <typename T> void update_as(std::size_t i, const Tensor& grad,
/// bool fresh)` for the parameter's dtype. Derived supplies, as static members reached through
/// `friend OptimizerBase`:
///   static void check_options(const std::string& optimizer, const Options&);   throws if invalid
///   static std::vector<Hyperparameter> hyperparameters_of(Options&);          "lr" first
///   static std::vector<BufferSpec> buffers_of(const Options&);
template <typename Derived, typename Options>
class OptimizerBase : public Optimizer {
 public:
  const Options& options() const { return options_; }

 protected:
  OptimizerBase(std::string name, std::vector<Tensor> params, const Options& options, bool has_step)
      : Optimizer(std::move(name), std::move(params), has_step), options_(options) {
    validate_options();  // the overriders below (final): well-defined inside this constructor
    init_state_slots();
  }
  std::vector<Hyperparameter> hyperparameters() final { return Derived::hyperparameters_of(options_); }
  void validate_options() const final { Derived::check_options(name(), options_); }
  std::vector<BufferSpec> buffer_specs() const final { return Derived::buffers_of(options_); }
  void update(std::size_t i, const Tensor& grad, bool fresh) final {
    auto& derived = static_cast<Derived&>(*this);  // parameters are float32 or float64 (checked)
    if (params_[i].dtype() == kFloat64) derived.template update_as<double>(i, grad, fresh);
    else derived.template update_as<float>(i, grad, fresh);
  }

  Options options_;
};

namespace detail {
/// "<name>: invalid <what>: <value>" as std::invalid_argument (value printed like Python's repr).
[[noreturn]] void throw_invalid_option(const std::string& optimizer, const std::string& what, double value);
/// The option that must be ≥ 0 (NaN fails): its name in the message ("learning rate") and value.
struct NonNegative {
  const char* what;
  double value;
};
/// throw_invalid_option for the first of `options` that is not ≥ 0, in the order given.
void check_non_negative(const std::string& optimizer, std::initializer_list<NonNegative> options);
}  // namespace detail

}  // namespace xg::optim
