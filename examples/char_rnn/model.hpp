#pragma once
#include <memory>
#include <utility>

#include "xgrad.hpp"

namespace char_rnn {

/// The char-level language model, written the way a PyTorch user would:
///   embedding (V → E) → rnn (E → H, num_layers) → fc (H → V)
/// Parameter names match the equivalent torch.nn model exactly (embedding.weight,
/// rnn.weight_ih_l0, …, fc.weight, fc.bias), so checkpoints load into PyTorch.
struct CharRNN : xg::nn::Module {
  CharRNN(std::int64_t vocab, std::int64_t embed, std::int64_t hidden, std::int64_t layers, double dropout)
      : Module("CharRNN") {
    embedding = register_module("embedding", std::make_shared<xg::nn::Embedding>(vocab, embed));
    rnn = register_module("rnn", std::make_shared<xg::nn::RNN>(
                                     xg::nn::RNNOptions(embed, hidden).num_layers(layers).dropout(dropout)));
    fc = register_module("fc", std::make_shared<xg::nn::Linear>(hidden, vocab));
  }

  /// tokens (T, B) int64, h0 (layers, B, H) or undefined → {logits (T·B, V), h_n}.
  std::pair<xg::Tensor, xg::Tensor> forward(const xg::Tensor& tokens, const xg::Tensor& h0) {
    auto [out, h_n] = rnn->forward(embedding->forward(tokens), h0);
    const std::int64_t rows = out.size(0) * out.size(1);
    return {fc->forward(xg::reshape(out, {rows, out.size(2)})), h_n};
  }

  std::shared_ptr<xg::nn::Embedding> embedding;
  std::shared_ptr<xg::nn::RNN> rnn;
  std::shared_ptr<xg::nn::Linear> fc;
};

}  // namespace char_rnn
