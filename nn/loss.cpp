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

}  // namespace xg::nn
