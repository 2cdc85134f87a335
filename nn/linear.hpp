#pragma once
#include "autograd/arg.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// Options of torch.nn.Linear: LinearOptions(4, 8).bias(false).
struct LinearOptions {
  using Self = LinearOptions;
  LinearOptions(std::int64_t in_features, std::int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  XG_ARG(std::int64_t, in_features);
  XG_ARG(std::int64_t, out_features);
  XG_ARG(bool, bias) = true;
};

/// y = x Wᵀ + b (torch.nn.Linear). Input (*, in_features) → (*, out_features).
/// weight (out_features, in_features) and bias (out_features), both U(−1/√in, 1/√in).
/// Linear(4, 8) is LinearOptions(4, 8), as in libtorch.
class Linear : public Module {
 public:
  explicit Linear(const LinearOptions& options);
  Linear(std::int64_t in_features, std::int64_t out_features) : Linear(LinearOptions(in_features, out_features)) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  LinearOptions options;
  Tensor weight, bias;  // bias undefined with bias(false)
};

}  // namespace xg::nn
