#include "nn/loss.hpp"

namespace xg::nn {

// The optional class weight is a buffer, as in PyTorch, so it travels with state_dict().
CrossEntropyLoss::CrossEntropyLoss(CrossEntropyOptions o) : Module("CrossEntropyLoss"), options(std::move(o)) {
  if (options.weight().defined()) register_buffer("weight", options.weight());
}

Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) const {
  return cross_entropy(input, target, options);
}

NLLLoss::NLLLoss(NLLLossOptions o) : Module("NLLLoss"), options(std::move(o)) {
  if (options.weight().defined()) register_buffer("weight", options.weight());
}

Tensor NLLLoss::forward(const Tensor& log_probs, const Tensor& target) const {
  return nll_loss(log_probs, target, options);
}

BCELoss::BCELoss(BCELossOptions o) : PointwiseLoss("BCELoss", std::move(o)) {
  if (options.weight().defined()) register_buffer("weight", options.weight());
}

BCEWithLogitsLoss::BCEWithLogitsLoss(BCEWithLogitsLossOptions o) : PointwiseLoss("BCEWithLogitsLoss", std::move(o)) {
  if (options.weight().defined()) register_buffer("weight", options.weight());
  if (options.pos_weight().defined()) register_buffer("pos_weight", options.pos_weight());
}

}  // namespace xg::nn
