#pragma once
#include <cstdint>

#include "autograd/tensor.hpp"

namespace xg {

enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  Reduction reduction = Reduction::Mean;
  std::int64_t ignore_index = -100;
  double label_smoothing = 0.0;
  Tensor weight;  // optional per-class weight (C)
  CrossEntropyOptions& set_reduction(Reduction r) { reduction = r; return *this; }
  CrossEntropyOptions& set_ignore_index(std::int64_t i) { ignore_index = i; return *this; }
  CrossEntropyOptions& set_label_smoothing(double s) { label_smoothing = s; return *this; }
  CrossEntropyOptions& set_weight(Tensor w) { weight = std::move(w); return *this; }
};

/// torch.nn.functional.cross_entropy with class-index targets: input (N, C) or (N, C, d1, ...) or (C),
/// target int64 (N) / (N, d1, ...) / (), log_softmax + nll fused. Mean reduction divides by the
/// summed weight of non-ignored targets (PyTorch's weighted mean); label smoothing ε mixes in
/// the uniform distribution: loss = (1−ε)·nll + ε·mean_c(−log p_c) (with weights as PyTorch).
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options = {});

struct NLLLossOptions {
  Reduction reduction = Reduction::Mean;
  std::int64_t ignore_index = -100;
  Tensor weight;
  NLLLossOptions& set_reduction(Reduction r) { reduction = r; return *this; }
  NLLLossOptions& set_ignore_index(std::int64_t i) { ignore_index = i; return *this; }
  NLLLossOptions& set_weight(Tensor w) { weight = std::move(w); return *this; }
};
/// torch.nn.functional.nll_loss on log-probabilities (same shapes as cross_entropy).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossOptions& options = {});

/// mean/sum/none of (input − target)²; shapes must match exactly (PyTorch only warns; we refuse).
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

}  // namespace xg
