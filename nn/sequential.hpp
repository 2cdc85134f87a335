#pragma once
#include <memory>
#include <type_traits>
#include <utility>

#include "nn/module.hpp"

namespace xg::nn {

/// Runs modules one after another (torch.nn.Sequential); children are named "0", "1", ….
/// Built from any module handles, braced or as make_shared arguments:
///   xg::nn::Sequential seq{lin1, tanh, lin2};
///   auto net = std::make_shared<xg::nn::Sequential>(lin1, std::make_shared<xg::nn::Tanh>(), lin2);
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  template <typename... M, typename = std::enable_if_t<(std::is_convertible_v<M, std::shared_ptr<Module>> && ...)>>
  Sequential(M&&... modules) : Module("Sequential") {  // NOLINT(google-explicit-constructor)
    (push_back(std::forward<M>(modules)), ...);
  }
  /// Appends a module; returns *this for chaining.
  Sequential& push_back(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& input) override;
  std::size_t size() const { return modules_.size(); }
  const std::shared_ptr<Module>& operator[](std::size_t i) const;

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};

}  // namespace xg::nn
