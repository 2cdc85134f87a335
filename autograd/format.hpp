#pragma once
#include <string>

#include "autograd/tensor.hpp"

namespace xg {

/// A number the way error messages show it: the shortest %g form that reads back exactly, like
/// Python's repr (1, 1.5, -0.001, 1e-08, 1e+40, nan).
std::string format_number(double value);

/// The tensor as PyTorch 1.13 prints it (what `operator<<` writes): nested brackets, 4 decimals,
/// one width and notation for all values (integers as "3.", scientific when magnitudes span more
/// than 1000× or leave [1e-4, 1e8]), rows wrapped at 80 columns, more than 1000 elements
/// summarised to the first and last 3 along each dim with "...", then the suffixes
/// `dtype=torch.float64` (float32 and int64 are the defaults), `grad_fn=<AddBackward0>` (the
/// node's name in PyTorch's spelling) or `requires_grad=True`.
std::string repr(const Tensor& t);

}  // namespace xg
