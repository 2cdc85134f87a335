#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

/// Layer normalisation over the trailing dims (torch::layer_norm without
/// cudnn_enable): y = (x − E[x]) / √(Var[x] + eps) · weight + bias, with E and
/// the biased Var taken over the last normalized_shape.size() dims, whose sizes
/// must equal normalized_shape. weight and bias (optional, undefined to skip)
/// have shape normalized_shape. Built from recorded ops, so it is
/// differentiable twice in x, weight and bias. Input (*, normalized_shape) →
/// the same shape.
Tensor layer_norm(const Tensor& input, const std::vector<std::int64_t>& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

}  // namespace xg
