#pragma once
#include <optional>

#include "autograd/arg.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// Options of torch.nn.Embedding: EmbeddingOptions(10, 3).padding_idx(0).
struct EmbeddingOptions {
  using Self = EmbeddingOptions;
  EmbeddingOptions(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  XG_ARG(std::int64_t, num_embeddings);
  XG_ARG(std::int64_t, embedding_dim);
  XG_ARG(std::optional<std::int64_t>, padding_idx);
};

/// A lookup table (torch.nn.Embedding): int64 indices of any shape → indices.shape + [embedding_dim].
/// weight (num_embeddings, embedding_dim) ~ N(0, 1); the padding_idx row (if given; negative
/// counts from the end as in PyTorch) starts at zero and receives no gradient.
/// Embedding(10, 3) is EmbeddingOptions(10, 3), as in libtorch.
class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : Embedding(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;

  EmbeddingOptions options;       // as given (padding_idx may be negative)
  std::int64_t padding_idx = -1;  // normalised to [0, num) or −1 for none
  Tensor weight;
};

}  // namespace xg::nn
