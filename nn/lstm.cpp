#include "nn/lstm.hpp"

#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/simd.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_linalg.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_recurrent.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "autograd/ops_unary.hpp"

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
  if (needs_grad({&gates, &c})) {
    record(c_next, "lstm_cell_state", {gates, c}, [act, c = detail::save_for_backward(c), gates = detail::save_for_backward(gates)](const Tensor& g) {
      const std::int64_t N = c.size(0), H = c.size(1);
      if (is_grad_enabled()) {
        // create_graph: recorded, the activations recomputed from the (re-attached) gates.
        Tensor i = sigmoid(narrow(gates, 1, 0, H)), f = sigmoid(narrow(gates, 1, H, H));
        Tensor cand = tanh(narrow(gates, 1, 2 * H, H));
        Tensor d_i = mul(mul(g, cand), mul(i, rsub(1.0, i)));
        Tensor d_f = mul(mul(g, c), mul(f, rsub(1.0, f)));
        Tensor d_cand = mul(mul(g, i), rsub(1.0, mul(cand, cand)));
        return std::vector<Tensor>{cat({d_i, d_f, d_cand, zeros({N, H}, g.dtype())}, 1), mul(g, f)};
      }
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
  }
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
  if (needs_grad({&gates, &c_next})) {
    record(h, "lstm_hidden", {gates, c_next}, [act, tanh_c, gates = detail::save_for_backward(gates), c_next = detail::save_for_backward(c_next)](const Tensor& g) {
      const std::int64_t N = tanh_c.size(0), H = tanh_c.size(1);
      if (is_grad_enabled()) {  // create_graph: recorded from the re-attached gates and c'
        Tensor o = sigmoid(narrow(gates, 1, 3 * H, H)), tc = tanh(c_next);
        Tensor d_o = mul(mul(g, tc), mul(o, rsub(1.0, o)));
        return std::vector<Tensor>{cat({zeros({N, 3 * H}, g.dtype()), d_o}, 1), mul(mul(g, o), rsub(1.0, mul(tc, tc)))};
      }
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
  }
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

LSTM::LSTM(const LSTMOptions& o) : RNNBase("LSTM", checked_geometry(o), 4), options_(o) {}

RNNBase::Geometry LSTM::checked_geometry(const LSTMOptions& o) {
  // PyTorch's checks: proj_size ≥ 0 and, when used, smaller than hidden_size.
  if (o.proj_size() < 0)
    throw std::invalid_argument("LSTM: proj_size must be a positive integer or 0 (no projection), got " +
                                std::to_string(o.proj_size()));
  if (o.proj_size() > 0 && o.proj_size() >= o.hidden_size())
    throw std::invalid_argument("LSTM: proj_size (" + std::to_string(o.proj_size()) +
                                ") must be smaller than hidden_size (" + std::to_string(o.hidden_size()) + ")");
  return shape_of(o, o.proj_size());
}

// x (rows, in) → outputs (rows, P) for one direction (P = proj_size or H); hc = {h, c} is replaced
// by each sequence's final states.
Tensor LSTM::run_direction(const Tensor& x, const std::vector<std::int64_t>& batch_sizes, const LayerWeights& w,
                           bool reverse, std::vector<Tensor>& hc) const {
  const std::int64_t L = static_cast<std::int64_t>(batch_sizes.size());
  // One matmul projects every step's input; both biases are folded into it.
  Tensor projected = linear(x, w.weight_ih, w.bias_ih);
  if (w.bias_hh.defined()) projected = add(projected, w.bias_hh);
  const std::vector<Tensor> inputs = split_steps(projected, batch_sizes);
  std::vector<Tensor> steps(static_cast<std::size_t>(L));
  const RecurrentWeight recurrent(w.weight_hh);  // ∂L/∂W_hh summed over the steps in one gemm
  StepStates fit(batch_sizes, reverse, hc);  // packed batches: only the running rows take a step
  for (std::int64_t i = 0; i < L; ++i) {
    const std::size_t t = static_cast<std::size_t>(reverse ? L - 1 - i : i);
    fit.enter(static_cast<std::int64_t>(t));
    std::tie(hc[0], hc[1]) = lstm_step(recurrent.add_product(inputs[t], hc[0]), hc[1]);
    if (w.weight_hr.defined()) hc[0] = linear(hc[0], w.weight_hr, Tensor());  // h = (o ⊙ tanh c) W_hrᵀ
    steps[t] = hc[0];
  }
  fit.finish();
  return join_steps(steps, batch_sizes);
}

std::pair<Tensor, LSTM::State> LSTM::forward(const Tensor& input, const State& state) {
  auto [output, states] = run(input, {state.first, state.second}, {"h_0", "c_0"});
  return {output, {states[0], states[1]}};
}

std::pair<LSTM::PackedSequence, LSTM::State> LSTM::forward(const PackedSequence& input, const State& state) {
  auto [output, states] = run(input, {state.first, state.second}, {"h_0", "c_0"});
  return {output, {states[0], states[1]}};
}

// ---- LSTMCell --------------------------------------------------------------------------

LSTMCell::LSTMCell(const LSTMCellOptions& o) : RNNCellBase("LSTMCell", o, 4), options_(o) {}

std::pair<Tensor, Tensor> LSTMCell::forward(const Tensor& input, const std::pair<Tensor, Tensor>& state) {
  bool batched = false;
  const std::vector<Tensor> hc = check_step(input, {state.first, state.second}, {"h", "c"}, batched);
  const Tensor gates = add(linear(as_batch(input, batched), weight_ih, bias_ih), linear(hc[0], weight_hh, bias_hh));
  auto [h_next, c_next] = lstm_step(gates, hc[1]);
  return {from_batch(h_next, batched), from_batch(c_next, batched)};
}

}  // namespace xg::nn
