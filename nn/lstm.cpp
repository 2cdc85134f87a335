#include "nn/lstm.hpp"

#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/simd.hpp"
#include "autograd/node.hpp"
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
// The gate nonlinearities are fused into two recorded ops per step (instead of a chunk into four
// copies and eleven elementwise nodes); each is checked by gradcheck and by the PyTorch parity
// fixtures in tests/test_nn_lstm_gru.cpp.

// act = [σ(i) σ(f) tanh(g) σ(o)] row by row, from gates (N, 4H).
template <typename T>
void activate_gates(const T* gates, T* act, std::int64_t N, std::int64_t H) {
  auto sig = [](const auto& v) {
    using Batch = std::decay_t<decltype(v)>;
    return Batch(1) / (Batch(1) + xsimd::exp(-v));
  };
  auto tanh_batch = [](const auto& v) { return xsimd::tanh(v); };
  for (std::int64_t n = 0; n < N; ++n) {
    const T* in = gates + n * 4 * H;
    T* out = act + n * 4 * H;
    detail::simd_map(in, out, 2 * H, sig);
    detail::simd_map(in + 2 * H, out + 2 * H, H, tanh_batch);
    detail::simd_map(in + 3 * H, out + 3 * H, H, sig);
  }
}

// c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), gates (N, 4H), c (N, H) → (N, H). `act` receives the activated
// gates (a fresh tensor outside the graph), which lstm_hidden reuses.
Tensor lstm_cell_state(const Tensor& gates, const Tensor& c, Tensor& act) {
  const std::int64_t N = c.size(0), H = c.size(1);
  act = empty({N, 4 * H}, gates.dtype());
  Tensor c_next = empty({N, H}, gates.dtype());
  detail::dispatch_floating("LSTM", gates.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* cp = c.data<T>();
    T* a = act.data<T>();
    T* out = c_next.data<T>();
    activate_gates(gates.data<T>(), a, N, H);
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t j = 0; j < H; ++j) {
        const T* row = a + n * 4 * H;
        out[n * H + j] = row[H + j] * cp[n * H + j] + row[j] * row[2 * H + j];
      }
  });
  if (needs_grad({&gates, &c}))
    record(c_next, "lstm_cell_state", {gates, c}, [act, c = c.detach()](const Tensor& g) {
      const std::int64_t N = c.size(0), H = c.size(1);
      std::vector<Tensor> grads{empty({N, 4 * H}, g.dtype()), empty({N, H}, g.dtype())};
      detail::dispatch_floating("lstm_cell_state_backward", g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *gp = g.data<T>(), *a = act.data<T>(), *cp = c.data<T>();
        T *dg = grads[0].data<T>(), *dc = grads[1].data<T>();
        for (std::int64_t n = 0; n < N; ++n)
          for (std::int64_t j = 0; j < H; ++j) {
            const std::int64_t k = n * H + j, r = n * 4 * H + j;
            const T i = a[r], f = a[r + H], gg = a[r + 2 * H];
            dg[r] = gp[k] * gg * i * (1 - i);
            dg[r + H] = gp[k] * cp[k] * f * (1 - f);
            dg[r + 2 * H] = gp[k] * i * (1 - gg * gg);
            dg[r + 3 * H] = 0;
            dc[k] = gp[k] * f;
          }
      });
      return grads;
    });
  return c_next;
}

// h' = σ(o) ⊙ tanh(c'), with σ(o) taken from lstm_cell_state's `act`; gates (N, 4H) is the
// input the o-gradient flows to.
Tensor lstm_hidden(const Tensor& gates, const Tensor& c_next, const Tensor& act) {
  const std::int64_t N = c_next.size(0), H = c_next.size(1);
  Tensor tanh_c = empty({N, H}, c_next.dtype()), h = empty({N, H}, c_next.dtype());
  detail::dispatch_floating("LSTM", c_next.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T *tc = tanh_c.data<T>(), *out = h.data<T>();
    detail::simd_map(c_next.data<T>(), tc, N * H, [](const auto& v) { return xsimd::tanh(v); });
    const T* a = act.data<T>();
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t j = 0; j < H; ++j) out[n * H + j] = a[n * 4 * H + 3 * H + j] * tc[n * H + j];
  });
  if (needs_grad({&gates, &c_next}))
    record(h, "lstm_hidden", {gates, c_next}, [act, tanh_c](const Tensor& g) {
      const std::int64_t N = tanh_c.size(0), H = tanh_c.size(1);
      std::vector<Tensor> grads{zeros({N, 4 * H}, g.dtype()), empty({N, H}, g.dtype())};
      detail::dispatch_floating("lstm_hidden_backward", g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *gp = g.data<T>(), *a = act.data<T>(), *tc = tanh_c.data<T>();
        T *dg = grads[0].data<T>(), *dc = grads[1].data<T>();
        for (std::int64_t n = 0; n < N; ++n)
          for (std::int64_t j = 0; j < H; ++j) {
            const std::int64_t k = n * H + j, r = n * 4 * H + 3 * H + j;
            const T o = a[r];
            dg[r] = gp[k] * tc[k] * o * (1 - o);
            dc[k] = gp[k] * o * (1 - tc[k] * tc[k]);
          }
      });
      return grads;
    });
  return h;
}

// One step given the gate pre-activations (N, 4H) in PyTorch's order i, f, g, o → {h', c'}.
std::pair<Tensor, Tensor> lstm_step(const Tensor& gates, const Tensor& c) {
  if (gates.dtype() != c.dtype())
    throw std::invalid_argument(std::string("LSTM: cell state is ") + dtype_name(c.dtype()) + " but the gates are " +
                                dtype_name(gates.dtype()));
  Tensor act;
  Tensor c_next = lstm_cell_state(gates, c, act);
  return {lstm_hidden(gates, c_next, act), c_next};
}
}  // namespace

LSTM::LSTM(const LSTMOptions& o)
    : Module("LSTM"),
      options_(o),
      stack_{"LSTM", o.input_size_, o.hidden_size_, o.num_layers_, o.bias_, o.batch_first_, o.bidirectional_, o.dropout_} {
  stack_.check_options();
  if (o.proj_size_ < 0)
    throw std::invalid_argument("LSTM: proj_size must be 0 (no projection), got " + std::to_string(o.proj_size_));
  if (o.proj_size_ > 0)
    throw std::invalid_argument("LSTM: proj_size is not supported (got proj_size = " + std::to_string(o.proj_size_) +
                                "; leave it 0)");
  weights_ = stack_.register_weights(*this, 4);
}

const LSTM::LayerWeights& LSTM::weights(std::int64_t layer, std::int64_t direction) const {
  const std::int64_t D = stack_.directions();
  if (layer < 0 || layer >= options_.num_layers_ || direction < 0 || direction >= D)
    throw std::invalid_argument("LSTM::weights: no layer " + std::to_string(layer) + " direction " +
                                std::to_string(direction));
  return weights_[static_cast<std::size_t>(layer * D + direction)];
}

// x (L, N, in) → outputs (L, N, H) for one direction; `last` receives {h, c} at the final step.
Tensor LSTM::run_direction(const Tensor& x, const State& init, const LayerWeights& w, bool reverse,
                           State& last) const {
  const std::int64_t L = x.size(0), N = x.size(1), H = options_.hidden_size_;
  // One matmul projects every step's input; both biases are folded into it.
  Tensor projected = linear(reshape(x, {L * N, x.size(2)}), w.weight_ih, w.bias_ih);
  if (w.bias_hh.defined()) projected = add(projected, w.bias_hh);
  const std::vector<Tensor> inputs = unbind(reshape(projected, {L, N, 4 * H}), 0);
  std::vector<Tensor> steps(static_cast<std::size_t>(L));
  const RecurrentWeight recurrent(w.weight_hh);  // ∂L/∂W_hh summed over the steps in one gemm
  Tensor h = init.first, c = init.second;
  for (std::int64_t i = 0; i < L; ++i) {
    const std::size_t t = static_cast<std::size_t>(reverse ? L - 1 - i : i);
    std::tie(h, c) = lstm_step(recurrent.add_product(inputs[t], h), c);
    steps[t] = h;
  }
  last = {h, c};
  return stack(steps, 0);
}

std::pair<Tensor, LSTM::State> LSTM::forward(const Tensor& input, const State& state) {
  check_input_dtype("LSTM", input, weights_[0].weight_ih);
  auto [output, states] =
      stack_.forward(input, {state.first, state.second}, {"h_0", "c_0"}, is_training(), generator_,
                     [this](const Tensor& x, std::size_t k, bool reverse, std::vector<Tensor>& hc) {
                       State last;
                       Tensor out = run_direction(x, {hc[0], hc[1]}, weights_[k], reverse, last);
                       hc = {last.first, last.second};
                       return out;
                     });
  return {output, {states[0], states[1]}};
}

std::string LSTM::extra_repr() const { return stack_.repr(); }

// ---- LSTMCell --------------------------------------------------------------------------

LSTMCell::LSTMCell(std::int64_t in, std::int64_t hidden, bool bias)
    : Module("LSTMCell"), input_size(in), hidden_size(hidden) {
  check_cell_sizes("LSTMCell", in, hidden);
  weight_ih = register_parameter("weight_ih", empty({4 * hidden, in}));
  weight_hh = register_parameter("weight_hh", empty({4 * hidden, hidden}));
  if (bias) {
    bias_ih = register_parameter("bias_ih", empty({4 * hidden}));
    bias_hh = register_parameter("bias_hh", empty({4 * hidden}));
  }
  for (Tensor& p : parameters()) init::linear_uniform_(p, hidden);
}

std::pair<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const std::pair<Tensor, Tensor>& state) {
  if (!input.defined()) throw std::invalid_argument("LSTMCell: input is undefined");
  check_input_dtype("LSTMCell", input, weight_ih);
  if (input.dim() != 1 && input.dim() != 2)
    throw std::invalid_argument("LSTMCell: expected input to be 1-D or 2-D, got shape " + shape_str(input.shape()));
  if (input.size(-1) != input_size)
    throw std::invalid_argument("LSTMCell: expected input size " + std::to_string(input_size) + ", got " +
                                std::to_string(input.size(-1)));
  const auto& [h0, c0] = state;
  if (h0.defined() != c0.defined())
    throw std::invalid_argument(std::string("LSTMCell: h and c must both be given or both be omitted (got only ") +
                                (h0.defined() ? "h" : "c") + ")");
  const bool batched = input.dim() == 2;
  const Shape expected = batched ? Shape{input.size(0), hidden_size} : Shape{hidden_size};
  Tensor h = h0.defined() ? h0 : zeros(expected, input.dtype());
  Tensor c = c0.defined() ? c0 : h;
  if (h.shape() != expected)
    throw std::invalid_argument("LSTMCell: expected h of shape " + shape_str(expected) + ", got " + shape_str(h.shape()));
  if (c.shape() != expected)
    throw std::invalid_argument("LSTMCell: expected c of shape " + shape_str(expected) + ", got " + shape_str(c.shape()));
  auto check_dtype = [&input](const char* name, const Tensor& state) {
    if (state.dtype() != input.dtype())
      throw std::invalid_argument(std::string("LSTMCell: ") + name + " is " + dtype_name(state.dtype()) +
                                  " but input is " + dtype_name(input.dtype()));
  };
  check_dtype("h", h);
  check_dtype("c", c);
  const Shape batch_shape{batched ? input.size(0) : 1, 4 * hidden_size};
  Tensor gates = add(linear(input, weight_ih, bias_ih), linear(h, weight_hh, bias_hh));
  auto [h_next, c_next] = lstm_step(reshape(gates, batch_shape), batched ? c : unsqueeze(c, 0));
  if (!batched) return {squeeze(h_next, 0), squeeze(c_next, 0)};
  return {h_next, c_next};
}

std::string LSTMCell::extra_repr() const {
  std::string s = std::to_string(input_size) + ", " + std::to_string(hidden_size);
  if (!bias_ih.defined()) s += ", bias=False";
  return s;
}

}  // namespace xg::nn
