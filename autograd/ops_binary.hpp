#pragma once
#include "autograd/tensor.hpp"

namespace xg {

// Elementwise binary ops with NumPy/PyTorch broadcasting. Mixed dtypes are promoted as
// torch::result_type (float32 ⊕ float64 → float64, int64 ⊕ float → float; a C++ scalar never
// promotes a float32 tensor); int64 ⊕ int64 computes in int64 (div: float32, true division);
// see ops_promoted.hpp. Backward reduces each gradient back to its operand's shape with sum_to_shape.

/// a + b
Tensor add(const Tensor& a, const Tensor& b);
/// a − b
Tensor sub(const Tensor& a, const Tensor& b);
/// a ⊙ b
Tensor mul(const Tensor& a, const Tensor& b);
/// a / b
Tensor div(const Tensor& a, const Tensor& b);
/// max(a, b) elementwise, NaN if either is NaN; where a == b the gradient is split evenly, and
/// where either is NaN both receive it in full (PyTorch 1.13).
Tensor maximum(const Tensor& a, const Tensor& b);
/// min(a, b) elementwise; NaN, ties and gradients as maximum.
Tensor minimum(const Tensor& a, const Tensor& b);

// Tensor–scalar forms (the scalar takes the tensor's dtype).
Tensor add(const Tensor& a, double b);
Tensor sub(const Tensor& a, double b);
Tensor rsub(double a, const Tensor& b);  // a − b
Tensor mul(const Tensor& a, double b);
Tensor div(const Tensor& a, double b);
Tensor rdiv(double a, const Tensor& b);  // a / b

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

/// Sums `grad` over the dimensions that broadcasting expanded, giving a tensor of `shape`
/// (the one helper every binary op's backward uses). Throws if `shape` does not broadcast to grad.
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);

}  // namespace xg
