#pragma once
#include "autograd/tensor.hpp"

namespace xg {

/// Matrix product with torch.matmul's rules for 1-D, 2-D and batched 3-D operands:
/// (n)·(n) → [], (m,n)·(n) → (m), (n)·(n,p) → (p), (m,n)·(n,p) → (m,p),
/// (b,m,n)·(b,n,p) → (b,m,p), and a 2-D operand broadcasts against a 3-D one.
/// Runs on BLAS gemm; backward uses transpose flags, never transposed copies.
/// Throws "matmul: cannot multiply [3, 4] by [5, 2]".
Tensor matmul(const Tensor& a, const Tensor& b);

/// y = x Wᵀ + b (torch.nn.functional.linear): x (*, in), weight (out, in), bias (out) or undefined
/// → (*, out). One gemm with the bias pre-filled.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

/// bias + a·b for 2-D a (n,k), b (k,m) and bias broadcastable to (n,m) (torch.addmm with β = α = 1).
Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b);

}  // namespace xg
