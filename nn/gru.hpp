#pragma once
#include <utility>

#include "nn/recurrent_base.hpp"

namespace xg::nn {

/// Options of torch.nn.GRU. The two sizes are required; the rest have PyTorch's defaults:
///   GRUOptions(64, 512).num_layers(2).dropout(0.1)
struct GRUOptions : RNNOptionsBase<GRUOptions> {
  using Self = GRUOptions;
  using RNNOptionsBase::RNNOptionsBase;
};

/// Options of torch.nn.GRUCell: GRUCellOptions(3, 4).bias(false).
struct GRUCellOptions : RNNCellOptionsBase<GRUCellOptions> {
  using Self = GRUCellOptions;
  using RNNCellOptionsBase::RNNCellOptionsBase;
};

/// A gated recurrent unit network (torch.nn.GRU): for each layer k and step t, with the (3H, ·)
/// weights split into blocks r, z, n,
///   r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr),   z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
///   n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))
///   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
///
/// forward(input, h0) → {output, h_n}:
///   input  (L, N, H_in), or (N, L, H_in) with batch_first, or unbatched (L, H_in)
///   h0     (D·num_layers, N, H) or unbatched (D·num_layers, H); zeros when undefined.
///          batch_first never applies to h0/h_n.
///   output (L, N, D·H) (batch_first: (N, L, D·H); unbatched: (L, D·H)): the last layer's h_t,
///          forward ‖ reverse direction
///   h_n    like h0; index layer·D + direction.
/// Parameters weight_ih_l{k} (3H, H_in or D·H), weight_hh_l{k} (3H, H), bias_ih_l{k} (3H),
/// bias_hh_l{k} (3H), with "_reverse" for direction 1, in PyTorch's order, all U(−1/√H, 1/√H).
/// Dropout (training only) applies to every layer's output except the last.
///
/// Written with ordinary autograd ops over time steps (one matmul projects the input of all
/// steps at once), so backpropagation through time is derived by the tape.
class GRU : public RNNBase {
 public:
  explicit GRU(const GRUOptions& options);
  std::pair<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0 = Tensor());
  /// A packed batch (see nn/packed_sequence.hpp): each sequence runs only its own steps, h0 and
  /// h_n are (D·num_layers, B, H) in the original batch order, h_n at each sequence's last step.
  std::pair<PackedSequence, Tensor> forward(const PackedSequence& input, const Tensor& h0 = Tensor());
  const GRUOptions& options() const { return options_; }

 private:
  Tensor run_direction(const Tensor& x, const std::vector<std::int64_t>& batch_sizes, const LayerWeights& w,
                       bool reverse, std::vector<Tensor>& h) const override;
  GRUOptions options_;
};

/// One GRU step (torch.nn.GRUCell): gates as in GRU → h'.
/// input (N, H_in) or unbatched (H_in); hidden (N, H) / (H), zeros when undefined → h' like hidden.
class GRUCell : public RNNCellBase {
 public:
  explicit GRUCell(const GRUCellOptions& options);
  GRUCell(std::int64_t input_size, std::int64_t hidden_size) : GRUCell(GRUCellOptions(input_size, hidden_size)) {}
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  Tensor forward(const Tensor& input, const Tensor& hidden);
  const GRUCellOptions& options() const { return options_; }

 private:
  GRUCellOptions options_;  // weights (3H, H_in), (3H, H), biases (3H)
};

}  // namespace xg::nn
