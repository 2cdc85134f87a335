#pragma once
// In-place ops (Tensor::add_, sub_, mul_, div_, zero_, fill_, clamp_, copy_, masked_fill_, the
// compound assignments, set, index_put_) share one mechanism, PyTorch's rules:
// - refused on a leaf that requires grad while grad mode is on ("a leaf Variable that requires
//   grad is being used in an in-place operation"; write it under NoGradGuard);
// - when grad mode is on and the tensor or an operand requires grad, the write is recorded: the
//   op is computed out of place by recorded ops, written into the tensor's storage, and the
//   tensor's grad_fn becomes that op's node (PyTorch "rebases" the history the same way);
// - every write bumps the storage's version, so a tensor saved for backward and overwritten
//   afterwards makes backward throw "modified by an inplace operation".
// Departure: xgrad's views (reshape, view, flatten, squeeze, unsqueeze) share storage without
// tracking their base, so a recorded in-place write into a storage that a view shares is
// refused (clone() first) instead of silently leaving the other handle's history stale.
#include <initializer_list>

#include "autograd/tensor.hpp"

namespace xg::detail {

/// Checks the rules above for writing into `self` with `operands`; returns whether the write
/// must be recorded.
bool begin_in_place(const char* op, const Tensor& self, std::initializer_list<const Tensor*> operands);
/// Writes `result` (computed out of place, self's shape; its dtype must cast to self's) into
/// self's storage, bumps the version and, when `recorded`, makes result's node self's grad_fn.
void commit_in_place(const char* op, const Tensor& self, const Tensor& result, bool recorded);

}  // namespace xg::detail
