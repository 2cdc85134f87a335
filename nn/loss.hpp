#pragma once
#include "autograd/ops_nn_loss.hpp"
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

/// torch.nn.MSELoss.
class MSELoss : public Module {
 public:
  explicit MSELoss(Reduction reduction = Reduction::Mean) : Module("MSELoss"), reduction(reduction) {}
  Tensor forward(const Tensor& input, const Tensor& target) const { return mse_loss(input, target, reduction); }
  Reduction reduction;
};

}  // namespace xg::nn
