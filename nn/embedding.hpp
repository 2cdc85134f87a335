#pragma once
#include <optional>

#include "autograd/arg.hpp"
#include "nn/module.hpp"

namespace xg {

/// Rescales, in place and outside autograd, every row of `weight` (num, dim) that `indices`
/// (int64, any shape) looks up and whose norm_type-norm exceeds max_norm, to norm
/// max_norm / (norm + 1e-7) · norm (torch::embedding_renorm_; each row once, however often it
/// occurs). norm_type may be any p (inf: max |x|, 0: the count of non-zeros). Bumps weight's
/// version when a row changes, so a graph that saved the old weight refuses to backward.
const Tensor& embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type);

}  // namespace xg

namespace xg::nn {

/// Options of torch.nn.Embedding: EmbeddingOptions(10, 3).padding_idx(0).max_norm(1.0).
struct EmbeddingOptions {
  using Self = EmbeddingOptions;
  EmbeddingOptions(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  XG_ARG(std::int64_t, num_embeddings);
  XG_ARG(std::int64_t, embedding_dim);
  XG_ARG(std::optional<std::int64_t>, padding_idx);
  XG_ARG(std::optional<double>, max_norm);   // renormalise looked-up rows to at most this norm
  XG_ARG(double, norm_type) = 2.0;           // the p of max_norm's p-norm
  XG_ARG(bool, scale_grad_by_freq) = false;  // divide each row's gradient by its count in the batch
  XG_ARG(bool, sparse) = false;              // refused: xgrad has no sparse gradients
  XG_ARG(Tensor, _weight);                   // use this (num, dim) tensor's storage as the weight
};

/// Options of torch.nn.Embedding::from_pretrained (freeze defaults to true).
struct EmbeddingFromPretrainedOptions {
  using Self = EmbeddingFromPretrainedOptions;
  XG_ARG(bool, freeze) = true;
  XG_ARG(std::optional<std::int64_t>, padding_idx);
  XG_ARG(std::optional<double>, max_norm);
  XG_ARG(double, norm_type) = 2.0;
  XG_ARG(bool, scale_grad_by_freq) = false;
  XG_ARG(bool, sparse) = false;
};

/// A lookup table (torch.nn.Embedding): int64 indices of any shape → indices.shape + [embedding_dim].
/// weight (num_embeddings, embedding_dim) ~ N(0, 1); the padding_idx row (if given; negative
/// counts from the end as in PyTorch) starts at zero and receives no gradient. With max_norm,
/// forward first renormalises the looked-up rows of weight in place (embedding_renorm_); with
/// scale_grad_by_freq each row's gradient is divided by how often the batch looks it up.
/// Embedding(10, 3) is EmbeddingOptions(10, 3), as in libtorch.
class Embedding : public Module {
 public:
  explicit Embedding(const EmbeddingOptions& options);
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim)
      : Embedding(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  /// An Embedding whose weight shares `embeddings`' (num, dim) storage (as PyTorch's Parameter
  /// does); requires_grad is !freeze. The padding row is left as given.
  static std::shared_ptr<Embedding> from_pretrained(const Tensor& embeddings,
                                                    const EmbeddingFromPretrainedOptions& options = {});
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;

  EmbeddingOptions options;       // as given (padding_idx may be negative)
  std::int64_t padding_idx = -1;  // normalised to [0, num) or −1 for none
  Tensor weight;
};

}  // namespace xg::nn
