#pragma once
// A branch select for backward closures built from recorded ops (internal). The activations'
// and math ops' derivatives are piecewise (elu: scale for x > 0, α·e^x below); blending the
// branches with arithmetic (m·a + (1 − m)·b) would turn an inf or NaN in the unused branch into
// NaN, while PyTorch's kernels pick one branch. where_mask picks, and is itself a recorded op,
// so a closure made of it stays differentiable under create_graph.
#include <functional>

#include "autograd/tensor.hpp"

namespace xg::detail {

/// A tensor of x's shape and dtype holding 1 where pred(x[i]) holds, else 0 (a constant: not
/// recorded). pred is called with double.
Tensor mask_where(const char* op, const Tensor& x, const std::function<bool(double)>& pred);

/// out[i] = mask[i] != 0 ? a[i] : b[i]. All three have one shape and dtype (checked). Recorded:
/// the gradient goes to a where the mask is set and to b elsewhere (exact zeros on the other
/// side, never 0·g).
Tensor where_mask(const Tensor& mask, const Tensor& a, const Tensor& b);

}  // namespace xg::detail
