#pragma once
#include "autograd/tensor.hpp"

namespace xg {

// Elementwise math under libtorch's names. Floating tensors only; the output has the input's
// shape and dtype (binary ops broadcast, and their operands must share a dtype). Rounding ops,
// sign and floor have zero gradient, as in PyTorch. Backward closures are recorded ops.

Tensor sin(const Tensor& x);    ///< d/dx = cos x
Tensor cos(const Tensor& x);    ///< d/dx = −sin x
Tensor tan(const Tensor& x);    ///< d/dx = 1 + tan² x
Tensor asin(const Tensor& x);   ///< d/dx = 1/√(1 − x²)
Tensor acos(const Tensor& x);   ///< d/dx = −1/√(1 − x²)
Tensor atan(const Tensor& x);   ///< d/dx = 1/(1 + x²)
Tensor sinh(const Tensor& x);   ///< d/dx = cosh x
Tensor cosh(const Tensor& x);   ///< d/dx = sinh x
Tensor log1p(const Tensor& x);  ///< log(1 + x), accurate near 0
Tensor expm1(const Tensor& x);  ///< eˣ − 1, accurate near 0
Tensor log2(const Tensor& x);
Tensor log10(const Tensor& x);
Tensor rsqrt(const Tensor& x);       ///< 1/√x (exact division, not the approximate instruction)
Tensor reciprocal(const Tensor& x);  ///< 1/x
Tensor square(const Tensor& x);      ///< x²
Tensor sign(const Tensor& x);   ///< −1, 0 or 1 (0 for ±0 and NaN, as PyTorch); zero gradient
Tensor floor(const Tensor& x);  ///< zero gradient
Tensor ceil(const Tensor& x);   ///< zero gradient
Tensor round(const Tensor& x);  ///< half to even (torch.round); zero gradient
Tensor trunc(const Tensor& x);  ///< toward zero; zero gradient
Tensor frac(const Tensor& x);   ///< x − trunc(x); gradient 1
Tensor erf(const Tensor& x);    ///< d/dx = 2/√π·e^(−x²)
Tensor erfinv(const Tensor& x); ///< inverse of erf on (−1, 1), ±inf at ±1, NaN outside
Tensor lgamma(const Tensor& x); ///< log|Γ(x)|; d/dx = digamma(x)
Tensor digamma(const Tensor& x);  ///< ψ(x) = d/dx log Γ(x); −inf at 0, NaN at negative integers

/// atan2(y, x): the angle of the point (x, y), in (−π, π]; broadcasts.
Tensor atan2(const Tensor& self, const Tensor& other);
/// self^exponent elementwise with broadcasting; d/dself = exponent·self^(exponent−1) (0 where
/// exponent = 0), d/dexponent = out·log(self) (0 where self = 0 and exponent ≥ 0), as PyTorch.
Tensor pow(const Tensor& self, const Tensor& exponent);
/// A scalar base raised to a tensor of exponents (torch::pow(Scalar, Tensor)).
Tensor pow(double self, const Tensor& exponent);
/// start + weight·(end − start), computed as end − (end − start)(1 − weight) for |weight| ≥ 0.5
/// (PyTorch's kernel, exact at weight = 1); all three broadcast.
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
Tensor lerp(const Tensor& start, const Tensor& end, double weight);

}  // namespace xg
