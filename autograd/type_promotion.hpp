#pragma once
// Type promotion as torch::result_type: which dtype an op on mixed dtypes computes in.
#include "autograd/tensor.hpp"

namespace xg {

/// The dtype that holds both: bool < int64 < float32 < float64 (torch::promote_types).
Dtype promote_types(Dtype a, Dtype b);

/// The dtype of `a ⊕ b` (torch::result_type): the promotion of both dtypes, except that a 0-dim
/// tensor only decides when its category (bool < integer < floating) is higher than the other
/// operand's: float32 [3] + float64 [] → float32, int64 [3] + float64 [] → float64.
Dtype result_type(const Tensor& a, const Tensor& b);
/// The dtype of `a ⊕ s` for a floating C++ scalar: a floating tensor keeps its dtype (a scalar
/// never promotes float32 to float64); an int64 or bool tensor becomes float32 (the default dtype).
Dtype result_type(const Tensor& a, double scalar);

namespace detail {
/// `t` itself when it already has `dtype` (the cheap common case: one compare), else t.to(dtype)
/// (differentiable between floating dtypes).
inline Tensor promoted(const Tensor& t, Dtype dtype) { return t.dtype() == dtype ? t : t.to(dtype); }
/// The dtype of `a ⊕ n` for an integral C++ scalar: bool → int64, others keep their dtype.
inline Dtype result_type_integral(const Tensor& a) { return a.dtype() == kBool ? kInt64 : a.dtype(); }
}  // namespace detail

}  // namespace xg
