#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

// Comparisons, logical ops, NaN/Inf tests and whole-tensor checks. Every result is a bool
// tensor, never differentiable (as in PyTorch). Operands of any dtype broadcast against each
// other and are compared in their torch::result_type; a C++ scalar compared with an int64 or
// bool tensor is compared exactly (as int64 when it is a whole number, else as float64).

/// a == b, a != b, a < b, a <= b, a > b, a >= b elementwise.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, double b);
Tensor ne(const Tensor& a, double b);
Tensor lt(const Tensor& a, double b);
Tensor le(const Tensor& a, double b);
Tensor gt(const Tensor& a, double b);
Tensor ge(const Tensor& a, double b);

Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, double b);
Tensor operator!=(const Tensor& a, double b);
Tensor operator<(const Tensor& a, double b);
Tensor operator<=(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);
Tensor operator>=(const Tensor& a, double b);
Tensor operator==(double a, const Tensor& b);
Tensor operator!=(double a, const Tensor& b);
Tensor operator<(double a, const Tensor& b);
Tensor operator<=(double a, const Tensor& b);
Tensor operator>(double a, const Tensor& b);
Tensor operator>=(double a, const Tensor& b);

/// Elementwise logic on "is non-zero" (any dtype), broadcasting.
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
/// &, |, ^, ~ on bool tensors (libtorch's bitwise operators; other dtypes are rejected).
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& x);

/// NaN / ±Inf / neither, elementwise (int64 and bool elements are always finite).
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);

/// True if any / every element is non-zero: a 0-dim bool tensor (an empty tensor: any false, all true).
Tensor any(const Tensor& x);
Tensor all(const Tensor& x);
/// The same along `dim` / `dims` (empty `dims`: all of them), keepdim as in sum.
Tensor any(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor all(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor any(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor all(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);

/// |a − b| ≤ atol + rtol·|b| elementwise (broadcasting); equal infinities are close, NaN is close
/// to NaN only with equal_nan (torch::isclose).
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false);
/// Every element isclose (torch::allclose).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false);
/// Same shape and every element equal (torch::equal; NaN is never equal, dtypes are promoted).
bool equal(const Tensor& a, const Tensor& b);

}  // namespace xg
