#pragma once
#include "autograd/arg.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// Options of torch.nn.Bilinear: BilinearOptions(3, 4, 5).bias(false).
struct BilinearOptions {
  using Self = BilinearOptions;
  BilinearOptions(std::int64_t in1_features, std::int64_t in2_features, std::int64_t out_features)
      : in1_features_(in1_features), in2_features_(in2_features), out_features_(out_features) {}
  XG_ARG(std::int64_t, in1_features);
  XG_ARG(std::int64_t, in2_features);
  XG_ARG(std::int64_t, out_features);
  XG_ARG(bool, bias) = true;
};

/// y = x1ᵀ A x2 + b (torch.nn.Bilinear, via xg::bilinear). Inputs (*, in1) and (*, in2) with the
/// same leading dims → (*, out). weight (out, in1, in2) and bias (out), both U(−1/√in1, 1/√in1)
/// as in PyTorch 1.13.
class Bilinear : public Module {
 public:
  explicit Bilinear(const BilinearOptions& options);
  Bilinear(std::int64_t in1_features, std::int64_t in2_features, std::int64_t out_features)
      : Bilinear(BilinearOptions(in1_features, in2_features, out_features)) {}
  Tensor forward(const Tensor& input1, const Tensor& input2);
  std::string extra_repr() const override;

  BilinearOptions options;
  Tensor weight, bias;  // bias undefined with bias(false)
};

}  // namespace xg::nn
