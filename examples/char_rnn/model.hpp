#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "xgrad.hpp"

namespace char_rnn {

/// The recurrent state carried between windows: h (layers, B, H), and for an LSTM also its cell
/// state c (same shape; undefined for rnn/gru). Both undefined: start from zeros.
struct State {
  xg::Tensor h, c;
  bool defined() const { return h.defined(); }
  /// Truncated BPTT: the same values, cut from the graph.
  State detach() const { return {h.defined() ? h.detach() : h, c.defined() ? c.detach() : c}; }
};

/// The char-level language model, written the way a PyTorch user would:
///   embedding (V → E) → rnn (E → H, num_layers; an RNN, LSTM or GRU) → fc (H → V)
/// Parameter names match the equivalent torch.nn model exactly (embedding.weight,
/// rnn.weight_ih_l0, …, fc.weight, fc.bias) whatever the kind, so checkpoints load into PyTorch.
struct CharRNN : xg::nn::Module {
  /// kind: "rnn" (tanh), "lstm" or "gru".
  CharRNN(std::int64_t vocab, std::int64_t embed, std::int64_t hidden, std::int64_t layers, double dropout,
          const std::string& kind = "rnn")
      : Module("CharRNN"), kind(kind) {
    embedding = register_module("embedding", std::make_shared<xg::nn::Embedding>(vocab, embed));
    if (kind == "rnn")
      rnn = register_module("rnn", std::make_shared<xg::nn::RNN>(
                                       xg::nn::RNNOptions(embed, hidden).num_layers(layers).dropout(dropout)));
    else if (kind == "lstm")
      lstm = register_module("rnn", std::make_shared<xg::nn::LSTM>(
                                        xg::nn::LSTMOptions(embed, hidden).num_layers(layers).dropout(dropout)));
    else if (kind == "gru")
      gru = register_module("rnn", std::make_shared<xg::nn::GRU>(
                                       xg::nn::GRUOptions(embed, hidden).num_layers(layers).dropout(dropout)));
    else
      throw std::invalid_argument("CharRNN: --model must be rnn, lstm or gru, got '" + kind + "'");
    fc = register_module("fc", std::make_shared<xg::nn::Linear>(hidden, vocab));
  }

  /// tokens (T, B) int64, state as above → {logits (T·B, V), state after the last step}.
  std::pair<xg::Tensor, State> forward(const xg::Tensor& tokens, const State& state) {
    const xg::Tensor x = embedding->forward(tokens);
    xg::Tensor out;
    State next;
    if (lstm) {
      std::pair<xg::Tensor, std::pair<xg::Tensor, xg::Tensor>> r = lstm->forward(x, {state.h, state.c});
      out = r.first;
      next = {r.second.first, r.second.second};
    } else {
      std::tie(out, next.h) = rnn ? rnn->forward(x, state.h) : gru->forward(x, state.h);
    }
    const std::int64_t rows = out.size(0) * out.size(1);
    return {fc->forward(xg::reshape(out, {rows, out.size(2)})), next};
  }

  /// The h-only form for rnn/gru: tokens (T, B) int64, h0 (layers, B, H) or undefined → {logits, h_n}.
  std::pair<xg::Tensor, xg::Tensor> forward(const xg::Tensor& tokens, const xg::Tensor& h0) {
    if (lstm) throw std::invalid_argument("CharRNN: an lstm carries (h, c); call forward(tokens, State)");
    auto [logits, next] = forward(tokens, State{h0, xg::Tensor()});
    return {logits, next.h};
  }

  std::string kind;
  std::shared_ptr<xg::nn::Embedding> embedding;
  std::shared_ptr<xg::nn::RNN> rnn;    // exactly one of rnn, lstm, gru is set,
  std::shared_ptr<xg::nn::LSTM> lstm;  // always registered under the name "rnn"
  std::shared_ptr<xg::nn::GRU> gru;
  std::shared_ptr<xg::nn::Linear> fc;
};

}  // namespace char_rnn
