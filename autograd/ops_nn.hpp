#pragma once
#include <cstdint>
#include <string>

#include "autograd/arg.hpp"
#include "autograd/generator.hpp"
#include "autograd/tensor.hpp"

namespace xg {

enum class Reduction { None, Mean, Sum };

/// exp(x) / Σ exp(x) along `dim` (max-subtracted for stability).
Tensor softmax(const Tensor& x, std::int64_t dim);
/// x − logsumexp(x) along `dim`; backward g − softmax(x)·Σg.
Tensor log_softmax(const Tensor& x, std::int64_t dim);

/// Options of cross_entropy (torch::nn::functional::CrossEntropyFuncOptions):
///   CrossEntropyOptions().reduction(Reduction::Sum).label_smoothing(0.1)
struct CrossEntropyOptions {
  using Self = CrossEntropyOptions;
  XG_ARG(Reduction, reduction) = Reduction::Mean;
  XG_ARG(std::int64_t, ignore_index) = -100;
  XG_ARG(double, label_smoothing) = 0.0;
  XG_ARG(Tensor, weight);  // optional per-class weight (C)
};

/// torch.nn.functional.cross_entropy with class-index targets: input (N, C) or (N, C, d1, ...) or (C),
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

/// Inverted dropout: in training zeroes each element with probability p and scales the rest by
/// 1/(1−p); identity when !training or p == 0. p must be in [0, 1].
Tensor dropout(const Tensor& x, double p, bool training, Generator& generator);
Tensor dropout(const Tensor& x, double p, bool training = true);

/// Rows of `weight` (num, dim) picked by int64 `indices` of any shape → indices.shape + [dim].
/// Rows equal to padding_idx (if ≥ 0) get no gradient. Backward scatter-adds in order (deterministic).
Tensor embedding(const Tensor& indices, const Tensor& weight, std::int64_t padding_idx = -1);

/// One-hot encoding of int64 indices → float tensor of shape indices.shape + [num_classes].
Tensor one_hot(const Tensor& indices, std::int64_t num_classes, Dtype dtype = kFloat32);

}  // namespace xg
