#pragma once
// Custom autograd functions, as libtorch's torch::autograd::Function / AutogradContext
// (torch/csrc/autograd/custom_function.h): a struct with a static forward and a static backward
// becomes one differentiable op.
//
//   struct MulConstant : xg::autograd::Function<MulConstant> {
//     static xg::Tensor forward(xg::autograd::AutogradContext* ctx, xg::Tensor x, double c) {
//       ctx->saved_data["c"] = c;
//       return x * c;
//     }
//     static xg::autograd::variable_list backward(xg::autograd::AutogradContext* ctx,
//                                                 xg::autograd::variable_list grad_outputs) {
//       return {grad_outputs[0] * ctx->saved_data["c"].toDouble(), xg::Tensor()};
//     }
//   };
//   xg::Tensor y = MulConstant::apply(x, 2.0);
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/tensor.hpp"

namespace xg {
struct Node;

namespace autograd {

using variable_list = std::vector<Tensor>;

/// A value kept in AutogradContext::saved_data. libtorch stores an at::IValue there; xgrad has no
/// IValue, so this small value type holds the kinds custom functions keep (bool, integer, double,
/// string, integer list, Tensor) behind IValue's accessor names, so ported code compiles
/// unchanged. Reading the wrong kind throws naming both kinds.
class SavedValue {
 public:
  SavedValue() = default;
  SavedValue(bool v) : value_(v) {}                                 // NOLINT: implicit as IValue's
  SavedValue(int v) : value_(static_cast<std::int64_t>(v)) {}       // NOLINT
  SavedValue(std::int64_t v) : value_(v) {}                         // NOLINT
  SavedValue(double v) : value_(v) {}                               // NOLINT
  SavedValue(const char* v) : value_(std::string(v)) {}             // NOLINT
  SavedValue(std::string v) : value_(std::move(v)) {}               // NOLINT
  SavedValue(std::vector<std::int64_t> v) : value_(std::move(v)) {}  // NOLINT
  SavedValue(Tensor v) : value_(std::move(v)) {}                    // NOLINT

  bool isNone() const { return value_.index() == 0; }
  bool toBool() const;
  std::int64_t toInt() const;
  /// A double, or an integer converted (as IValue::toDouble does not; convenient for constants).
  double toDouble() const;
  const std::string& toStringRef() const;
  const std::vector<std::int64_t>& toIntVector() const;
  const Tensor& toTensor() const;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, std::vector<std::int64_t>, Tensor> value_;
  const char* kind() const;
};

class AutogradContext;
namespace detail {
/// The non-template part of Function::apply: makes the node, wires outputs and saved tensors.
/// `is_tensor_arg[k]` says which forward arguments were Tensors (`inputs` holds those, in order).
variable_list record_function(const char* name, const std::shared_ptr<AutogradContext>& ctx,
                              const variable_list& inputs, const std::vector<bool>& is_tensor_arg,
                              variable_list outputs,
                              variable_list (*backward)(AutogradContext*, variable_list));
/// "MulConstant" for a Function subclass (demangled type name, kept for the process lifetime).
const char* function_name(const char* mangled);
}  // namespace detail

/// What forward hands to backward (libtorch's AutogradContext). Only Function::apply creates one.
class AutogradContext {
 public:
  AutogradContext() = default;
  AutogradContext(const AutogradContext&) = delete;
  AutogradContext& operator=(const AutogradContext&) = delete;

  /// Tensors backward needs (inputs or outputs of forward); call at most once, from forward.
  void save_for_backward(variable_list to_save);
  /// Inputs that forward modified in place; they must be returned as outputs.
  void mark_dirty(const variable_list& inputs);
  /// Outputs that get no gradient (indices, masks): they do not require grad, and backward
  /// receives an undefined tensor for them.
  void mark_non_differentiable(const variable_list& outputs);
  /// Whether backward receives zeros (true, the default) or undefined tensors for outputs that
  /// no gradient reached.
  void set_materialize_grads(bool value) { materialize_grads_ = value; }
  /// The tensors given to save_for_backward. Throws if one was modified in place since
  /// ("<Function>: one of the variables needed for gradient computation has been modified by an
  /// inplace operation: ..."). In a backward with create_graph they are connected to the graph,
  /// so a backward written with xg ops is differentiable again.
  variable_list get_saved_variables() const;
  /// Whether the gradient of the i-th Tensor argument of forward is needed (it requires grad).
  bool needs_input_grad(std::size_t tensor_input_index) const;

  /// Anything else backward needs (libtorch: std::unordered_map<std::string, at::IValue>).
  std::unordered_map<std::string, SavedValue> saved_data;

 private:
  template <typename>
  friend struct Function;
  friend variable_list detail::record_function(const char*, const std::shared_ptr<AutogradContext>&,
                                              const variable_list&, const std::vector<bool>&, variable_list,
                                              variable_list (*)(AutogradContext*, variable_list));
  struct SavedTensor {
    Tensor tensor;             // the tensor itself, or for an output a detached handle (no cycle)
    std::uint32_t version = 0;
    int output_nr = -1;        // >= 0: output of this function, re-attached under create_graph
  };
  const char* name_ = "Function";
  variable_list to_save_;  // as given during forward
  std::vector<SavedTensor> saved_;
  std::vector<const TensorImpl*> dirty_, non_differentiable_;
  std::vector<bool> needs_input_grad_;
  bool materialize_grads_ = true;
  bool saved_called_ = false;
  std::weak_ptr<Node> node_;
};


/// CRTP base of a custom op: `Derived` defines
///   static Tensor-or-variable_list forward(AutogradContext* ctx, Args...);
///   static variable_list backward(AutogradContext* ctx, variable_list grad_outputs);
/// and is called as `Derived::apply(args...)`. Tensor arguments are the op's inputs (other
/// arguments are passed through); backward returns one gradient per forward argument (undefined
/// for non-Tensor arguments and for inputs that need none). forward runs with grad mode off.
/// Backward may run on several threads at once for a shared graph: the engine serialises the
/// calls of one node, so ctx needs no lock of its own.
template <typename Derived>
struct Function {
  template <typename... Args>
  static auto apply(Args&&... args) {
    auto ctx = std::make_shared<AutogradContext>();
    ctx->name_ = detail::function_name(typeid(Derived).name());
    variable_list inputs;
    std::vector<bool> is_tensor_arg;
    (collect(inputs, is_tensor_arg, args), ...);
    for (const Tensor& t : inputs) ctx->needs_input_grad_.push_back(t.defined() && t.requires_grad());
    using Result = decltype(Derived::forward(ctx.get(), std::forward<Args>(args)...));
    static_assert(std::is_same_v<Result, Tensor> || std::is_same_v<Result, variable_list>,
                  "Function: forward must return a Tensor or a variable_list");
    variable_list outputs;
    {
      NoGradGuard forward_records_nothing;
      if constexpr (std::is_same_v<Result, Tensor>) outputs.push_back(Derived::forward(ctx.get(), std::forward<Args>(args)...));
      else outputs = Derived::forward(ctx.get(), std::forward<Args>(args)...);
    }
    outputs = detail::record_function(ctx->name_, ctx, inputs, is_tensor_arg, std::move(outputs), &Derived::backward);
    if constexpr (std::is_same_v<Result, Tensor>) return outputs[0];
    else return outputs;
  }

 private:
  template <typename T>
  static void collect(variable_list& inputs, std::vector<bool>& is_tensor_arg, const T& arg) {
    const bool tensor = std::is_same_v<std::decay_t<T>, Tensor>;
    if constexpr (std::is_same_v<std::decay_t<T>, Tensor>) inputs.push_back(arg);
    is_tensor_arg.push_back(tensor);
  }
};

}  // namespace autograd
}  // namespace xg
