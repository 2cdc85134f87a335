#include "nn/rnn.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_linalg.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_recurrent.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "autograd/ops_unary.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {
Tensor activate(const Tensor& x, Nonlinearity nl) { return nl == kTanh ? tanh(x) : relu(x); }
const char* nonlinearity_name(Nonlinearity nl) { return nl == kTanh ? "tanh" : "relu"; }

void check_nonlinearity(const char* module, Nonlinearity nl) {
  if (nl != kTanh && nl != kReLU)
    throw std::invalid_argument(std::string(module) + ": unknown nonlinearity " + std::to_string(static_cast<int>(nl)) +
                                " (expected kTanh or kReLU)");
}
}  // namespace

RNN::RNN(const RNNOptions& o)
    : Module("RNN"),
      options_(o),
      stack_{"RNN", o.input_size_, o.hidden_size_, o.num_layers_, o.bias_, o.batch_first_, o.bidirectional_, o.dropout_} {
  stack_.check_options();
  check_nonlinearity("RNN", o.nonlinearity_);
  weights_ = stack_.register_weights(*this, 1);
}

const RNN::LayerWeights& RNN::weights(std::int64_t layer, std::int64_t direction) const {
  const std::int64_t D = stack_.directions();
  if (layer < 0 || layer >= options_.num_layers_ || direction < 0 || direction >= D)
    throw std::invalid_argument("RNN::weights: no layer " + std::to_string(layer) + " direction " +
                                std::to_string(direction));
  return weights_[static_cast<std::size_t>(layer * D + direction)];
}

// x (L, N, in) → outputs (L, N, H) for one direction; h_last receives h at the final step.
Tensor RNN::run_direction(const Tensor& x, const Tensor& h0, const LayerWeights& w, bool reverse,
                          Tensor& h_last) const {
  const std::int64_t L = x.size(0), N = x.size(1), H = options_.hidden_size_;
  // The input projection of all steps is one matmul; only the recurrence is per step.
  // Both biases are folded into it: b_ih + b_hh is summed once (H elements) and pre-filled by the
  // gemm, instead of an extra pass over all T·N rows forward and backward.
  const Tensor bias = w.bias_ih.defined() ? add(w.bias_ih, w.bias_hh) : Tensor();
  Tensor projected = linear(reshape(x, {L * N, x.size(2)}), w.weight_ih, bias);
  // unbind, not a select per step: its backward fills one shared gradient buffer, where T selects
  // would each build and add a full-size gradient (O(T²) in the sequence length).
  const std::vector<Tensor> inputs = unbind(reshape(projected, {L, N, H}), 0);
  std::vector<Tensor> steps(static_cast<std::size_t>(L));
  const RecurrentWeight recurrent(w.weight_hh);  // its gradient: one gemm over all steps
  Tensor h = h0;
  for (std::int64_t i = 0; i < L; ++i) {
    const std::int64_t t = reverse ? L - 1 - i : i;
    h = activate(recurrent.add_product(inputs[static_cast<std::size_t>(t)], h), options_.nonlinearity_);
    steps[static_cast<std::size_t>(t)] = h;
  }
  h_last = h;
  return stack(steps, 0);
}

std::pair<Tensor, Tensor> RNN::forward(const Tensor& input, const Tensor& h0) {
  check_input_dtype("RNN", input, weights_[0].weight_ih);
  auto [output, states] = stack_.forward(input, {h0}, {"h_0"}, is_training(), generator_,
                                         [this](const Tensor& x, std::size_t k, bool reverse, std::vector<Tensor>& h) {
                                           return run_direction(x, h[0], weights_[k], reverse, h[0]);
                                         });
  return {output, states[0]};
}

std::string RNN::extra_repr() const {
  std::string s = stack_.repr();
  if (options_.nonlinearity_ != kTanh) s += std::string(", nonlinearity='") + nonlinearity_name(options_.nonlinearity_) + "'";
  return s;
}

// ---- RNNCell ---------------------------------------------------------------------------

RNNCell::RNNCell(std::int64_t in, std::int64_t hidden, bool bias, Nonlinearity nl)
    : Module("RNNCell"), input_size(in), hidden_size(hidden), nonlinearity(nl) {
  check_cell_sizes("RNNCell", in, hidden);
  check_nonlinearity("RNNCell", nl);
  weight_ih = register_parameter("weight_ih", empty({hidden, in}));
  weight_hh = register_parameter("weight_hh", empty({hidden, hidden}));
  if (bias) {
    bias_ih = register_parameter("bias_ih", empty({hidden}));
    bias_hh = register_parameter("bias_hh", empty({hidden}));
  }
  for (Tensor& p : parameters()) init::linear_uniform_(p, hidden);
}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hidden) {
  if (!input.defined()) throw std::invalid_argument("RNNCell: input is undefined");
  check_input_dtype("RNNCell", input, weight_ih);
  if (input.dim() != 1 && input.dim() != 2)
    throw std::invalid_argument("RNNCell: expected input to be 1-D or 2-D, got shape " + shape_str(input.shape()));
  if (input.size(-1) != input_size)
    throw std::invalid_argument("RNNCell: expected input size " + std::to_string(input_size) + ", got " +
                                std::to_string(input.size(-1)));
  const bool batched = input.dim() == 2;
  const Shape expected = batched ? Shape{input.size(0), hidden_size} : Shape{hidden_size};
  Tensor h = hidden.defined() ? hidden : zeros(expected, input.dtype());
  if (h.shape() != expected)
    throw std::invalid_argument("RNNCell: expected hidden of shape " + shape_str(expected) + ", got " +
                                shape_str(h.shape()));
  Tensor pre = add(linear(input, weight_ih, bias_ih), linear(h, weight_hh, bias_hh));
  return activate(pre, nonlinearity);
}

std::string RNNCell::extra_repr() const {
  std::string s = std::to_string(input_size) + ", " + std::to_string(hidden_size);
  if (!bias_ih.defined()) s += ", bias=False";
  if (nonlinearity != kTanh) s += std::string(", nonlinearity='") + nonlinearity_name(nonlinearity) + "'";
  return s;
}

}  // namespace xg::nn
