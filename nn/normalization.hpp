#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "autograd/arg.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// Options of LayerNorm:
/// LayerNormOptions({4}).eps(1e-6).elementwise_affine(false). Implicit from the
/// normalized shape, as libtorch's LayerNormOptions.
struct LayerNormOptions {
  using Self = LayerNormOptions;
  LayerNormOptions(std::vector<std::int64_t> normalized_shape)  // NOLINT(google-explicit-constructor)
      : normalized_shape_(std::move(normalized_shape)) {}
  XG_ARG(std::vector<std::int64_t>, normalized_shape);
  XG_ARG(double, eps) = 1e-5;
  XG_ARG(bool, elementwise_affine) = true;
};

/// layer_norm over the trailing normalized_shape dims (torch.nn.LayerNorm).
/// With elementwise_affine: parameters weight (ones) and bias (zeros) of shape
/// normalized_shape. Input (*, normalized_shape) → the same shape.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(const LayerNormOptions& options);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// weight ← 1, bias ← 0 (libtorch's reset_parameters).
  void reset_parameters();

  LayerNormOptions options;
  Tensor weight, bias;  // undefined without elementwise_affine
};

}  // namespace xg::nn
