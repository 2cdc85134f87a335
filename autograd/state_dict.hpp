#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

/// Named tensors in insertion order (like PyTorch's OrderedDict state_dict), with lookup by name.
/// Used for module and optimizer state and as the unit of safetensors files.
class StateDict {
 public:
  /// Adds or replaces `name`.
  void insert(const std::string& name, const Tensor& tensor) {
    auto it = index_.find(name);
    if (it != index_.end()) {
      items_[it->second].second = tensor;
      return;
    }
    index_.emplace(name, items_.size());
    items_.emplace_back(name, tensor);
  }
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  /// The tensor called `name`; std::out_of_range naming it if absent.
  const Tensor& at(const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end()) throw std::out_of_range("state_dict has no entry '" + name + "'");
    return items_[it->second].second;
  }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& item : items_) k.push_back(item.first);
    return k;
  }

 private:
  std::vector<std::pair<std::string, Tensor>> items_;
  std::map<std::string, std::size_t> index_;
};

}  // namespace xg
