#pragma once
// Containers that only hold and name their members (their owner's forward uses them):
// ModuleList, ModuleDict (torch.nn.ModuleList / ModuleDict) and ParameterList. They have no
// forward (Module::forward throws for them, as PyTorch's containers do).
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nn/module.hpp"

namespace xg::nn {

/// Submodules in a list, registered as "0", "1", … so their parameters are found and named
/// ("layers.0.weight"), and train()/eval()/to() reach them:
///   auto layers = register_module("layers", std::make_shared<xg::nn::ModuleList>(l1, l2));
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  template <typename... M, typename = std::enable_if_t<(std::is_convertible_v<M, std::shared_ptr<Module>> && ...)>>
  ModuleList(M&&... modules) : Module("ModuleList") {  // NOLINT(google-explicit-constructor)
    (push_back(std::forward<M>(modules)), ...);
  }
  /// Appends (and registers) a module; throws for a null one.
  void push_back(std::shared_ptr<Module> module);
  /// Appends every module of `modules`.
  void extend(const std::vector<std::shared_ptr<Module>>& modules);
  /// The i-th module; throws naming the index and size when out of range.
  const std::shared_ptr<Module>& operator[](std::size_t i) const;
  /// The i-th module as M; throws when it is of another type.
  template <typename M>
  std::shared_ptr<M> at(std::size_t i) const {
    auto m = std::dynamic_pointer_cast<M>((*this)[i]);
    if (!m) throw std::invalid_argument("ModuleList: module " + std::to_string(i) + " is a " + (*this)[i]->type_name() +
                                        ", not the type asked for");
    return m;
  }
  std::size_t size() const { return modules_.size(); }
  bool is_empty() const { return modules_.empty(); }
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

/// Submodules by name, in insertion order (torch.nn.ModuleDict); names follow register_module's
/// rules (non-empty, no '.', unique).
class ModuleDict : public Module {
 public:
  ModuleDict() : Module("ModuleDict") {}
  explicit ModuleDict(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules);
  /// Adds a module under `key`; throws when the key is taken or invalid.
  void insert(const std::string& key, std::shared_ptr<Module> module);
  /// insert() for every pair, in order.
  void update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules);
  /// The module under `key`; throws naming the key and the known keys when absent.
  const std::shared_ptr<Module>& operator[](const std::string& key) const;
  template <typename M>
  std::shared_ptr<M> at(const std::string& key) const {
    auto m = std::dynamic_pointer_cast<M>((*this)[key]);
    if (!m) throw std::invalid_argument("ModuleDict: module '" + key + "' is a " + (*this)[key]->type_name() +
                                        ", not the type asked for");
    return m;
  }
  bool contains(const std::string& key) const;
  std::vector<std::string> keys() const;
  std::vector<std::shared_ptr<Module>> values() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  bool is_empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> items_;
};

/// Parameters in a list, registered as "0", "1", … (torch.nn.ParameterList): each must be a leaf;
/// requires_grad is set, as register_parameter does.
class ParameterList : public Module {
 public:
  ParameterList() : Module("ParameterList") {}
  explicit ParameterList(const std::vector<Tensor>& parameters);
  /// Appends (and registers) a parameter; returns the handle stored.
  Tensor append(Tensor parameter);
  void extend(const std::vector<Tensor>& parameters);
  const Tensor& operator[](std::size_t i) const;
  std::size_t size() const { return parameters_.size(); }
  bool is_empty() const { return parameters_.empty(); }
  auto begin() const { return parameters_.begin(); }
  auto end() const { return parameters_.end(); }

 private:
  std::vector<Tensor> parameters_;
};

}  // namespace xg::nn
