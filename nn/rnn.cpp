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
#include "autograd/ops_unbind.hpp"
#include "autograd/ops_unary.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {
Tensor activate(const Tensor& x, Nonlinearity nl) { return nl == kTanh ? tanh(x) : relu(x); }
const char* nonlinearity_name(Nonlinearity nl) { return nl == kTanh ? "tanh" : "relu"; }

void check_sizes(const char* module, std::int64_t input_size, std::int64_t hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    throw std::invalid_argument(std::string(module) + ": input_size and hidden_size must be positive, got input_size = " +
                                std::to_string(input_size) + ", hidden_size = " + std::to_string(hidden_size));
}

void check_nonlinearity(const char* module, Nonlinearity nl) {
  if (nl != kTanh && nl != kReLU)
    throw std::invalid_argument(std::string(module) + ": unknown nonlinearity " + std::to_string(static_cast<int>(nl)) +
                                " (expected kTanh or kReLU)");
}
}  // namespace

RNN::RNN(const RNNOptions& options) : Module("RNN"), options_(options) {
  check_sizes("RNN", options.input_size_, options.hidden_size_);
  check_nonlinearity("RNN", options.nonlinearity_);
  if (options.num_layers_ < 1)
    throw std::invalid_argument("RNN: num_layers must be at least 1, got " + std::to_string(options.num_layers_));
  if (!(options.dropout_ >= 0 && options.dropout_ <= 1))
    throw std::invalid_argument("RNN: dropout must be a probability in [0, 1], got " + std::to_string(options.dropout_));
  const std::int64_t H = options.hidden_size_;
  const std::int64_t D = options.bidirectional_ ? 2 : 1;
  for (std::int64_t layer = 0; layer < options.num_layers_; ++layer) {
    for (std::int64_t dir = 0; dir < D; ++dir) {
      const std::string suffix = "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
      const std::int64_t in = layer == 0 ? options.input_size_ : D * H;
      LayerWeights w;
      w.weight_ih = register_parameter("weight_ih" + suffix, empty({H, in}));
      w.weight_hh = register_parameter("weight_hh" + suffix, empty({H, H}));
      if (options.bias_) {
        w.bias_ih = register_parameter("bias_ih" + suffix, empty({H}));
        w.bias_hh = register_parameter("bias_hh" + suffix, empty({H}));
      }
      weights_.push_back(w);
    }
  }
  // PyTorch's reset_parameters: every parameter U(−1/√H, 1/√H), in registration order.
  for (Tensor& p : parameters()) init::linear_uniform_(p, H);
}

const RNN::LayerWeights& RNN::weights(std::int64_t layer, std::int64_t direction) const {
  const std::int64_t D = options_.bidirectional_ ? 2 : 1;
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
  // Both biases are folded into it (b_ih + b_hh is added once per step either way).
  Tensor projected = linear(reshape(x, {L * N, x.size(2)}), w.weight_ih, w.bias_ih);
  if (w.bias_hh.defined()) projected = add(projected, w.bias_hh);
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
  const RNNOptions& o = options_;
  const std::int64_t D = o.bidirectional_ ? 2 : 1, H = o.hidden_size_;
  if (!input.defined()) throw std::invalid_argument("RNN: input is undefined");
  if (input.dim() != 2 && input.dim() != 3)
    throw std::invalid_argument("RNN: expected input to be 2-D (unbatched) or 3-D (batched), got " +
                                std::to_string(input.dim()) + "-D input of shape " + shape_str(input.shape()));
  if (input.size(-1) != o.input_size_)
    throw std::invalid_argument("RNN: expected input size " + std::to_string(o.input_size_) + ", got " +
                                std::to_string(input.size(-1)) + " (input shape " + shape_str(input.shape()) + ")");
  const bool batched = input.dim() == 3;
  // Work in (L, N, features).
  Tensor x = batched ? (o.batch_first_ ? transpose(input, 0, 1) : input) : unsqueeze(input, 1);
  const std::int64_t L = x.size(0), N = x.size(1);
  if (L == 0) throw std::invalid_argument("RNN: input has zero time steps (shape " + shape_str(input.shape()) + ")");

  Shape expected_h0 = batched ? Shape{D * o.num_layers_, N, H} : Shape{D * o.num_layers_, H};
  Tensor h_init;
  if (h0.defined()) {
    if (h0.shape() != expected_h0)
      throw std::invalid_argument("RNN: expected h_0 of shape " + shape_str(expected_h0) + " (num_layers·directions = " +
                                  std::to_string(D * o.num_layers_) + ", batch " + std::to_string(N) + ", hidden " +
                                  std::to_string(H) + "), got " + shape_str(h0.shape()));
    if (h0.dtype() != input.dtype())
      throw std::invalid_argument(std::string("RNN: h_0 is ") + dtype_name(h0.dtype()) + " but input is " +
                                  dtype_name(input.dtype()));
    h_init = batched ? h0 : unsqueeze(h0, 1);
  } else {
    h_init = zeros({D * o.num_layers_, N, H}, input.dtype());
  }

  std::vector<Tensor> h_n(static_cast<std::size_t>(D * o.num_layers_));
  Tensor layer_input = x;
  for (std::int64_t layer = 0; layer < o.num_layers_; ++layer) {
    std::vector<Tensor> outputs;
    for (std::int64_t dir = 0; dir < D; ++dir) {
      const std::size_t k = static_cast<std::size_t>(layer * D + dir);
      outputs.push_back(run_direction(layer_input, select(h_init, 0, static_cast<std::int64_t>(k)), weights_[k],
                                      dir == 1, h_n[k]));
    }
    layer_input = D == 1 ? outputs[0] : cat(outputs, 2);
    if (o.dropout_ > 0 && is_training() && layer + 1 < o.num_layers_)
      layer_input = dropout(layer_input, o.dropout_, true, generator_ ? *generator_ : default_generator());
  }
  Tensor output = layer_input;
  Tensor hidden = stack(h_n, 0);
  if (!batched) {
    output = squeeze(output, 1);
    hidden = squeeze(hidden, 1);
  } else if (o.batch_first_) {
    output = transpose(output, 0, 1);
  }
  return {output, hidden};
}

std::string RNN::extra_repr() const {
  const RNNOptions& o = options_;
  std::string s = std::to_string(o.input_size_) + ", " + std::to_string(o.hidden_size_);
  if (o.num_layers_ != 1) s += ", num_layers=" + std::to_string(o.num_layers_);
  if (o.nonlinearity_ != kTanh) s += std::string(", nonlinearity='") + nonlinearity_name(o.nonlinearity_) + "'";
  if (!o.bias_) s += ", bias=False";
  if (o.batch_first_) s += ", batch_first=True";
  if (o.dropout_ != 0) s += ", dropout=" + std::to_string(o.dropout_);
  if (o.bidirectional_) s += ", bidirectional=True";
  return s;
}

// ---- RNNCell ---------------------------------------------------------------------------

RNNCell::RNNCell(std::int64_t in, std::int64_t hidden, bool bias, Nonlinearity nl)
    : Module("RNNCell"), input_size(in), hidden_size(hidden), nonlinearity(nl) {
  check_sizes("RNNCell", in, hidden);
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
