#pragma once
#include <optional>

#include "nn/module.hpp"

namespace xg::nn {

/// A lookup table (torch.nn.Embedding): int64 indices of any shape → indices.shape + [embedding_dim].
/// weight (num_embeddings, embedding_dim) ~ N(0, 1); the padding_idx row (if given; negative
/// counts from the end as in PyTorch) starts at zero and receives no gradient.
class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, std::optional<std::int64_t> padding_idx = {});
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;

  std::int64_t num_embeddings, embedding_dim;
  std::int64_t padding_idx = -1;  // normalised to [0, num) or −1 for none
  Tensor weight;
};

}  // namespace xg::nn
