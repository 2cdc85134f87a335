#pragma once
#include <utility>

#include "autograd/generator.hpp"
#include "nn/module.hpp"
#include "nn/recurrent_stack.hpp"

namespace xg::nn {

/// Options of torch.nn.LSTM. The two sizes are required; the rest have PyTorch's defaults:
///   LSTMOptions(64, 512).num_layers(2).dropout(0.1)
/// proj_size exists for PyTorch's signature only: a value > 0 is rejected at construction.
struct LSTMOptions {
  LSTMOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  LSTMOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  LSTMOptions& bias(bool v) { bias_ = v; return *this; }
  LSTMOptions& batch_first(bool v) { batch_first_ = v; return *this; }
  LSTMOptions& dropout(double v) { dropout_ = v; return *this; }
  LSTMOptions& bidirectional(bool v) { bidirectional_ = v; return *this; }
  LSTMOptions& proj_size(std::int64_t v) { proj_size_ = v; return *this; }

  std::int64_t input_size_, hidden_size_;
  std::int64_t num_layers_ = 1;
  bool bias_ = true;
  bool batch_first_ = false;
  double dropout_ = 0.0;
  bool bidirectional_ = false;
  std::int64_t proj_size_ = 0;
};

/// A long short-term memory network (torch.nn.LSTM): for each layer k and step t,
///   [i f g o] = x_t W_ih_lkᵀ + b_ih_lk + h_{t−1} W_hh_lkᵀ + b_hh_lk     (4H, gate blocks in that order)
///   i, f, o = σ(·),  g = tanh(·)
///   c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
///
/// forward(input, {h0, c0}) → {output, {h_n, c_n}}:
///   input  (L, N, H_in), or (N, L, H_in) with batch_first, or unbatched (L, H_in)
///   h0, c0 (D·num_layers, N, H) or unbatched (D·num_layers, H); both given or both undefined (zeros).
///          batch_first never applies to the states.
///   output (L, N, D·H) (batch_first: (N, L, D·H); unbatched: (L, D·H)): the last layer's h_t,
///          forward ‖ reverse direction
///   h_n, c_n like h0; index layer·D + direction.
/// Parameters weight_ih_l{k} (4H, H_in or D·H), weight_hh_l{k} (4H, H), bias_ih_l{k} (4H),
/// bias_hh_l{k} (4H), with "_reverse" for direction 1, in PyTorch's order, all U(−1/√H, 1/√H).
/// Dropout (training only) applies to every layer's output except the last.
///
/// Written with ordinary autograd ops over time steps (one matmul projects the input of all
/// steps at once), so backpropagation through time is derived by the tape.
class LSTM : public Module {
 public:
  using State = std::pair<Tensor, Tensor>;  // {h, c}

  explicit LSTM(const LSTMOptions& options);
  std::pair<Tensor, State> forward(const Tensor& input, const State& state = {});
  std::string extra_repr() const override;
  /// The generator inter-layer dropout draws from (default: xg::default_generator()).
  void set_generator(Generator* generator) { generator_ = generator; }

  const LSTMOptions& options() const { return options_; }
  /// Parameters of (layer, direction): {weight_ih, weight_hh, bias_ih, bias_hh} (biases may be undefined).
  using LayerWeights = RecurrentLayerWeights;
  const LayerWeights& weights(std::int64_t layer, std::int64_t direction) const;

 private:
  Tensor run_direction(const Tensor& x, const State& init, const LayerWeights& w, bool reverse, State& last) const;

  LSTMOptions options_;
  RecurrentStack stack_;
  std::vector<LayerWeights> weights_;  // index layer·D + direction
  Generator* generator_ = nullptr;
};

/// One LSTM step (torch.nn.LSTMCell): gates as in LSTM, → {h', c'}.
/// input (N, H_in) or unbatched (H_in); h, c (N, H) / (H), both given or both undefined (zeros).
class LSTMCell : public Module {
 public:
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size, bool bias = true);
  Tensor forward(const Tensor& input) override { return forward(input, {}).first; }
  std::pair<Tensor, Tensor> forward(const Tensor& input, const std::pair<Tensor, Tensor>& state);
  std::string extra_repr() const override;

  std::int64_t input_size, hidden_size;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // (4H, H_in), (4H, H), (4H), (4H)
};

}  // namespace xg::nn
