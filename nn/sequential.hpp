#pragma once
#include <initializer_list>
#include <memory>

#include "nn/module.hpp"

namespace xg::nn {

/// Runs modules one after another (torch.nn.Sequential); children are named "0", "1", ….
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  /// Appends a module; returns *this for chaining.
  Sequential& push_back(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& input) override;
  std::size_t size() const { return modules_.size(); }
  const std::shared_ptr<Module>& operator[](std::size_t i) const;

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

}  // namespace xg::nn
