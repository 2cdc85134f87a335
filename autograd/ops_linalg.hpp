#pragma once
#include "autograd/tensor.hpp"

namespace xg {

/// Matrix product with torch.matmul's rules, any ranks ≥ 1: (n)·(n) → [], (m,n)·(n) → (m),
/// (n)·(n,p) → (p), (m,n)·(n,p) → (m,p); beyond 2-D the leading dims are batch dims that
/// broadcast, e.g. (j,1,m,n)·(k,n,p) → (j,k,m,p); a 1-D operand is a row (left) or column
/// (right) matrix whose dim is dropped from the result, e.g. (n)·(b,c,n,p) → (b,c,p).
/// Runs on BLAS gemm (one per batch entry, or one for the whole batch when the right operand is
/// a single matrix); backward uses transpose flags, never transposed copies.
/// Throws "matmul: cannot multiply [3, 4] by [5, 2]"; operands must share a float dtype.
Tensor matmul(const Tensor& a, const Tensor& b);

/// Batched product (torch.bmm): (b,n,m)·(b,m,p) → (b,n,p), no broadcasting.
/// Throws "bmm: cannot multiply [2, 3, 4] by [3, 5, 6] (...)" for anything else.
Tensor bmm(const Tensor& a, const Tensor& b);

/// β·input + α·bmm(batch1, batch2) (torch.baddbmm); input broadcasts to (b,n,p). With β = 0
/// input is ignored (NaN/inf in it do not propagate, and it gets no gradient).
Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, double beta = 1, double alpha = 1);

/// Outer product of 1-D tensors (torch.outer): (n)⊗(m) → (n,m), out[i,j] = a[i]·b[j].
/// Promotes dtypes like mul (float32 ⊗ float64 → float64), as PyTorch does.
Tensor outer(const Tensor& a, const Tensor& b);
/// torch.ger, the old name of outer.
Tensor ger(const Tensor& a, const Tensor& b);

/// Inner product of two 1-D tensors of equal length and dtype (torch.dot): (n)·(n) → [].
/// Throws "dot: 1D tensors expected, got [2, 3] and [3]".
Tensor dot(const Tensor& a, const Tensor& b);

/// Matrix-vector product (torch.mv): (n,m)·(m) → (n).
Tensor mv(const Tensor& matrix, const Tensor& vector);

/// y = x Wᵀ + b (torch.nn.functional.linear): x (*, in), weight (out, in), bias (out) or undefined
/// → (*, out). One gemm with the bias pre-filled.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

/// bias + a·b for 2-D a (n,k), b (k,m) and bias broadcastable to (n,m) (torch.addmm with β = α = 1).
Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b);

}  // namespace xg
