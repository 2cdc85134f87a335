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

}  // namespace xg::nn
