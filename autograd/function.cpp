#include "autograd/function.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>

#include "autograd/detail/shape_kernels.hpp"
#include "autograd/node.hpp"

namespace xg::autograd {

// ---- SavedValue ----------------------------------------------------------------------------

const char* SavedValue::kind() const {
  static const char* const kinds[] = {"None", "bool", "int", "double", "string", "int list", "Tensor"};
  return kinds[value_.index()];
}

namespace {
template <typename T>
const T& get_as(const std::variant<std::monostate, bool, std::int64_t, double, std::string, std::vector<std::int64_t>,
                                   Tensor>& v,
                const char* wanted, const char* actual) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw std::invalid_argument(std::string("saved_data: expected a ") + wanted + ", the value is a " + actual);
}
}  // namespace

bool SavedValue::toBool() const { return get_as<bool>(value_, "bool", kind()); }
std::int64_t SavedValue::toInt() const { return get_as<std::int64_t>(value_, "int", kind()); }
double SavedValue::toDouble() const {
  if (const auto* i = std::get_if<std::int64_t>(&value_)) return static_cast<double>(*i);
  return get_as<double>(value_, "double", kind());
}
const std::string& SavedValue::toStringRef() const { return get_as<std::string>(value_, "string", kind()); }
const std::vector<std::int64_t>& SavedValue::toIntVector() const {
  return get_as<std::vector<std::int64_t>>(value_, "int list", kind());
}
const Tensor& SavedValue::toTensor() const { return get_as<Tensor>(value_, "Tensor", kind()); }

// ---- AutogradContext -----------------------------------------------------------------------

void AutogradContext::save_for_backward(variable_list to_save) {
  if (saved_called_) throw std::logic_error(std::string(name_) + ": save_for_backward may be called only once");
  saved_called_ = true;
  to_save_ = std::move(to_save);
}

void AutogradContext::mark_dirty(const variable_list& inputs) {
  for (const Tensor& t : inputs) dirty_.push_back(t.impl());
}

void AutogradContext::mark_non_differentiable(const variable_list& outputs) {
  for (const Tensor& t : outputs) non_differentiable_.push_back(t.impl());
}

bool AutogradContext::needs_input_grad(std::size_t i) const {
  if (i >= needs_input_grad_.size())
    throw std::invalid_argument(std::string(name_) + ": needs_input_grad(" + std::to_string(i) + ") but forward had " +
                                std::to_string(needs_input_grad_.size()) + " Tensor arguments");
  return needs_input_grad_[i];
}

variable_list AutogradContext::get_saved_variables() const {
  variable_list out;
  out.reserve(saved_.size());
  for (const SavedTensor& s : saved_) {
    if (!s.tensor.defined()) {
      out.emplace_back();
      continue;
    }
    const std::uint32_t now = s.tensor._version();
    if (now != s.version)
      throw std::runtime_error(std::string(name_) +
                               ": one of the variables needed for gradient computation has been modified by an "
                               "inplace operation: [" +
                               dtype_name(s.tensor.dtype()) + " " + shape_str(s.tensor.shape()) + "] is at version " +
                               std::to_string(now) + "; expected version " + std::to_string(s.version));
    std::shared_ptr<Node> node = s.output_nr >= 0 && is_grad_enabled() ? node_.lock() : nullptr;
    if (!node) {
      out.push_back(s.tensor);
      continue;
    }
    // create_graph: this function's own output, connected to its node again for the duration of
    // the returned handle (the context itself keeps only the detached one: no cycle).
    Tensor attached = xg::detail::alias_with_shape(s.tensor, s.tensor.shape());
    attached.impl()->grad_fn = std::move(node);
    attached.impl()->output_nr = static_cast<std::uint32_t>(s.output_nr);
    attached.impl()->requires_grad = true;
    out.push_back(attached);
  }
  return out;
}

// ---- Function::apply's recording -----------------------------------------------------------

namespace detail {

const char* function_name(const char* mangled) {
  static std::mutex lock;
  static std::map<std::string, std::string> names;  // node names must outlive every node
  std::lock_guard<std::mutex> guard(lock);
  auto it = names.find(mangled);
  if (it == names.end()) {
    int status = 0;
    char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    it = names.emplace(mangled, status == 0 && demangled ? demangled : mangled).first;
    std::free(demangled);
  }
  return it->second.c_str();
}

variable_list record_function(const char* name, const std::shared_ptr<AutogradContext>& ctx,
                              const variable_list& inputs, const std::vector<bool>& is_tensor_arg,
                              variable_list outputs, variable_list (*backward)(AutogradContext*, variable_list)) {
  const std::string op(name);
  auto index_of = [](const variable_list& list, const TensorImpl* impl) {
    for (std::size_t k = 0; k < list.size(); ++k)
      if (list[k].impl() == impl) return static_cast<int>(k);
    return -1;
  };
  for (std::size_t k = 0; k < outputs.size(); ++k)
    if (!outputs[k].defined())
      throw std::invalid_argument(op + ": forward returned an undefined tensor as output " + std::to_string(k));
  const bool recording = needs_grad(inputs);
  for (const TensorImpl* d : ctx->dirty_) {
    const int in = index_of(inputs, d);
    if (in < 0) throw std::invalid_argument(op + ": mark_dirty: only inputs of forward can be marked dirty");
    if (index_of(outputs, d) < 0)
      throw std::invalid_argument(op + ": mark_dirty: the dirty input " + std::to_string(in) +
                                  " must be returned as an output of forward");
    if (recording && inputs[in].is_leaf() && inputs[in].requires_grad())
      throw std::invalid_argument(op + ": a leaf tensor that requires grad (input " + std::to_string(in) +
                                  ") was modified in place by forward (mark_dirty)");
    xg::detail::bump_version(inputs[in]);  // saved uses of its old values now fail loudly
  }
  for (const TensorImpl* nd : ctx->non_differentiable_)
    if (index_of(outputs, nd) < 0)
      throw std::invalid_argument(op + ": mark_non_differentiable: only outputs of forward can be marked");
  // An output that is an (unmodified) input, or already belongs to another graph, gets its own
  // handle: this function's node must not take over that tensor's history.
  for (Tensor& out : outputs) {
    const bool dirty = std::find(ctx->dirty_.begin(), ctx->dirty_.end(), out.impl()) != ctx->dirty_.end();
    if (!dirty && (index_of(inputs, out.impl()) >= 0 || out.grad_fn()))
      out = xg::detail::alias_with_shape(out, out.shape());
  }
  if (!recording) return outputs;

  std::vector<bool> differentiable(outputs.size());
  for (std::size_t k = 0; k < outputs.size(); ++k)
    differentiable[k] = std::find(ctx->non_differentiable_.begin(), ctx->non_differentiable_.end(),
                                  outputs[k].impl()) == ctx->non_differentiable_.end();
  record_multi(outputs, name, inputs,
               [ctx, is_tensor_arg, backward, op](const variable_list& grad_outputs) {
                 variable_list grads = backward(ctx.get(), grad_outputs);
                 if (grads.size() != is_tensor_arg.size())
                   throw std::runtime_error(op + ": backward returned " + std::to_string(grads.size()) +
                                            " gradients; expected " + std::to_string(is_tensor_arg.size()) +
                                            " (one per argument of forward, undefined for non-Tensor ones)");
                 variable_list per_input;
                 for (std::size_t k = 0; k < grads.size(); ++k) {
                   if (is_tensor_arg[k]) {
                     per_input.push_back(ctx->needs_input_grad(per_input.size()) ? grads[k] : Tensor());
                   } else if (grads[k].defined()) {
                     throw std::runtime_error(op + ": backward returned a gradient for argument " + std::to_string(k) +
                                              ", which is not a Tensor (return an undefined Tensor for it)");
                   }
                 }
                 return per_input;
               },
               differentiable);
  std::shared_ptr<Node> node;
  for (const Tensor& out : outputs)
    if (out.grad_fn()) node = out.grad_fn();
  if (!node) return outputs;  // every output non-differentiable: nothing will call backward
  node->serialize_backward = true;     // user code on a shared context
  node->materialize_grads = ctx->materialize_grads_;
  ctx->node_ = node;
  for (const Tensor& t : ctx->to_save_) {
    if (!t.defined()) {
      ctx->saved_.push_back({});
      continue;
    }
    const int k = index_of(outputs, t.impl());
    if (k >= 0 && differentiable[static_cast<std::size_t>(k)])
      ctx->saved_.push_back({t.detach(), t._version(), k});
    else
      ctx->saved_.push_back({t, t._version(), -1});
  }
  ctx->to_save_.clear();
  return outputs;
}

}  // namespace detail
}  // namespace xg::autograd
