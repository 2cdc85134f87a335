#include "optim/optimizer.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "autograd/creation.hpp"
#include "autograd/format.hpp"
#include "autograd/grad_mode.hpp"

namespace xg::optim {

namespace detail {

void throw_invalid_option(const std::string& optimizer, const std::string& what, double value) {
  throw std::invalid_argument(optimizer + ": invalid " + what + ": " + format_number(value));
}

void check_non_negative(const std::string& optimizer, std::initializer_list<NonNegative> options) {
  for (const NonNegative& o : options)
    if (!(o.value >= 0.0)) throw_invalid_option(optimizer, o.what, o.value);
}

}  // namespace detail

namespace {

Tensor deep_copy(const Tensor& src, Dtype dtype) {
  Tensor out = empty(src.shape(), dtype);
  copy_(out, src);
  return out;
}

// Parses "<digits>" fully; false on anything else (sign, spaces, overflow).
bool parse_index(const std::string& s, std::size_t& out) {
  if (s.empty() || s.size() > 12) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::size_t>(c - '0');
  }
  return true;
}

}  // namespace

Optimizer::Optimizer(std::string name, std::vector<Tensor> params, bool has_step)
    : params_(std::move(params)), name_(std::move(name)), has_step_(has_step) {
  if (params_.empty()) throw std::invalid_argument(name_ + ": optimizer got an empty parameter list");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const std::string which = name_ + ": parameter " + std::to_string(i);
    if (!p.defined()) throw std::invalid_argument(which + " is an undefined tensor");
    if (!is_floating(p.dtype()))
      throw std::invalid_argument(which + " has dtype " + dtype_name(p.dtype()) +
                                  "; only float32 and float64 tensors can be optimized");
    if (!p.is_leaf()) throw std::invalid_argument(which + ": can't optimize a non-leaf Tensor");
    for (std::size_t j = 0; j < i; ++j)
      if (params_[j].same(p))
        throw std::invalid_argument(which + " is the same tensor as parameter " + std::to_string(j) +
                                    " (it would be updated twice)");
  }
  steps_.assign(params_.size(), 0);
  has_state_.assign(params_.size(), 0);
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor grad = params_[i].grad();
    if (!grad.defined()) continue;
    xg::detail::bump_version(params_[i]);  // an in-place update: graphs recorded before it must notice
    const bool fresh = ensure_state(i);
    if (has_step_) ++steps_[i];
    update(i, grad, fresh);
  }
}

void Optimizer::init_state_slots() { buffers_.assign(buffer_specs().size(), std::vector<Tensor>(params_.size())); }

bool Optimizer::ensure_state(std::size_t i) {
  if (has_state(i)) return false;
  const std::vector<BufferSpec> specs = buffer_specs();
  for (std::size_t k = 0; k < specs.size(); ++k) {
    if (!specs[k].active) continue;
    buffers_[k][i] = specs[k].scalar ? full({}, specs[k].initial, kFloat32)
                                     : full(params_[i].shape(), specs[k].initial, params_[i].dtype());
    has_state_[i] = 1;
  }
  return has_state(i);
}

void Optimizer::zero_grad(bool set_to_none) {
  for (Tensor& p : params_) {
    if (set_to_none) {
      p.set_grad(Tensor());
    } else if (p.grad().defined()) {
      Tensor g = p.grad();
      fill_(g, 0.0);
    }
  }
}

double Optimizer::lr() const { return *const_cast<Optimizer*>(this)->hyperparameters().front().value; }

void Optimizer::set_lr(double lr) {
  if (!(lr >= 0.0)) detail::throw_invalid_option(name_, "learning rate", lr);
  *hyperparameters().front().value = lr;
}

bool Optimizer::has_option(const std::string& name) const {
  for (const Hyperparameter& h : const_cast<Optimizer*>(this)->hyperparameters())
    if (name == h.name) return true;
  return false;
}

void Optimizer::set_option(const std::string& name, double value) {
  for (const Hyperparameter& h : hyperparameters()) {
    if (name != h.name) continue;
    const double old = *h.value;
    *h.value = value;
    try {
      validate_options();
    } catch (...) {
      *h.value = old;
      throw;
    }
    return;
  }
  throw std::invalid_argument(name_ + ": has no option '" + name + "'");
}

StateDict Optimizer::state_dict() const {
  auto* self = const_cast<Optimizer*>(this);
  const std::vector<BufferSpec> specs = buffer_specs();
  StateDict out;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!has_state(i)) continue;
    const std::string prefix = "state." + std::to_string(i) + ".";
    if (has_step_) out.insert(prefix + "step", scalar_tensor(static_cast<double>(steps_[i]), kFloat64));
    for (std::size_t k = 0; k < specs.size(); ++k)
      if (specs[k].active)
        out.insert(prefix + specs[k].name, deep_copy(buffers_[k][i], specs[k].scalar ? kFloat32 : params_[i].dtype()));
  }
  for (const Hyperparameter& h : self->hyperparameters())
    out.insert(std::string("param_groups.0.") + h.name, scalar_tensor(*h.value, kFloat64));
  return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
  const std::string op = name_ + ".load_state_dict: ";
  const std::vector<Hyperparameter> hypers = hyperparameters();

  // 1. Sort the entries into hyperparameters and per-parameter state, rejecting unknown names.
  std::vector<double> new_hyper(hypers.size());
  std::vector<char> seen_hyper(hypers.size(), 0);
  std::vector<std::vector<std::pair<std::string, Tensor>>> per_param(params_.size());
  for (const auto& [key, tensor] : state) {
    if (!tensor.defined()) throw std::invalid_argument(op + "entry '" + key + "' is an undefined tensor");
    const std::string group_prefix = "param_groups.0.";
    if (key.compare(0, group_prefix.size(), group_prefix) == 0) {
      const std::string h = key.substr(group_prefix.size());
      std::size_t k = 0;
      while (k < hypers.size() && h != hypers[k].name) ++k;
      if (k == hypers.size()) throw std::invalid_argument(op + "unexpected entry '" + key + "'");
      if (tensor.numel() != 1)
        throw std::invalid_argument(op + "entry '" + key + "' must hold one value, got shape " +
                                    shape_str(tensor.shape()));
      new_hyper[k] = tensor.item();
      seen_hyper[k] = 1;
      continue;
    }
    const std::size_t dot = key.find('.', 6);
    std::size_t index = 0;
    if (key.compare(0, 6, "state.") != 0 || dot == std::string::npos || !parse_index(key.substr(6, dot - 6), index))
      throw std::invalid_argument(op + "unexpected entry '" + key + "'");
    if (index >= params_.size())
      throw std::invalid_argument(op + "entry '" + key + "' refers to parameter " + std::to_string(index) +
                                  " but the optimizer has " + std::to_string(params_.size()) + " parameters");
    per_param[index].emplace_back(key.substr(dot + 1), tensor);
  }
  for (std::size_t k = 0; k < hypers.size(); ++k)
    if (!seen_hyper[k]) throw std::invalid_argument(op + "missing entry 'param_groups.0." + hypers[k].name + "'");

  // 2. Install the options (the buffers that must exist depend on them); undo on any failure.
  std::vector<double> old_hyper;
  for (const Hyperparameter& h : hypers) old_hyper.push_back(*h.value);
  for (std::size_t k = 0; k < hypers.size(); ++k) *hypers[k].value = new_hyper[k];
  try {
    validate_options();
    const std::vector<BufferSpec> specs = buffer_specs();
    std::vector<std::int64_t> steps(params_.size(), 0);
    std::vector<char> has_state(params_.size(), 0);
    std::vector<std::vector<Tensor>> buffers(specs.size(), std::vector<Tensor>(params_.size()));
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (per_param[i].empty()) continue;
      const std::string prefix = "state." + std::to_string(i) + ".";
      const Tensor& p = params_[i];
      bool seen_step = false;
      for (const auto& [name, tensor] : per_param[i]) {
        if (name == "step" && has_step_) {
          const double v = tensor.numel() == 1 ? tensor.item() : -1.0;
          if (!(v >= 0.0) || v != std::floor(v) || v > 9.0e15)
            throw std::invalid_argument(op + "entry '" + prefix + "step' must be one non-negative integer, got " +
                                        (tensor.numel() == 1 ? format_number(v)
                                                             : "shape " + shape_str(tensor.shape())));
          steps[i] = static_cast<std::int64_t>(v);
          seen_step = true;
          continue;
        }
        std::size_t k = 0;
        while (k < specs.size() && !(specs[k].active && name == specs[k].name)) ++k;
        if (k == specs.size()) throw std::invalid_argument(op + "unexpected entry '" + prefix + name + "'");
        const Shape& expected = specs[k].scalar ? Shape{} : p.shape();
        if (tensor.shape() != expected)
          throw std::invalid_argument(op + "entry '" + prefix + name + "' has shape " + shape_str(tensor.shape()) +
                                      (specs[k].scalar ? std::string(" but it is a 0-dim tensor")
                                                       : " but parameter " + std::to_string(i) + " has shape " +
                                                             shape_str(p.shape())));
        if (!is_floating(tensor.dtype()))
          throw std::invalid_argument(op + "entry '" + prefix + name + "' has dtype " + dtype_name(tensor.dtype()) +
                                      ", expected a floating point tensor");
        buffers[k][i] = deep_copy(tensor, specs[k].scalar ? kFloat32 : p.dtype());
      }
      if (has_step_ && !seen_step) throw std::invalid_argument(op + "missing entry '" + prefix + "step'");
      for (std::size_t k = 0; k < specs.size(); ++k)
        if (specs[k].active && !buffers[k][i].defined())
          throw std::invalid_argument(op + "missing entry '" + prefix + specs[k].name + "'");
      has_state[i] = 1;
    }
    steps_ = std::move(steps);
    has_state_ = std::move(has_state);
    buffers_ = std::move(buffers);
  } catch (...) {
    for (std::size_t k = 0; k < hypers.size(); ++k) *hypers[k].value = old_hyper[k];
    throw;
  }
}

}  // namespace xg::optim
