#pragma once
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/state_dict.hpp"
#include "autograd/tensor.hpp"

namespace xg::nn {

/// Base class of every layer and model, like torch.nn.Module.
///
/// A module owns named parameters, buffers and submodules in registration order; names are
/// dotted exactly as PyTorch forms them ("encoder.rnn.weight_ih_l0"), so state dicts map one to
/// one onto a PyTorch model. Modules are held by std::shared_ptr. Subclass it, register what you
/// own in the constructor, and write a forward:
///
///   struct Net : xg::nn::Module {
///     std::shared_ptr<xg::nn::Linear> fc1, fc2;
///     Net() : Module("Net") {
///       fc1 = register_module("fc1", std::make_shared<xg::nn::Linear>(4, 8));
///       fc2 = register_module("fc2", std::make_shared<xg::nn::Linear>(8, 1));
///     }
///     xg::Tensor forward(const xg::Tensor& x) override { return fc2->forward(xg::tanh(fc1->forward(x))); }
///   };
class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Single-tensor forward (what Sequential calls). Modules with other signatures (RNN, losses)
  /// offer their own forward; the default throws std::logic_error naming the module type.
  virtual Tensor forward(const Tensor& input);

  /// Registers a parameter (a leaf; requires_grad is set). Returns the handle stored.
  Tensor register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  /// Registers a buffer: state that is saved but not trained.
  Tensor register_buffer(const std::string& name, Tensor tensor);
  /// Registers a submodule under `name`; returns it for convenient assignment.
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  /// All parameters (recursively, registration order, each once).
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  /// Every submodule, depth first, with dotted names (this module itself is not included).
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules() const;
  /// Total number of parameter elements.
  std::int64_t num_parameters() const;

  /// Training mode affects Dropout and RNN inter-layer dropout. Recursive.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Sets every parameter's grad to none (PyTorch's set_to_none=True default).
  void zero_grad();
  /// Sets requires_grad of every parameter (recursively) and returns *this
  /// (torch.nn.Module.requires_grad_: freeze a part of a model with requires_grad_(false)).
  Module& requires_grad_(bool requires_grad = true);
  /// Calls fn on this module, then on every submodule, depth first in registration order
  /// (libtorch's Module::apply): e.g. re-initialize every Linear.
  void apply(const std::function<void(Module&)>& fn);
  /// Converts parameters and buffers in place (every handle to them sees the new dtype).
  void to(Dtype dtype);

  /// Parameters then buffers of each module, in PyTorch's state_dict order. The tensors share
  /// data with the module.
  StateDict state_dict() const;
  /// Copies values into the existing parameters/buffers (dtype converted as needed). With
  /// strict, missing and unexpected keys are errors; shape mismatches always are. The
  /// std::runtime_error lists every offending key by name.
  void load_state_dict(const StateDict& state, bool strict = true);
  /// safetensors with the state_dict names (loadable by safetensors.torch.load_file + load_state_dict).
  void save(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;
  void load(const std::string& path, bool strict = true);

  // ---- forward hooks (PyTorch's nn.Module hooks; libtorch's C++ Module has none) -------------
  /// Calls forward(input) with the hooks around it, as calling a PyTorch module does: pre-hooks
  /// may replace the input, forward hooks the output (return an undefined Tensor to keep it), in
  /// registration order. Calling forward() directly bypasses the hooks, as in PyTorch.
  /// Sequential calls its children this way. Only the single-tensor forward has hooks.
  Tensor operator()(const Tensor& input);
  using ForwardPreHook = std::function<Tensor(Module& module, const Tensor& input)>;
  using ForwardHook = std::function<Tensor(Module& module, const Tensor& input, const Tensor& output)>;
  /// Returns a handle for remove_forward_hook.
  unsigned register_forward_pre_hook(ForwardPreHook hook);
  unsigned register_forward_hook(ForwardHook hook);
  /// Removes a hook registered by either function; an unknown handle throws.
  void remove_forward_hook(unsigned handle);

  const std::string& type_name() const { return type_name_; }
  /// The text inside the parentheses of the repr, e.g. "in_features=4, out_features=8, bias=True".
  virtual std::string extra_repr() const { return ""; }

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  /// Names may not be empty, contain '.', or repeat.
  void check_new_name(const std::string& name, const char* what) const;

 private:
  void collect(const std::string& prefix, bool buffers, std::vector<std::pair<std::string, Tensor>>& out) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::vector<std::pair<unsigned, ForwardPreHook>> forward_pre_hooks_;
  std::vector<std::pair<unsigned, ForwardHook>> forward_hooks_;
};

/// PyTorch-style multi-line repr: "Net(\n  (fc1): Linear(in_features=4, ...)\n)".
std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace xg::nn
