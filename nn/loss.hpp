#pragma once
#include <utility>

#include "autograd/ops_nn_loss.hpp"
#include "autograd/ops_nn_loss_pointwise.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// torch.nn.CrossEntropyLoss: logits (N, C) / (N, C, d…) / (C) and int64 class targets.
class CrossEntropyLoss : public Module {
 public:
  explicit CrossEntropyLoss(CrossEntropyOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& target) const;
  CrossEntropyOptions options;
};

/// torch.nn.NLLLoss on log-probabilities.
class NLLLoss : public Module {
 public:
  explicit NLLLoss(NLLLossOptions options = {});
  Tensor forward(const Tensor& log_probs, const Tensor& target) const;
  NLLLossOptions options;
};

/// Options of MSELoss; implicit from the reduction, as libtorch's MSELossOptions.
struct MSELossOptions {
  using Self = MSELossOptions;
  MSELossOptions(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}  // NOLINT(google-explicit-constructor)
  XG_ARG(Reduction, reduction);
};

/// torch.nn.MSELoss.
class MSELoss : public Module {
 public:
  explicit MSELoss(const MSELossOptions& options = {}) : Module("MSELoss"), options(options) {}
  Tensor forward(const Tensor& input, const Tensor& target) const {
    return mse_loss(input, target, options.reduction());
  }
  MSELossOptions options;
};

/// An element-wise loss as a module: forward(input, target) = function(input, target, options).
template <typename Options, Tensor (*function)(const Tensor&, const Tensor&, const Options&)>
class PointwiseLoss : public Module {
 public:
  PointwiseLoss(const char* name, Options options) : Module(name), options(std::move(options)) {}
  Tensor forward(const Tensor& input, const Tensor& target) const { return function(input, target, options); }
  Options options;
};

/// torch.nn.L1Loss: L1Loss(Reduction::Sum).
struct L1Loss : PointwiseLoss<L1LossOptions, l1_loss> {
  explicit L1Loss(L1LossOptions o = {}) : PointwiseLoss("L1Loss", std::move(o)) {}
};
/// torch.nn.SmoothL1Loss: SmoothL1Loss(SmoothL1LossOptions().beta(0.5)).
struct SmoothL1Loss : PointwiseLoss<SmoothL1LossOptions, smooth_l1_loss> {
  explicit SmoothL1Loss(SmoothL1LossOptions o = {}) : PointwiseLoss("SmoothL1Loss", std::move(o)) {}
};
/// torch.nn.HuberLoss: HuberLoss(HuberLossOptions().delta(2)).
struct HuberLoss : PointwiseLoss<HuberLossOptions, huber_loss> {
  explicit HuberLoss(HuberLossOptions o = {}) : PointwiseLoss("HuberLoss", std::move(o)) {}
};
/// torch.nn.BCELoss (input: probabilities).
/// The optional weight is a buffer, as in PyTorch, so it travels with state_dict().
struct BCELoss : PointwiseLoss<BCELossOptions, binary_cross_entropy> {
  explicit BCELoss(BCELossOptions o = {});
};
/// torch.nn.BCEWithLogitsLoss (input: logits): BCEWithLogitsLoss(BCEWithLogitsLossOptions().pos_weight(p)).
/// weight and pos_weight are buffers, as in PyTorch.
struct BCEWithLogitsLoss : PointwiseLoss<BCEWithLogitsLossOptions, binary_cross_entropy_with_logits> {
  explicit BCEWithLogitsLoss(BCEWithLogitsLossOptions o = {});
};
/// torch.nn.KLDivLoss (input: log-probabilities): KLDivLoss(KLDivLossOptions().reduction(KLDivReduction::BatchMean)).
struct KLDivLoss : PointwiseLoss<KLDivLossOptions, kl_div> {
  explicit KLDivLoss(KLDivLossOptions o = {}) : PointwiseLoss("KLDivLoss", std::move(o)) {}
};

}  // namespace xg::nn
