#pragma once
// What RNN, LSTM, GRU and their cells share (libtorch's RNNOptionsBase / RNNImplBase /
// RNNCellImplBase): the options, PyTorch's parameter layout and names, the checks of the input and
// the initial states, and the stacked, optionally bidirectional layer loop. A module adds only its
// gate math: run_direction (one direction of one layer) or its cell's step.
#include <string>
#include <vector>

#include "autograd/arg.hpp"
#include "autograd/generator.hpp"
#include "nn/module.hpp"
#include "nn/packed_sequence.hpp"

namespace xg::nn {

/// Options every stacked recurrent module has (PyTorch's defaults). Self is the derived options
/// struct, so chained setters keep its type: RNNOptions(64, 512).num_layers(2).nonlinearity(kReLU).
template <typename Self>
struct RNNOptionsBase {
  RNNOptionsBase(std::int64_t input_size, std::int64_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  XG_ARG(std::int64_t, input_size);
  XG_ARG(std::int64_t, hidden_size);
  XG_ARG(std::int64_t, num_layers) = 1;
  XG_ARG(bool, bias) = true;
  XG_ARG(bool, batch_first) = false;
  XG_ARG(double, dropout) = 0.0;
  XG_ARG(bool, bidirectional) = false;
};

/// Options every cell has: RNNCellOptions(3, 4).bias(false).
template <typename Self>
struct RNNCellOptionsBase {
  RNNCellOptionsBase(std::int64_t input_size, std::int64_t hidden_size)
      : input_size_(input_size), hidden_size_(hidden_size) {}
  XG_ARG(std::int64_t, input_size);
  XG_ARG(std::int64_t, hidden_size);
  XG_ARG(bool, bias) = true;
};

/// The parameters of one (layer, direction): weight_ih (G·H, in), weight_hh (G·H, H) and the
/// biases (G·H) — undefined without bias — for G gates (1 RNN, 4 LSTM, 3 GRU); an LSTM with
/// proj_size P also has weight_hr (P, H) and its weight_hh is (4H, P).
struct RecurrentLayerWeights {
  Tensor weight_ih, weight_hh, bias_ih, bias_hh, weight_hr;
};

/// Base of RNN, LSTM and GRU: registers weight_ih_l{k}[_reverse], weight_hh_…, bias_ih_…,
/// bias_hh_… in PyTorch's order (all U(−1/√H, 1/√H)) and runs the layers.
class RNNBase : public Module {
 public:
  /// Parameters of (layer, direction): {weight_ih, weight_hh, bias_ih, bias_hh} (biases may be undefined).
  using LayerWeights = RecurrentLayerWeights;
  const LayerWeights& weights(std::int64_t layer, std::int64_t direction) const;
  /// The generator inter-layer dropout draws from (default: xg::default_generator()).
  void set_generator(Generator* generator) { generator_ = generator; }
  /// "64, 512, num_layers=2, …" as PyTorch's repr.
  std::string extra_repr() const override;

 protected:
  /// The options every recurrent module shares, copied out of the derived options.
  struct Geometry {
    std::int64_t input_size, hidden_size, num_layers;
    bool bias, batch_first, bidirectional;
    double dropout;
    std::int64_t proj_size = 0;  // LSTM only: h (and the output) has this size when > 0
  };
  template <typename O>
  static Geometry shape_of(const RNNOptionsBase<O>& o, std::int64_t proj_size = 0) {
    return {o.input_size(), o.hidden_size(), o.num_layers(), o.bias(), o.batch_first(), o.bidirectional(), o.dropout(),
            proj_size};
  }
  using PackedSequence = utils::rnn::PackedSequence;
  /// Checks the options (naming the one at fault) and registers the parameters for `gates` gates.
  RNNBase(const char* name, const Geometry& shape, std::int64_t gates);

  /// The whole forward in PyTorch's layouts: checks `input` ((L, N, in), (N, L, in) with
  /// batch_first, or unbatched (L, in)) and the initial states (named `state_names`, e.g. "h_0",
  /// "c_0"; all given or all undefined → zeros; (D·num_layers, N, H) or unbatched (D·num_layers, H)),
  /// runs every layer and direction with dropout between layers when training, and returns
  /// {output, final states} shaped like the inputs.
  std::pair<Tensor, std::vector<Tensor>> run(const Tensor& input, const std::vector<Tensor>& initial,
                                             const std::vector<const char*>& state_names);
  /// The same for a packed batch (PyTorch's semantics): data (Σ lengths, in); the states are given
  /// and returned in the original batch order, (D·num_layers, B, H); each sequence runs only its
  /// own steps, so h_n is taken at its last one. The output has the input's batch sizes and indices.
  std::pair<PackedSequence, std::vector<Tensor>> run(const PackedSequence& input, const std::vector<Tensor>& initial,
                                                     const std::vector<const char*>& state_names);

  /// One direction of one layer over the rows of all steps: x (rows, in) holds step 0's
  /// batch_sizes[0] rows, then step 1's batch_sizes[1] rows, … (non-increasing: the sequences still
  /// running at that step; a padded batch is L steps of N rows) → the outputs, laid out the same
  /// way (rows, H). `states` (each (N, ·)) must be replaced by the final states, row k being
  /// sequence k's state after its own last step (StepStates does that bookkeeping).
  virtual Tensor run_direction(const Tensor& x, const std::vector<std::int64_t>& batch_sizes, const LayerWeights& w,
                               bool reverse, std::vector<Tensor>& states) const = 0;

  /// For run_direction: the rows of every step ((rows, K) → one (batch_sizes[t], K) per step).
  static std::vector<Tensor> split_steps(const Tensor& rows, const std::vector<std::int64_t>& batch_sizes);
  /// The inverse: the steps' outputs back into (rows, K).
  static Tensor join_steps(const std::vector<Tensor>& steps, const std::vector<std::int64_t>& batch_sizes);

  /// Fits the states of one direction to each step's rows. Forward in time, the rows of the
  /// sequences that have ended are set aside (they are those sequences' final states); in
  /// reverse, the sequences that start join with their initial states. With equal batch sizes
  /// (a padded batch) it does nothing.
  class StepStates {
   public:
    StepStates(const std::vector<std::int64_t>& batch_sizes, bool reverse, std::vector<Tensor>& states);
    /// Fits the states to step t (the steps must come in this direction's order).
    void enter(std::int64_t t);
    /// Puts the final states, in batch order, into the `states` given to the constructor.
    void finish();

   private:
    const std::vector<std::int64_t>& batch_sizes_;
    bool reverse_;
    std::vector<Tensor>& states_;
    std::vector<Tensor> initial_;
    std::vector<std::vector<Tensor>> ended_;  // forward: per state, the rows set aside, in order
    std::int64_t rows_;
  };

  std::int64_t directions() const { return shape_.bidirectional ? 2 : 1; }
  /// The size of h and of each direction's output: proj_size when set, hidden_size otherwise.
  std::int64_t output_size() const { return shape_.proj_size > 0 ? shape_.proj_size : shape_.hidden_size; }
  const char* name_;  // "RNN", "LSTM", "GRU": every message starts with it
  Geometry shape_;

 private:
  std::vector<LayerWeights> weights_;  // index layer·D + direction
  // The layer loop shared by both forms: x (rows, in), init (D·layers, N, ·) in sorted order.
  std::pair<Tensor, std::vector<Tensor>> run_rows(const Tensor& x, const std::vector<std::int64_t>& batch_sizes,
                                                  const std::vector<Tensor>& init);
  // Each state as (D·layers, N, ·) from the caller's (checked: all or none, shape, dtype).
  std::vector<Tensor> initial_states(const std::vector<Tensor>& initial, const std::vector<const char*>& names,
                                     const Tensor& input, std::int64_t N, bool batched) const;
  Generator* generator_ = nullptr;
};

/// Base of RNNCell, LSTMCell and GRUCell: weight_ih (G·H, in), weight_hh (G·H, H), bias_ih,
/// bias_hh (G·H), all U(−1/√H, 1/√H), and the checks of one step's input and states.
class RNNCellBase : public Module {
 public:
  std::string extra_repr() const override;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 protected:
  template <typename O>
  RNNCellBase(const char* name, const RNNCellOptionsBase<O>& o, std::int64_t gates)
      : RNNCellBase(name, o.input_size(), o.hidden_size(), o.bias(), gates) {}
  RNNCellBase(const char* name, std::int64_t input_size, std::int64_t hidden_size, bool bias, std::int64_t gates);

  /// Checks input ((N, in) or unbatched (in)) and the states (named `names`; all given or all
  /// undefined → zeros; each (N, H) / (H), input's dtype). Returns the states as (N, H) (an
  /// unbatched step is a batch of one); `batched` tells the caller how to shape its result.
  std::vector<Tensor> check_step(const Tensor& input, const std::vector<Tensor>& states,
                                 const std::vector<const char*>& names, bool& batched) const;
  /// input as (N, in).
  static Tensor as_batch(const Tensor& input, bool batched);
  /// A (N, H) result back to the caller's layout.
  static Tensor from_batch(const Tensor& out, bool batched);

  const char* name_;
  std::int64_t input_size_, hidden_size_;
};

/// Throws "<module>: input_size and hidden_size must be positive …" for non-positive sizes.
void check_recurrent_sizes(const char* module, std::int64_t input_size, std::int64_t hidden_size);

}  // namespace xg::nn
