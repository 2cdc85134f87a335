#pragma once
// What RNN, LSTM and GRU share: option checks, PyTorch's parameter layout, and the stacked,
// optionally bidirectional layer loop with its input/state layouts. Each module supplies only
// its per-direction recurrence.
#include <functional>
#include <string>
#include <vector>

#include "autograd/generator.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// The parameters of one (layer, direction): weight_ih (G·H, in), weight_hh (G·H, H) and the
/// biases (G·H) — undefined without bias — for G gates (1 RNN, 4 LSTM, 3 GRU).
struct RecurrentLayerWeights {
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
};

/// The shape of a stacked recurrent module.
struct RecurrentStack {
  const char* module;  // "RNN", "LSTM", "GRU": every message starts with it
  std::int64_t input_size, hidden_size, num_layers;
  bool bias, batch_first, bidirectional;
  double dropout;
  std::int64_t directions() const { return bidirectional ? 2 : 1; }

  /// Throws for non-positive sizes or layers and dropout outside [0, 1], naming the option.
  void check_options() const;
  /// Registers weight_ih_l{k}[_reverse], weight_hh_…, bias_ih_…, bias_hh_… in PyTorch's order on
  /// `owner`, initialised U(−1/√H, 1/√H); returns them indexed layer·D + direction.
  std::vector<RecurrentLayerWeights> register_weights(Module& owner, std::int64_t gates) const;

  /// Runs one direction of one layer: x (L, N, in) and the initial states of (layer, direction)
  /// (each (N, H)) → the outputs (L, N, H); `states` must be replaced by the final states.
  using Direction = std::function<Tensor(const Tensor& x, std::size_t index, bool reverse, std::vector<Tensor>& states)>;

  /// The whole forward in PyTorch's layouts: checks `input` ((L, N, in), (N, L, in) with
  /// batch_first, or unbatched (L, in)) and the given initial states (named `state_names`, e.g.
  /// "h_0", "c_0"; all given or all undefined → zeros), runs every layer and direction with
  /// dropout between layers when training, and returns {output, final states} shaped like the
  /// inputs ((L, N, D·H) etc.; states (D·num_layers, N, H), unbatched (D·num_layers, H)).
  std::pair<Tensor, std::vector<Tensor>> forward(const Tensor& input, const std::vector<Tensor>& initial,
                                                 const std::vector<const char*>& state_names, bool training,
                                                 Generator* generator, const Direction& run) const;

  /// "64, 512, num_layers=2, …" — the common part of extra_repr().
  std::string repr() const;
};

/// Checks a cell's sizes ("<module>: input_size and hidden_size must be positive …").
void check_cell_sizes(const char* module, std::int64_t input_size, std::int64_t hidden_size);

/// The input must have the parameters' dtype (PyTorch: "input must have the type torch.float32,
/// got type torch.float64"); checked by the module so the message names it, not `linear`.
void check_input_dtype(const char* module, const Tensor& input, const Tensor& weight);

}  // namespace xg::nn
