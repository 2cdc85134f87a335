#pragma once
#include <memory>

#include "autograd/tensor.hpp"

namespace xg {

/// A weight applied at every step of a recurrence (an RNN's W_hh), with its gradient summed over
/// the steps by one gemm.
///
/// Every step is still an ordinary recorded op, so backpropagation through time is derived by
/// the tape. What changes is only how ∂L/∂W is summed: instead of each step computing its own
/// (O×I) term gₜᵀhₜ₋₁ — T small rank-N products, the least efficient shape BLAS has — each step
/// hands its pair (gₜ, hₜ₋₁) to a hub node (which the engine runs after all of them; the pairs
/// live in the backward pass's scratch, detail::pass_scratch, never on the graph), which stacks the pairs and computes Σₜ gₜᵀhₜ₋₁ in a single gemm.
class RecurrentWeight {
 public:
  /// weight (O, I), float32/float64.
  explicit RecurrentWeight(const Tensor& weight);
  /// base + h Wᵀ: base (N, O), h (N, I) → (N, O), onto a copy of base. With N ≥ 2 rows the
  /// weight is packed once, on the first step, for all the steps' products (and Wᵀ once, on the
  /// first backward step, for their h-gradients): a BLAS call would re-pack it at every step.
  /// Throws std::invalid_argument naming the shapes when they do not fit.
  Tensor add_product(const Tensor& base, const Tensor& h) const;

 private:
  struct Pack;  // the weight packed for the steps' products (forward) or their h-gradients (backward)
  Tensor weight_;
  Tensor hub_;  // what the steps record as their weight input (the weight itself when no grad is needed)
  std::shared_ptr<Pack> forward_pack_, backward_pack_;
};

}  // namespace xg
