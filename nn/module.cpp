#include "nn/module.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "autograd/creation.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/serialization.hpp"

namespace xg::nn {

Tensor Module::forward(const Tensor&) {
  throw std::logic_error(type_name_ + " has no single-tensor forward(); call its own forward overload");
}

// ---- forward hooks ------------------------------------------------------------------------

namespace {
std::atomic<unsigned> next_forward_hook_handle{1};

}  // namespace

Tensor Module::operator()(const Tensor& input) {
  if (forward_pre_hooks_.empty() && forward_hooks_.empty()) return forward(input);
  Tensor x = input;
  for (const auto& hook : std::vector<std::pair<unsigned, ForwardPreHook>>(forward_pre_hooks_)) {
    Tensor replaced = hook.second(*this, x);
    if (replaced.defined()) x = replaced;
  }
  Tensor out = forward(x);
  for (const auto& hook : std::vector<std::pair<unsigned, ForwardHook>>(forward_hooks_)) {
    Tensor replaced = hook.second(*this, x, out);
    if (replaced.defined()) out = replaced;
  }
  return out;
}

unsigned Module::register_forward_pre_hook(ForwardPreHook hook) {
  const unsigned handle = next_forward_hook_handle.fetch_add(1);
  forward_pre_hooks_.emplace_back(handle, std::move(hook));
  return handle;
}

unsigned Module::register_forward_hook(ForwardHook hook) {
  const unsigned handle = next_forward_hook_handle.fetch_add(1);
  forward_hooks_.emplace_back(handle, std::move(hook));
  return handle;
}

void Module::remove_forward_hook(unsigned handle) {
  auto drop = [handle](auto& hooks) {
    const auto it = std::find_if(hooks.begin(), hooks.end(), [handle](const auto& h) { return h.first == handle; });
    if (it == hooks.end()) return false;
    hooks.erase(it);
    return true;
  };
  if (!drop(forward_pre_hooks_) && !drop(forward_hooks_))
    throw std::invalid_argument(type_name_ + ".remove_forward_hook: no forward hook with handle " +
                                std::to_string(handle));
}

void Module::check_new_name(const std::string& name, const char* what) const {
  if (name.empty() || name.find('.') != std::string::npos)
    throw std::invalid_argument(type_name_ + ": " + what + " name '" + name + "' must be non-empty and contain no '.'");
  auto taken = [&name](const auto& list) {
    for (const auto& item : list)
      if (item.first == name) return true;
    return false;
  };
  if (taken(parameters_) || taken(buffers_) || taken(children_))
    throw std::invalid_argument(type_name_ + ": " + what + " name '" + name + "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor tensor, bool requires_grad) {
  check_new_name(name, "parameter");
  if (!tensor.defined()) throw std::invalid_argument(type_name_ + ": parameter '" + name + "' is undefined");
  if (!tensor.is_leaf())
    throw std::invalid_argument(type_name_ + ": parameter '" + name + "' must be a leaf tensor (detach() it first)");
  tensor.requires_grad_(requires_grad);
  parameters_.emplace_back(name, tensor);
  return tensor;
}

Tensor Module::register_buffer(const std::string& name, Tensor tensor) {
  check_new_name(name, "buffer");
  if (!tensor.defined()) throw std::invalid_argument(type_name_ + ": buffer '" + name + "' is undefined");
  buffers_.emplace_back(name, tensor);
  return tensor;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "submodule");
  if (!module) throw std::invalid_argument(type_name_ + ": submodule '" + name + "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool buffers, std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const auto& [name, t] : buffers ? buffers_ : parameters_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", buffers, out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  if (!recurse) return parameters_;
  collect("", false, out);
  // A tensor shared by two modules (weight tying) is listed once, as PyTorch does.
  std::set<const TensorImpl*> seen;
  std::vector<std::pair<std::string, Tensor>> unique;
  for (auto& item : out)
    if (seen.insert(item.second.impl()).second) unique.push_back(std::move(item));
  return unique;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& item : named_parameters(recurse)) out.push_back(item.second);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  if (!recurse) return buffers_;
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", true, out);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& item : children_) out.push_back(item.second);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (const auto& [name, child] : children_) {
    out.emplace_back(name, child);
    for (auto& [sub, module] : child->named_modules()) out.emplace_back(name + "." + sub, module);
  }
  return out;
}

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& item : children_) item.second->train(on);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.set_grad(Tensor());
}

Module& Module::requires_grad_(bool requires_grad) {
  for (Tensor& p : parameters()) p.requires_grad_(requires_grad);
  return *this;
}

void Module::apply(const std::function<void(Module&)>& fn) {
  fn(*this);
  for (auto& item : children_) item.second->apply(fn);
}

void Module::to(Dtype dtype) {
  // PyTorch: "nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=torch.int64".
  if (!is_floating(dtype))
    throw std::invalid_argument(type_name_ + ".to: modules can only be converted to a floating point dtype " +
                                "(float32 or float64), got " + dtype_name(dtype));
  auto convert = [dtype](Tensor t) {
    if (t.dtype() == dtype || !is_floating(t.dtype())) return;
    NoGradGuard no_grad;
    Tensor converted = t.detach().to(dtype);
    // Swap the data under the existing handle, so every holder of this parameter sees it.
    TensorImpl* impl = t.impl();
    impl->storage = converted.impl()->storage;
    impl->dtype = dtype;
    impl->grad.reset();
    impl->grad_accumulator.reset();
  };
  for (auto& item : named_parameters()) convert(item.second);
  for (auto& item : named_buffers()) convert(item.second);
}

StateDict Module::state_dict() const {
  StateDict state;
  std::vector<std::pair<std::string, Tensor>> items;
  // PyTorch orders a state dict module by module: own parameters, own buffers, then children.
  std::function<void(const Module&, const std::string&)> walk = [&](const Module& m, const std::string& prefix) {
    for (const auto& [name, t] : m.parameters_) state.insert(prefix + name, t);
    for (const auto& [name, t] : m.buffers_) state.insert(prefix + name, t);
    for (const auto& [name, child] : m.children_) walk(*child, prefix + name + ".");
  };
  walk(*this, "");
  return state;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : own) {
    if (!state.contains(name)) {
      missing.push_back(name);
      continue;
    }
    const Tensor& src = state.at(name);
    if (!src.defined() || src.shape() != t.shape())
      mismatched.push_back(name + " (checkpoint " + (src.defined() ? shape_str(src.shape()) : "undefined") +
                           ", model " + shape_str(t.shape()) + ")");
  }
  for (const auto& [name, t] : state)
    if (!own.contains(name)) unexpected.push_back(name);
  auto join = [](const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
  };
  std::string problems;
  if (!mismatched.empty()) problems += " size mismatch for: " + join(mismatched) + ".";
  if (strict && !missing.empty()) problems += " Missing key(s): " + join(missing) + ".";
  if (strict && !unexpected.empty()) problems += " Unexpected key(s): " + join(unexpected) + ".";
  if (!problems.empty()) throw std::runtime_error("Error(s) in loading state_dict for " + type_name_ + ":" + problems);
  // Validated: now copy, so a failed load never leaves the model half-overwritten.
  NoGradGuard no_grad;
  for (const auto& [name, t] : own) {
    if (!state.contains(name)) continue;
    Tensor dst = t;
    copy_(dst, state.at(name));
  }
}

void Module::save(const std::string& path, const std::map<std::string, std::string>& metadata) const {
  save_safetensors(path, state_dict(), metadata);
}

void Module::load(const std::string& path, bool strict) { load_state_dict(load_safetensors(path).tensors, strict); }

static void print_module(std::ostream& os, const Module& m, int indent) {
  os << m.type_name() << "(" << m.extra_repr();
  const auto children = m.named_children();
  if (!children.empty()) {
    os << "\n";
    for (const auto& [name, child] : children) {
      os << std::string(static_cast<std::size_t>(indent + 2), ' ') << "(" << name << "): ";
      print_module(os, *child, indent + 2);
      os << "\n";
    }
    os << std::string(static_cast<std::size_t>(indent), ' ');
  }
  os << ")";
}

std::ostream& operator<<(std::ostream& os, const Module& module) {
  print_module(os, module, 0);
  return os;
}

}  // namespace xg::nn
