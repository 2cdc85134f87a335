#include "nn/embedding.hpp"

#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops_nn.hpp"
#include "nn/init.hpp"

namespace xg::nn {

Embedding::Embedding(const EmbeddingOptions& o) : Module("Embedding"), options(o) {
  const std::int64_t num = o.num_embeddings(), dim = o.embedding_dim();
  const std::optional<std::int64_t> padding = o.padding_idx();
  if (num <= 0 || dim <= 0)
    throw std::invalid_argument("Embedding: num_embeddings and embedding_dim must be positive, got " +
                                std::to_string(num) + " and " + std::to_string(dim));
  if (padding) {
    if (*padding < -num || *padding >= num)
      throw std::invalid_argument("Embedding: padding_idx " + std::to_string(*padding) +
                                  " must be within num_embeddings (" + std::to_string(num) + ")");
    padding_idx = *padding < 0 ? *padding + num : *padding;
  }
  weight = register_parameter("weight", empty({num, dim}));
  init::normal_(weight);
  if (padding_idx >= 0) {
    NoGradGuard no_grad;  // a parameter is written like torch.nn.Embedding does: under no_grad
    for (std::int64_t j = 0; j < dim; ++j) weight.set({padding_idx, j}, 0.0);
  }
}

Tensor Embedding::forward(const Tensor& indices) { return embedding(indices, weight, padding_idx); }

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(options.num_embeddings()) + ", " + std::to_string(options.embedding_dim());
  if (padding_idx >= 0) s += ", padding_idx=" + std::to_string(padding_idx);
  return s;
}

}  // namespace xg::nn
