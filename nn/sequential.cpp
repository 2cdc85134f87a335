#include "nn/sequential.hpp"

#include <stdexcept>
#include <string>

namespace xg::nn {

Sequential& Sequential::push_back(std::shared_ptr<Module> module) {
  add_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
  return *this;
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (auto& m : modules_) x = (*m)(x);  // through the call operator: children's forward hooks run
  return x;
}

const std::shared_ptr<Module>& Sequential::operator[](std::size_t i) const {
  if (i >= modules_.size())
    throw std::out_of_range("Sequential: index " + std::to_string(i) + " is out of range for " +
                            std::to_string(modules_.size()) + " modules");
  return modules_[i];
}

}  // namespace xg::nn
