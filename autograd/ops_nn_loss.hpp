#pragma once
#include <cstdint>

#include "autograd/arg.hpp"
#include "autograd/tensor.hpp"

namespace xg {

enum class Reduction { None, Mean, Sum };

/// Options of cross_entropy (torch::nn::functional::CrossEntropyFuncOptions):
///   CrossEntropyOptions().reduction(Reduction::Sum).label_smoothing(0.1)
struct CrossEntropyOptions {
  using Self = CrossEntropyOptions;
  XG_ARG(Reduction, reduction) = Reduction::Mean;
  XG_ARG(std::int64_t, ignore_index) = -100;
  XG_ARG(double, label_smoothing) = 0.0;
  XG_ARG(Tensor, weight);  // optional per-class weight (C)
};

/// torch.nn.functional.cross_entropy. A float target of the input's shape holds class
/// probabilities: per sample −Σ_c w_c t_c log softmax(x)_c (label smoothing mixes t with the
/// uniform distribution; the mean divides by the number of samples; ignore_index must stay < 0).
/// With class-index targets: input (N, C) or (N, C, d1, ...) or (C),
/// target int64 (N) / (N, d1, ...) / (), log_softmax + nll fused. Mean reduction divides by the
/// summed weight of non-ignored targets (PyTorch's weighted mean); label smoothing ε mixes in
/// the uniform distribution: loss = (1−ε)·nll + ε·mean_c(−log p_c) (with weights as PyTorch).
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options = {});

/// Options of nll_loss (torch::nn::functional::NLLLossFuncOptions).
struct NLLLossOptions {
  using Self = NLLLossOptions;
  XG_ARG(Reduction, reduction) = Reduction::Mean;
  XG_ARG(std::int64_t, ignore_index) = -100;
  XG_ARG(Tensor, weight);  // optional per-class weight (C)
};
/// torch.nn.functional.nll_loss on log-probabilities (same shapes as cross_entropy).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossOptions& options = {});

/// mean/sum/none of (input − target)²; shapes must match exactly (PyTorch only warns; we refuse).
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

}  // namespace xg
