#pragma once
#include "autograd/tensor.hpp"

namespace xg {

// Elementwise unary ops on floating tensors; output has the input's shape and dtype.

/// −x
Tensor neg(const Tensor& x);
/// eˣ
Tensor exp(const Tensor& x);
/// ln x (x ≤ 0 gives NaN/−Inf as in PyTorch; AnomalyGuard catches it)
Tensor log(const Tensor& x);
/// √x
Tensor sqrt(const Tensor& x);
/// tanh x; backward 1 − tanh²
Tensor tanh(const Tensor& x);
/// 1 / (1 + e⁻ˣ); backward σ(1 − σ)
Tensor sigmoid(const Tensor& x);
/// max(x, 0); gradient 0 at x = 0 (PyTorch's choice); NaN stays NaN and passes the gradient
Tensor relu(const Tensor& x);
/// |x|; gradient sign(x), 0 at 0
Tensor abs(const Tensor& x);
/// xᵖ for a scalar exponent p
Tensor pow(const Tensor& x, double exponent);
/// min(max(x, lo), hi) (hi everywhere when lo > hi; NaN stays NaN); gradient 1 inside [lo, hi]
/// and at the bounds, 0 outside and at NaN (as PyTorch 1.13). NaN bounds throw.
Tensor clamp(const Tensor& x, double lo, double hi);
/// Only a lower / upper bound.
Tensor clamp_min(const Tensor& x, double lo);
Tensor clamp_max(const Tensor& x, double hi);

}  // namespace xg
