#pragma once
#include "autograd/tensor.hpp"

namespace xg {

/// Bilinear map (torch::bilinear, torch.nn.functional.bilinear):
/// y[…, o] = Σ_ij input1[…, i] · weight[o, i, j] · input2[…, j] + bias[o].
/// input1 (*, in1), input2 (*, in2) with the same leading (batch) dims, no broadcasting, as in
/// PyTorch; weight (out, in1, in2); bias (out) or undefined → (*, out). All operands share one
/// float dtype. Built from recorded ops (one gemm against the weight, one bmm against input2), so
/// it is differentiable twice. Throws "bilinear: input1 [2, 4] has 4 features but weight
/// [5, 3, 6] expects in1_features = 3", and the like for batch dims, ranks, bias and dtypes.
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace xg
