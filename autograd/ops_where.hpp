#pragma once
#include "autograd/tensor.hpp"

namespace xg {

// Selection by a bool mask. Differentiable in the selected values (never in the mask).

/// condition ? a : b elementwise; condition (bool), a and b broadcast together; the result has
/// torch::result_type(a, b). Gradients: g where the condition holds to a, elsewhere to b, each
/// summed back to its operand's shape.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
/// A C++ scalar on either side takes the tensor's dtype (float for an int64/bool tensor and a fractional scalar).
Tensor where(const Tensor& condition, const Tensor& a, double b);
Tensor where(const Tensor& condition, double a, const Tensor& b);
/// x with `value` where mask is true; mask (bool) broadcasts to x's shape, the result keeps x's
/// shape and dtype. The tensor form takes a 0-dim value and is differentiable in it too.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
/// The elements of x where mask (bool, broadcast with x) is true, as a 1-D tensor in row-major
/// order; backward scatters the gradient back to those positions.
Tensor masked_select(const Tensor& x, const Tensor& mask);

}  // namespace xg
