#pragma once
#include "nn/module.hpp"

namespace xg::nn {

/// y = x Wᵀ + b (torch.nn.Linear). Input (*, in_features) → (*, out_features).
/// weight (out_features, in_features) and bias (out_features), both U(−1/√in, 1/√in).
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  std::int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when constructed with bias = false
};

}  // namespace xg::nn
