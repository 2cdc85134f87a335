#pragma once
#include <utility>

#include "autograd/generator.hpp"
#include "nn/module.hpp"
#include "nn/recurrent_stack.hpp"

namespace xg::nn {

enum class Nonlinearity { Tanh, ReLU };
constexpr Nonlinearity kTanh = Nonlinearity::Tanh;
constexpr Nonlinearity kReLU = Nonlinearity::ReLU;

/// Options of torch.nn.RNN. The two sizes are required; the rest have PyTorch's defaults:
///   RNNOptions(64, 512).num_layers(2).dropout(0.1)
struct RNNOptions {
  RNNOptions(std::int64_t input_size, std::int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  RNNOptions& num_layers(std::int64_t v) { num_layers_ = v; return *this; }
  RNNOptions& nonlinearity(Nonlinearity v) { nonlinearity_ = v; return *this; }
  RNNOptions& bias(bool v) { bias_ = v; return *this; }
  RNNOptions& batch_first(bool v) { batch_first_ = v; return *this; }
  RNNOptions& dropout(double v) { dropout_ = v; return *this; }
  RNNOptions& bidirectional(bool v) { bidirectional_ = v; return *this; }

  std::int64_t input_size_, hidden_size_;
  std::int64_t num_layers_ = 1;
  Nonlinearity nonlinearity_ = kTanh;
  bool bias_ = true;
  bool batch_first_ = false;
  double dropout_ = 0.0;
  bool bidirectional_ = false;
};

/// An Elman RNN (torch.nn.RNN): for each layer k and step t,
///   h_t = act(x_t W_ih_lkᵀ + b_ih_lk + h_{t−1} W_hh_lkᵀ + b_hh_lk),  act = tanh or relu.
///
/// forward(input, h0) → {output, h_n}:
///   input  (L, N, H_in), or (N, L, H_in) with batch_first, or unbatched (L, H_in)
///   h0     (D·num_layers, N, H) or unbatched (D·num_layers, H); zeros when undefined.
///          batch_first never applies to h0/h_n.
///   output (L, N, D·H) (batch_first: (N, L, D·H); unbatched: (L, D·H)): the last layer's h_t,
///          forward ‖ reverse direction
///   h_n    like h0; index layer·D + direction.
/// Parameters weight_ih_l{k} (H, H_in or D·H), weight_hh_l{k} (H, H), bias_ih_l{k}, bias_hh_l{k},
/// with "_reverse" for direction 1, registered in PyTorch's order, all U(−1/√H, 1/√H).
/// Dropout (training only) applies to every layer's output except the last.
///
/// Written with ordinary autograd ops over time steps (one matmul projects the input of all
/// steps at once), so backpropagation through time is derived by the tape.
class RNN : public Module {
 public:
  explicit RNN(const RNNOptions& options);
  std::pair<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0 = Tensor());
  std::string extra_repr() const override;
  /// The generator inter-layer dropout draws from (default: xg::default_generator()).
  void set_generator(Generator* generator) { generator_ = generator; }

  const RNNOptions& options() const { return options_; }
  /// Parameters of (layer, direction): {weight_ih, weight_hh, bias_ih, bias_hh} (biases may be undefined).
  using LayerWeights = RecurrentLayerWeights;
  const LayerWeights& weights(std::int64_t layer, std::int64_t direction) const;

 private:
  Tensor run_direction(const Tensor& x, const Tensor& h0, const LayerWeights& w, bool reverse, Tensor& h_last) const;

  RNNOptions options_;
  RecurrentStack stack_;
  std::vector<LayerWeights> weights_;  // index layer·D + direction
  Generator* generator_ = nullptr;
};

/// One RNN step (torch.nn.RNNCell): h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
/// input (N, H_in) or unbatched (H_in); hidden (N, H) / (H), zeros when undefined → h' like hidden.
class RNNCell : public Module {
 public:
  RNNCell(std::int64_t input_size, std::int64_t hidden_size, bool bias = true, Nonlinearity nonlinearity = kTanh);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  Tensor forward(const Tensor& input, const Tensor& hidden);
  std::string extra_repr() const override;

  std::int64_t input_size, hidden_size;
  Nonlinearity nonlinearity;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};

}  // namespace xg::nn
