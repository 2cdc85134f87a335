#pragma once
#include <tuple>

#include "autograd/tensor.hpp"

namespace xg::linalg {

// torch.linalg's matrix functions, differentiable, on LAPACK through xtensor-blas (xt::linalg).
// Inputs are single float32/float64 matrices ([n, n]); batched inputs ([..., n, n]) are refused
// naming the shape (a departure listed in docs/api.md). Gradient formulas follow PyTorch's
// (torch/csrc/autograd/FunctionsManual.cpp, derivatives.yaml).

/// A⁻¹ (torch.linalg.inv). Throws "linalg.inv: matrix [n, n] is singular" when LU finds an
/// exactly zero pivot. Backward: −A⁻ᵀ·G·A⁻ᵀ.
Tensor inv(const Tensor& A);
/// det(A) as a 0-d tensor (torch.linalg.det); 0 for a singular matrix. Backward: G·det(A)·A⁻ᵀ;
/// at a singular matrix the backward throws (its gradient, the adjugate, is not implemented).
Tensor det(const Tensor& A);
/// (sign, log|det A|) (torch.linalg.slogdet): sign ∈ {−1, 0, 1}; for a singular matrix (0, −inf).
/// Only logabsdet is differentiable (as in PyTorch): backward G·A⁻ᵀ.
std::tuple<Tensor, Tensor> slogdet(const Tensor& A);
/// X with A·X = B (torch.linalg.solve, left = true): A [n, n], B [n] or [n, k]; X has B's shape.
/// Throws "linalg.solve: matrix [n, n] is singular". Backward: G_B = A⁻ᵀ·G, G_A = −G_B·Xᵀ.
Tensor solve(const Tensor& A, const Tensor& B);
/// Lower-triangular L with A = L·Lᵀ (torch.linalg.cholesky; upper = true returns Lᵀ). Reads only
/// A's lower triangle, as LAPACK and PyTorch do. Throws naming the leading minor that is not
/// positive-definite. Backward (Murray 2016, as PyTorch): Φ = tril(Lᵀ·G) with its diagonal
/// halved, G_A = ½·(L⁻ᵀ·Φ·L⁻¹ + (L⁻ᵀ·Φ·L⁻¹)ᵀ), a symmetric gradient.
Tensor cholesky(const Tensor& A, bool upper = false);

}  // namespace xg::linalg
