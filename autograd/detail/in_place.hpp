#pragma once
// The in-place-write rule shared by every path that writes into an existing tensor (fill_,
// uniform_, normal_, copy_, the mutable as_xtensor view). Internal.
#include "autograd/tensor.hpp"

namespace xg::detail {

/// Throws std::invalid_argument naming `op` when writing into `t` would corrupt a gradient: a
/// leaf that requires grad outside NoGradGuard, or any tensor produced by a recorded op while
/// grad mode is on.
void check_writable(const char* op, const Tensor& t);

/// Throws naming `op` when `value` cannot be held by `dtype` (int64 range, float32 range; ±inf
/// and NaN are fine for the floating dtypes), as PyTorch's "cannot be converted ... without overflow".
void check_fill_value(const char* op, double value, Dtype dtype);

}  // namespace xg::detail
