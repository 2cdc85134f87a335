#include "nn/rnn.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops_binary.hpp"
#include "autograd/ops_linalg.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_recurrent.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "autograd/ops_unary.hpp"

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

RNN::RNN(const RNNOptions& o) : RNNBase("RNN", shape_of(o), 1), options_(o) {
  check_nonlinearity("RNN", o.nonlinearity());
}

// x (rows, in) → outputs (rows, H) for one direction; h[0] is replaced by each sequence's final h.
Tensor RNN::run_direction(const Tensor& x, const std::vector<std::int64_t>& batch_sizes, const LayerWeights& w,
                          bool reverse, std::vector<Tensor>& h) const {
  const std::int64_t L = static_cast<std::int64_t>(batch_sizes.size());
  // The input projection of all steps is one matmul; only the recurrence is per step.
  // Both biases are folded into it: b_ih + b_hh is summed once (H elements) and pre-filled by the
  // gemm, instead of an extra pass over all T·N rows forward and backward.
  const Tensor bias = w.bias_ih.defined() ? add(w.bias_ih, w.bias_hh) : Tensor();
  // unbind/split, not a narrow per step: their backward fills one shared gradient buffer, where T
  // narrows would each build and add a full-size gradient (O(T²) in the sequence length).
  const std::vector<Tensor> inputs = split_steps(linear(x, w.weight_ih, bias), batch_sizes);
  std::vector<Tensor> steps(static_cast<std::size_t>(L));
  const RecurrentWeight recurrent(w.weight_hh);  // its gradient: one gemm over all steps
  const Nonlinearity nl = options_.nonlinearity();
  StepStates fit(batch_sizes, reverse, h);  // packed batches: only the running rows take a step
  for (std::int64_t i = 0; i < L; ++i) {
    const std::int64_t t = reverse ? L - 1 - i : i;
    fit.enter(t);
    h[0] = activate(recurrent.add_product(inputs[static_cast<std::size_t>(t)], h[0]), nl);
    steps[static_cast<std::size_t>(t)] = h[0];
  }
  fit.finish();
  return join_steps(steps, batch_sizes);
}

std::pair<Tensor, Tensor> RNN::forward(const Tensor& input, const Tensor& h0) {
  auto [output, states] = run(input, {h0}, {"h_0"});
  return {output, states[0]};
}

std::pair<RNN::PackedSequence, Tensor> RNN::forward(const PackedSequence& input, const Tensor& h0) {
  auto [output, states] = run(input, {h0}, {"h_0"});
  return {output, states[0]};
}

std::string RNN::extra_repr() const {
  std::string s = RNNBase::extra_repr();
  if (options_.nonlinearity() != kTanh)
    s += std::string(", nonlinearity='") + nonlinearity_name(options_.nonlinearity()) + "'";
  return s;
}

// ---- RNNCell ---------------------------------------------------------------------------

RNNCell::RNNCell(const RNNCellOptions& o) : RNNCellBase("RNNCell", o, 1), options_(o) {
  check_nonlinearity("RNNCell", o.nonlinearity());
}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hidden) {
  bool batched = false;
  const Tensor h = check_step(input, {hidden}, {"hidden"}, batched)[0];
  const Tensor pre = add(linear(as_batch(input, batched), weight_ih, bias_ih), linear(h, weight_hh, bias_hh));
  return from_batch(activate(pre, options_.nonlinearity()), batched);
}

std::string RNNCell::extra_repr() const {
  std::string s = RNNCellBase::extra_repr();
  if (options_.nonlinearity() != kTanh)
    s += std::string(", nonlinearity='") + nonlinearity_name(options_.nonlinearity()) + "'";
  return s;
}

}  // namespace xg::nn
