#pragma once
// Element-wise losses (torch.nn.functional's l1_loss, smooth_l1_loss, huber_loss,
// binary_cross_entropy, binary_cross_entropy_with_logits, kl_div). Each is composed of recorded
// ops, so its gradient (and double backward, where those ops have one) comes from the tape.
// input and target must have the same shape and dtype (PyTorch only warns on a mismatch that
// broadcasts; we refuse).
#include "autograd/arg.hpp"
#include "autograd/ops_nn_loss.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// Options of l1_loss / L1Loss; implicit from the reduction, as libtorch's L1LossOptions.
struct L1LossOptions {
  using Self = L1LossOptions;
  L1LossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}  // NOLINT(google-explicit-constructor)
  XG_ARG(Reduction, reduction);
};
/// |input − target|, reduced.
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossOptions& options = {});

/// Options of smooth_l1_loss: SmoothL1LossOptions().beta(0.5).
struct SmoothL1LossOptions {
  using Self = SmoothL1LossOptions;
  XG_ARG(Reduction, reduction) = Reduction::Mean;
  XG_ARG(double, beta) = 1.0;  // ≥ 0; 0 is l1_loss
};
/// d = |input − target|: 0.5 d²/β where d < β, d − 0.5 β elsewhere; reduced.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossOptions& options = {});

/// Options of huber_loss: HuberLossOptions().delta(2.0).
struct HuberLossOptions {
  using Self = HuberLossOptions;
  XG_ARG(Reduction, reduction) = Reduction::Mean;
  XG_ARG(double, delta) = 1.0;  // > 0
};
/// d = |input − target|: 0.5 d² where d < δ, δ (d − 0.5 δ) elsewhere; reduced.
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossOptions& options = {});

/// Options of binary_cross_entropy: BCELossOptions().weight(w).reduction(Reduction::Sum).
struct BCELossOptions {
  using Self = BCELossOptions;
  XG_ARG(Tensor, weight);  // optional, broadcastable to input
  XG_ARG(Reduction, reduction) = Reduction::Mean;
};
/// −w [y log x + (1 − y) log(1 − x)] with each log clamped at −100 (PyTorch's); input in [0, 1].
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BCELossOptions& options = {});

/// Options of binary_cross_entropy_with_logits: BCEWithLogitsLossOptions().pos_weight(p).
struct BCEWithLogitsLossOptions {
  using Self = BCEWithLogitsLossOptions;
  XG_ARG(Tensor, weight);      // optional, broadcastable to input
  XG_ARG(Reduction, reduction) = Reduction::Mean;
  XG_ARG(Tensor, pos_weight);  // optional, broadcastable to input (one weight per class: its last dim)
};
/// −w [p y log σ(x) + (1 − y) log(1 − σ(x))], computed stably as
/// (1 − y) x + (1 + (p − 1) y) (log(1 + e^−|x|) + max(−x, 0)).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsLossOptions& options = {});

/// kl_div's reductions: BatchMean (sum / batch size) is the one that gives the KL divergence;
/// Mean (PyTorch's default) averages over every element.
enum class KLDivReduction { None, BatchMean, Sum, Mean };
/// Options of kl_div: KLDivLossOptions().reduction(KLDivReduction::BatchMean).log_target(true).
struct KLDivLossOptions {
  using Self = KLDivLossOptions;
  XG_ARG(KLDivReduction, reduction) = KLDivReduction::Mean;
  XG_ARG(bool, log_target) = false;
};
/// input: log-probabilities; target: probabilities (or log-probabilities with log_target).
/// target (log target − input), 0 where target = 0; or e^t (t − input) with log_target; reduced.
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivLossOptions& options = {});

}  // namespace xg
