#pragma once
#include <utility>

#include "nn/recurrent_base.hpp"

namespace xg::nn {

enum class Nonlinearity { Tanh, ReLU };
constexpr Nonlinearity kTanh = Nonlinearity::Tanh;
constexpr Nonlinearity kReLU = Nonlinearity::ReLU;

/// Options of torch.nn.RNN. The two sizes are required; the rest have PyTorch's defaults:
///   RNNOptions(64, 512).num_layers(2).dropout(0.1).nonlinearity(kReLU)
struct RNNOptions : RNNOptionsBase<RNNOptions> {
  using Self = RNNOptions;
  using RNNOptionsBase::RNNOptionsBase;
  XG_ARG(Nonlinearity, nonlinearity) = kTanh;
};

/// Options of torch.nn.RNNCell: RNNCellOptions(3, 4).bias(false).nonlinearity(kReLU).
struct RNNCellOptions : RNNCellOptionsBase<RNNCellOptions> {
  using Self = RNNCellOptions;
  using RNNCellOptionsBase::RNNCellOptionsBase;
  XG_ARG(Nonlinearity, nonlinearity) = kTanh;
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
class RNN : public RNNBase {
 public:
  explicit RNN(const RNNOptions& options);
  std::pair<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0 = Tensor());
  /// A packed batch (see nn/packed_sequence.hpp): each sequence runs only its own steps, h0 and
  /// h_n are (D·num_layers, B, H) in the original batch order, h_n at each sequence's last step.
  std::pair<PackedSequence, Tensor> forward(const PackedSequence& input, const Tensor& h0 = Tensor());
  std::string extra_repr() const override;
  const RNNOptions& options() const { return options_; }

 private:
  Tensor run_direction(const Tensor& x, const std::vector<std::int64_t>& batch_sizes, const LayerWeights& w,
                       bool reverse, std::vector<Tensor>& h) const override;
  RNNOptions options_;
};

/// One RNN step (torch.nn.RNNCell): h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
/// input (N, H_in) or unbatched (H_in); hidden (N, H) / (H), zeros when undefined → h' like hidden.
class RNNCell : public RNNCellBase {
 public:
  explicit RNNCell(const RNNCellOptions& options);
  RNNCell(std::int64_t input_size, std::int64_t hidden_size) : RNNCell(RNNCellOptions(input_size, hidden_size)) {}
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  Tensor forward(const Tensor& input, const Tensor& hidden);
  std::string extra_repr() const override;
  const RNNCellOptions& options() const { return options_; }

 private:
  RNNCellOptions options_;
};

}  // namespace xg::nn
