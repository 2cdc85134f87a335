#pragma once
#include <utility>

#include "nn/recurrent_base.hpp"

namespace xg::nn {

/// Options of torch.nn.LSTM. The two sizes are required; the rest have PyTorch's defaults:
///   LSTMOptions(64, 512).num_layers(2).dropout(0.1)
/// proj_size P > 0 (smaller than hidden_size) projects h: h_t = (o ⊙ tanh c_t) W_hrᵀ.
struct LSTMOptions : RNNOptionsBase<LSTMOptions> {
  using Self = LSTMOptions;
  using RNNOptionsBase::RNNOptionsBase;
  XG_ARG(std::int64_t, proj_size) = 0;
};

/// Options of torch.nn.LSTMCell: LSTMCellOptions(3, 4).bias(false).
struct LSTMCellOptions : RNNCellOptionsBase<LSTMCellOptions> {
  using Self = LSTMCellOptions;
  using RNNCellOptionsBase::RNNCellOptionsBase;
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
/// With proj_size P: h0, h_n and each direction's output have size P instead of H, weight_hh_l{k}
/// is (4H, P), layers above the first take D·P inputs, and weight_hr_l{k} (P, H) follows the biases.
/// Dropout (training only) applies to every layer's output except the last.
///
/// Written with ordinary autograd ops over time steps (one matmul projects the input of all
/// steps at once), so backpropagation through time is derived by the tape.
class LSTM : public RNNBase {
 public:
  using State = std::pair<Tensor, Tensor>;  // {h, c}

  explicit LSTM(const LSTMOptions& options);
  std::pair<Tensor, State> forward(const Tensor& input, const State& state = {});
  /// A packed batch (see nn/packed_sequence.hpp): each sequence runs only its own steps, the
  /// states are (D·num_layers, B, ·) in the original batch order, taken at each sequence's last step.
  std::pair<PackedSequence, State> forward(const PackedSequence& input, const State& state = {});
  const LSTMOptions& options() const { return options_; }

 private:
  static Geometry checked_geometry(const LSTMOptions& o);
  Tensor run_direction(const Tensor& x, const std::vector<std::int64_t>& batch_sizes, const LayerWeights& w,
                       bool reverse, std::vector<Tensor>& hc) const override;
  LSTMOptions options_;
};

/// One LSTM step (torch.nn.LSTMCell): gates as in LSTM, → {h', c'}.
/// input (N, H_in) or unbatched (H_in); h, c (N, H) / (H), both given or both undefined (zeros).
class LSTMCell : public RNNCellBase {
 public:
  explicit LSTMCell(const LSTMCellOptions& options);
  LSTMCell(std::int64_t input_size, std::int64_t hidden_size) : LSTMCell(LSTMCellOptions(input_size, hidden_size)) {}
  Tensor forward(const Tensor& input) override { return forward(input, {}).first; }
  std::pair<Tensor, Tensor> forward(const Tensor& input, const std::pair<Tensor, Tensor>& state);
  const LSTMCellOptions& options() const { return options_; }

 private:
  LSTMCellOptions options_;  // weights (4H, H_in), (4H, H), biases (4H)
};

}  // namespace xg::nn
