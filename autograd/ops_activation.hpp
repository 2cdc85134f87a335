#pragma once
#include <string>

#include "autograd/tensor.hpp"

namespace xg {

// Activation functions under libtorch's top-level names and defaults (torch::gelu(x, "tanh"),
// torch::softplus(x, beta, threshold), ...). Floating tensors only; the output has x's shape and
// dtype. Backward closures are recorded ops on the incoming gradient and the saved input, and
// follow PyTorch's kernels at the branch points and at NaN/±inf (tests/test_ops_activation.cpp).

/// (1/β)·log(1 + e^(βx)), and x itself where βx > threshold (PyTorch's switch to the identity).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
/// x·Φ(x) with Φ the standard normal CDF (approximate = "none"), or
/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (approximate = "tanh"). Other strings throw.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
/// x·σ(x) (SiLU / swish).
Tensor silu(const Tensor& x);
/// x·tanh(softplus(x)).
Tensor mish(const Tensor& x);
/// x for x > 0, negative_slope·x otherwise.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// scale·x for x > 0, scale·α·(e^(input_scale·x) − 1) for x ≤ 0.
Tensor elu(const Tensor& x, double alpha = 1.0, double scale = 1.0, double input_scale = 1.0);
/// elu with α = 1.6732632423543772, scale = 1.0507009873554805 (self-normalising constants).
Tensor selu(const Tensor& x);
/// min(max(x, min_val), max_val) (max_val wins when min_val > max_val, as clamp; NaN stays NaN);
/// gradient 1 strictly between the bounds, 0 at and beyond them and at NaN.
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
/// log σ(x) = min(x, 0) − log(1 + e^(−|x|)) (torch::log_sigmoid; F::logsigmoid in Python).
Tensor log_sigmoid(const Tensor& x);

}  // namespace xg
