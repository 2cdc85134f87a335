// The oneDNN peer of bench/char_rnn_throughput.cpp: the same model, step, data shapes, timing and
// JSON line, with oneDNN's fused whole-sequence RNN primitives (Debian's libdnnl-dev 2.6.3):
//   Embedding(V, E) → RNN/LSTM/GRU(E, H, L) → Linear(H, V) → cross_entropy → backward
//   → clip_grad_norm_(5) → Adam(2e-3)
//
//   onednn_char_rnn --hidden 512 --layers 2 --batch 32 --seq 100 --steps 20 --threads 2 [--model lstm]
//   onednn_char_rnn --check     (gradients of the recurrent primitives against a naive loop)
//
// What runs where:
// - The recurrent layers: oneDNN's vanilla_rnn (tanh), lstm and lbr_gru (the linear-before-reset
//   GRU, which is PyTorch's nn.GRU; oneDNN's plain `gru` applies the reset gate before the product
//   and is a different model) forward_training + backward primitives, f32, workspace kept between
//   them. oneDNN needs the same input width for every layer of one primitive, so layer 0 (E → H) is
//   one primitive and layers 1..L-1 (H → H) a second, stacked one.
// - The Linear head: oneDNN's inner_product forward / backward_data / backward_weights.
// - Written by hand in plain loops (OpenMP over rows or elements): the embedding gather and its
//   scatter-add gradient, softmax + cross-entropy, the gradient-norm clip and Adam. They touch
//   O(T·B·V + parameters) numbers per step against O(T·B·H²) for the recurrence, so they are a small
//   part of the step (measured with section timers, 1 thread: 12–13 % at H = 128 B = 1, under 2 %
//   at H = 512 B = 32).
// The way a performance-minded oneDNN user writes a training loop: every primitive and memory is
// created once, before the loop; primitives are created with format_tag::any for weights and diff
// weights so oneDNN picks its layouts; each weight lives in the layout its forward primitive chose
// and its gradient is brought into that same layout, so clipping and Adam (elementwise) run on the
// primitives' own buffers; the only per-step reorders are those a layout choice forces (`Relayout`:
// on AVX2 the RNN backward wants the weights transposed, ldgoi, while the forward keeps ldigo,
// padding its leading dimension at some sizes (LSTM at H = 128); the head's backward_data wants its
// weights transposed).
// oneDNN's parameters: one bias per gate instead of PyTorch's b_ih + b_hh (their sum is all that
// matters; GRU keeps the separate hidden bias of the n gate as its 4th bias), the same weights.
//
// Two oneDNN 2.6.3 pitfalls this program avoids:
// - With the initial-state argument omitted (a zero memory descriptor, which the documentation says
//   means "h₀ = 0"), the backward primitive returns wrong recurrent-weight gradients for tanh RNN and
//   LSTM. So every primitive gets explicit zero src_iter (and src_iter_c) memories. `--check` shows
//   both: the explicit-zeros path within tolerance, the omitted-state path not.
// - The backward primitive adds to diff_weights / diff_bias (2.x has no overwrite flag), so they are
//   zeroed before every backward, like PyTorch's zero_grad.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "../throughput_harness.hpp"
#include "onednn_rnn_reference.hpp"

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;
using ref::Cell;

float* data_of(const memory& m) { return static_cast<float*>(m.get_data_handle()); }
std::size_t count_of(const memory& m) { return m.get_desc().get_size() / sizeof(float); }
void zero(const memory& m) { std::memset(m.get_data_handle(), 0, m.get_desc().get_size()); }

// A tensor in the layout the step keeps it in (`user`: for a weight, the layout its forward chose)
// and in the layout another primitive chose for it (`prim`). When they agree they are the same
// memory and sync() does nothing; otherwise sync() runs a reorder, user → prim (weights going into
// a backward) or prim → user (gradients coming out of one).
struct Relayout {
  memory user, prim;
  bool copies = false;
  dnnl::reorder copy;
  memory from, to;

  Relayout() = default;
  Relayout(const memory& user_memory, const memory::desc& chosen, const dnnl::engine& eng, bool user_to_prim)
      : user(user_memory), prim(user_memory) {
    if (chosen == user.get_desc()) return;
    prim = memory(chosen, eng);
    copies = true;
    from = user_to_prim ? user : prim;
    to = user_to_prim ? prim : user;
    copy = dnnl::reorder(from, to);
  }
  void sync(dnnl::stream& s) {
    if (copies) copy.execute(s, from, to);
  }
};

memory zeroed(const memory::desc& md, const dnnl::engine& eng) {
  memory m(md, eng);
  zero(m);
  return m;
}

// A tensor's values in the plain layout `plain` (a reorder when its own layout differs), and back.
std::vector<float> read_as(memory m, const memory::desc& plain, const dnnl::engine& eng, dnnl::stream& s) {
  memory tmp(plain, eng);
  dnnl::reorder(m, tmp).execute(s, m, tmp);
  s.wait();
  return std::vector<float>(data_of(tmp), data_of(tmp) + count_of(tmp));
}
void write_as(memory m, const memory::desc& plain, const std::vector<float>& values, const dnnl::engine& eng,
              dnnl::stream& s) {
  memory tmp(plain, eng);
  std::copy(values.begin(), values.end(), data_of(tmp));
  dnnl::reorder(tmp, m).execute(s, tmp, m);
  s.wait();
}

// One oneDNN recurrent primitive pair (forward_training + backward) over `layers` layers of the same
// input width, left to right, h₀ = 0. Owns its parameters and their gradients (weights in the
// forward's layout, biases in ldgo), its output and its input gradient; reads `src_layer` and
// `diff_dst_layer`, which the caller wires.
class RecurrentStack {
 public:
  RecurrentStack(Cell cell, const dnnl::engine& eng, memory::dim T, memory::dim N, memory::dim input,
                 memory::dim hidden, memory::dim layers, const memory& input_layer, bool explicit_zero_state = true)
      : cell_(cell), explicit_state_(explicit_zero_state) {
    src_layer = input_layer;
    const memory::dim G = ref::gate_count(cell), Gb = ref::bias_count(cell);
    const memory::desc w_layer_md({layers, 1, input, G, hidden}, dt::f32, tag::ldigo);
    const memory::desc w_iter_md({layers, 1, hidden, G, hidden}, dt::f32, tag::ldigo);
    const memory::desc bias_md({layers, 1, Gb, hidden}, dt::f32, tag::ldgo);
    const memory::desc any_w_layer({layers, 1, input, G, hidden}, dt::f32, tag::any);
    const memory::desc any_w_iter({layers, 1, hidden, G, hidden}, dt::f32, tag::any);
    const memory::desc src_md({T, N, input}, dt::f32, tag::tnc);
    const memory::desc dst_md({T, N, hidden}, dt::f32, tag::tnc);
    const memory::desc state_md = explicit_state_ ? memory::desc({layers, 1, N, hidden}, dt::f32, tag::ldnc) : memory::desc();
    const memory::desc cstate_md = cell == Cell::lstm ? state_md : memory::desc();
    const memory::desc none;

    plain_w_layer = w_layer_md;
    plain_w_iter = w_iter_md;
    bias = memory(bias_md, eng);
    dbias = memory(bias_md, eng);
    dst_layer = memory(dst_md, eng);
    diff_src_layer = memory(src_md, eng);
    diff_dst_layer = memory(dst_md, eng);

    const auto fwd = dnnl::prop_kind::forward_training;
    const auto bwd = dnnl::prop_kind::backward;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    if (cell == Cell::rnn) {
      const auto act = dnnl::algorithm::eltwise_tanh;
      dnnl::vanilla_rnn_forward::primitive_desc f(
          {fwd, act, dir, src_md, state_md, any_w_layer, any_w_iter, bias_md, dst_md, none}, eng);
      dnnl::vanilla_rnn_backward::primitive_desc b({bwd, act, dir, src_md, state_md, any_w_layer, any_w_iter, bias_md, dst_md,
                                                    none, src_md, state_md, any_w_layer, any_w_iter, bias_md, dst_md, none},
                                                   eng, f);
      fwd_pd_ = f, bwd_pd_ = b;
      fwd_ = dnnl::vanilla_rnn_forward(f), bwd_ = dnnl::vanilla_rnn_backward(b);
    } else if (cell == Cell::lstm) {
      dnnl::lstm_forward::primitive_desc f(
          {fwd, dir, src_md, state_md, cstate_md, any_w_layer, any_w_iter, bias_md, dst_md, none, none}, eng);
      dnnl::lstm_backward::primitive_desc b(
          {bwd, dir, src_md, state_md, cstate_md, any_w_layer, any_w_iter, bias_md, dst_md, none, none, src_md, state_md,
           cstate_md, any_w_layer, any_w_iter, bias_md, dst_md, none, none},
          eng, f);
      fwd_pd_ = f, bwd_pd_ = b;
      fwd_ = dnnl::lstm_forward(f), bwd_ = dnnl::lstm_backward(b);
    } else {
      dnnl::lbr_gru_forward::primitive_desc f({fwd, dir, src_md, state_md, any_w_layer, any_w_iter, bias_md, dst_md, none},
                                              eng);
      dnnl::lbr_gru_backward::primitive_desc b({bwd, dir, src_md, state_md, any_w_layer, any_w_iter, bias_md, dst_md, none,
                                                src_md, state_md, any_w_layer, any_w_iter, bias_md, dst_md, none},
                                               eng, f);
      fwd_pd_ = f, bwd_pd_ = b;
      fwd_ = dnnl::lbr_gru_forward(f), bwd_ = dnnl::lbr_gru_backward(b);
    }
    // Weights and their gradients in the forward's layout (zeroed: a padded layout's padding stays
    // 0 through clipping and Adam); the backward's weights and diff weights reordered from / to it.
    w_layer = zeroed(fwd_pd_.weights_layer_desc(), eng);
    w_iter = zeroed(fwd_pd_.weights_iter_desc(), eng);
    dw_layer = zeroed(fwd_pd_.weights_layer_desc(), eng);
    dw_iter = zeroed(fwd_pd_.weights_iter_desc(), eng);
    w_layer_bwd_ = Relayout(w_layer, bwd_pd_.weights_layer_desc(), eng, true);
    w_iter_bwd_ = Relayout(w_iter, bwd_pd_.weights_iter_desc(), eng, true);
    dw_layer_ = Relayout(dw_layer, bwd_pd_.diff_weights_layer_desc(), eng, false);
    dw_iter_ = Relayout(dw_iter, bwd_pd_.diff_weights_iter_desc(), eng, false);
    workspace_ = memory(fwd_pd_.workspace_desc(), eng);
    if (explicit_state_) {
      zero_state_ = memory(state_md, eng);  // never written by oneDNN: h₀ (and c₀) = 0 for every step
      zero(zero_state_);
      diff_state_ = memory(state_md, eng);  // ∂loss/∂h₀, computed and unused
      if (cell == Cell::lstm) {
        zero_cstate_ = memory(state_md, eng);
        zero(zero_cstate_);
        diff_cstate_ = memory(state_md, eng);
      }
    }
  }

  void forward(dnnl::stream& s) {
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC_LAYER, src_layer},
                                            {DNNL_ARG_WEIGHTS_LAYER, w_layer},
                                            {DNNL_ARG_WEIGHTS_ITER, w_iter},
                                            {DNNL_ARG_BIAS, bias},
                                            {DNNL_ARG_DST_LAYER, dst_layer},
                                            {DNNL_ARG_WORKSPACE, workspace_}};
    add_state(args, false);
    fwd_.execute(s, args);
  }

  // Gradients of this step only: the backward primitive accumulates, so they are zeroed first.
  void backward(dnnl::stream& s) {
    w_layer_bwd_.sync(s);
    w_iter_bwd_.sync(s);
    zero(dw_layer_.prim);
    zero(dw_iter_.prim);
    zero(dbias);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC_LAYER, src_layer},
                                            {DNNL_ARG_WEIGHTS_LAYER, w_layer_bwd_.prim},
                                            {DNNL_ARG_WEIGHTS_ITER, w_iter_bwd_.prim},
                                            {DNNL_ARG_BIAS, bias},
                                            {DNNL_ARG_DST_LAYER, dst_layer},
                                            {DNNL_ARG_WORKSPACE, workspace_},
                                            {DNNL_ARG_DIFF_DST_LAYER, diff_dst_layer},
                                            {DNNL_ARG_DIFF_SRC_LAYER, diff_src_layer},
                                            {DNNL_ARG_DIFF_WEIGHTS_LAYER, dw_layer_.prim},
                                            {DNNL_ARG_DIFF_WEIGHTS_ITER, dw_iter_.prim},
                                            {DNNL_ARG_DIFF_BIAS, dbias}};
    add_state(args, true);
    bwd_.execute(s, args);
    dw_layer_.sync(s);
    dw_iter_.sync(s);
  }

  // Which of the layouts differ from plain ldigo (the check prints it).
  std::string layouts() const {
    auto name = [](bool differs) { return differs ? std::string("other") : std::string("ldigo"); };
    return "fwd weights " + name(w_layer.get_desc() != plain_w_layer) + "/" + name(w_iter.get_desc() != plain_w_iter) +
           ", bwd weights " + name(w_layer_bwd_.prim.get_desc() != plain_w_layer) + "/" +
           name(w_iter_bwd_.prim.get_desc() != plain_w_iter) + ", bwd diff " +
           name(dw_layer_.prim.get_desc() != plain_w_layer) + "/" + name(dw_iter_.prim.get_desc() != plain_w_iter);
  }

  memory w_layer, w_iter, dw_layer, dw_iter;  // the forward's layout: what clipping and Adam see
  memory bias, dbias;                         // ldgo
  memory::desc plain_w_layer, plain_w_iter;   // ldigo: for initialization and the check (read_as, write_as)
  memory src_layer, dst_layer, diff_src_layer, diff_dst_layer;

 private:
  void add_state(std::unordered_map<int, memory>& args, bool backward) const {
    if (!explicit_state_) return;
    args[DNNL_ARG_SRC_ITER] = zero_state_;
    if (backward) args[DNNL_ARG_DIFF_SRC_ITER] = diff_state_;
    if (cell_ == Cell::lstm) {
      args[DNNL_ARG_SRC_ITER_C] = zero_cstate_;
      if (backward) args[DNNL_ARG_DIFF_SRC_ITER_C] = diff_cstate_;
    }
  }

  Cell cell_;
  bool explicit_state_;
  dnnl::rnn_primitive_desc_base fwd_pd_, bwd_pd_;
  dnnl::primitive fwd_, bwd_;
  Relayout w_layer_bwd_, w_iter_bwd_, dw_layer_, dw_iter_;
  memory workspace_, zero_state_, zero_cstate_, diff_state_, diff_cstate_;
};

// The L recurrent layers as oneDNN runs them: layer 0 (input → H), then layers 1..L-1 (H → H).
std::vector<RecurrentStack> make_stacks(Cell cell, const dnnl::engine& eng, memory::dim T, memory::dim N, memory::dim input,
                                        memory::dim H, memory::dim L, const memory& src_layer, bool explicit_zero_state) {
  std::vector<RecurrentStack> stacks;
  stacks.reserve(2);
  stacks.emplace_back(cell, eng, T, N, input, H, 1, src_layer, explicit_zero_state);
  if (L > 1) {
    stacks.emplace_back(cell, eng, T, N, H, H, L - 1, stacks[0].dst_layer, explicit_zero_state);
    stacks[0].diff_dst_layer = stacks[1].diff_src_layer;
  }
  return stacks;
}

std::vector<float> uniform(std::size_t n, float bound, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-bound, bound);
  std::vector<float> v(n);
  for (float& e : v) e = u(rng);
  return v;
}
void uniform_fill(const memory& m, float bound, std::mt19937& rng) {  // plain-layout tensors only
  const std::vector<float> v = uniform(count_of(m), bound, rng);
  std::copy(v.begin(), v.end(), data_of(m));
}
// The recurrent parameters, drawn in plain ldigo / ldgo order whatever layout the primitive chose.
void init_stack(RecurrentStack& st, float bound, std::mt19937& rng, const dnnl::engine& eng, dnnl::stream& s) {
  write_as(st.w_layer, st.plain_w_layer, uniform(st.plain_w_layer.get_size() / sizeof(float), bound, rng), eng, s);
  write_as(st.w_iter, st.plain_w_iter, uniform(st.plain_w_iter.get_size() / sizeof(float), bound, rng), eng, s);
  uniform_fill(st.bias, bound, rng);
}

// ---------------------------------------------------------------------------------------------
// --check: the recurrent primitives against ref::forward_backward (double precision).

// max |a − b| over the tensor, relative to the largest |b| in it.
double relative_error(const float* a, const std::vector<double>& b) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return diff / std::max(scale, 1e-30);
}

double sum_of_squares(const float* p, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(p[i]) * p[i];
  return s;
}

struct CheckResult {
  double weights = 0, bias = 0, input = 0, output = 0;
  double padding = 0;  // raw gradient buffer's Σg² against the plain one's: nonzero padding would skew the clip
  std::string layouts;
};

CheckResult check_once(Cell cell, int L, bool explicit_zero_state) {
  const int T = 5, N = 3, E = 4, H = 8;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  memory x(memory::desc({T, N, E}, dt::f32, tag::tnc), eng);
  std::vector<RecurrentStack> stacks = make_stacks(cell, eng, T, N, E, H, L, x, explicit_zero_state);
  std::mt19937 rng(42);
  uniform_fill(x, 1.0f, rng);
  for (auto& st : stacks) init_stack(st, 0.5f, rng, eng, s);
  uniform_fill(stacks.back().diff_dst_layer, 1.0f, rng);

  // The reference sees exactly the float values oneDNN sees.
  const int G = ref::gate_count(cell), Gb = ref::bias_count(cell);
  std::vector<ref::Layer> layers;
  for (int l = 0; l < L; ++l) {
    const RecurrentStack& st = stacks[l == 0 ? 0 : 1];
    const int k = l == 0 ? 0 : l - 1, in = l == 0 ? E : H;
    const std::vector<float> w_all = read_as(st.w_layer, st.plain_w_layer, eng, s);
    const std::vector<float> u_all = read_as(st.w_iter, st.plain_w_iter, eng, s);
    const float* w = w_all.data() + static_cast<std::size_t>(k) * in * G * H;
    const float* u = u_all.data() + static_cast<std::size_t>(k) * H * G * H;
    const float* b = data_of(st.bias) + static_cast<std::size_t>(k) * Gb * H;
    layers.push_back({in, std::vector<double>(w, w + in * G * H), std::vector<double>(u, u + H * G * H),
                      std::vector<double>(b, b + Gb * H)});
  }
  const float* xf = data_of(x);
  const float* dyf = data_of(stacks.back().diff_dst_layer);
  const ref::Result want = ref::forward_backward(cell, T, N, H, layers, std::vector<double>(xf, xf + T * N * E),
                                                 std::vector<double>(dyf, dyf + T * N * H));

  // Two steps, as in training: the second must not see the first one's gradients.
  for (int step = 0; step < 2; ++step) {
    for (auto& st : stacks) st.forward(s);
    for (std::size_t i = stacks.size(); i-- > 0;) stacks[i].backward(s);
  }
  s.wait();

  CheckResult r;
  r.layouts = stacks[0].layouts();
  for (int l = 0; l < L; ++l) {
    const RecurrentStack& st = stacks[l == 0 ? 0 : 1];
    const int k = l == 0 ? 0 : l - 1, in = l == 0 ? E : H;
    const ref::LayerGrad& g = want.grads[static_cast<std::size_t>(l)];
    const std::vector<float> dw = read_as(st.dw_layer, st.plain_w_layer, eng, s);
    const std::vector<float> du = read_as(st.dw_iter, st.plain_w_iter, eng, s);
    r.weights = std::max(r.weights, relative_error(dw.data() + static_cast<std::size_t>(k) * in * G * H, g.dw));
    r.weights = std::max(r.weights, relative_error(du.data() + static_cast<std::size_t>(k) * H * G * H, g.du));
    r.bias = std::max(r.bias, relative_error(data_of(st.dbias) + static_cast<std::size_t>(k) * Gb * H, g.db));
    for (const auto& [raw, plain] : {std::make_pair(st.dw_layer, &dw), std::make_pair(st.dw_iter, &du)}) {
      const double want_sq = sum_of_squares(plain->data(), plain->size());
      r.padding = std::max(r.padding, std::abs(sum_of_squares(data_of(raw), count_of(raw)) - want_sq) / want_sq);
    }
  }
  r.input = relative_error(data_of(stacks[0].diff_src_layer), want.dx);
  r.output = relative_error(data_of(stacks.back().dst_layer), want.y);
  return r;
}

int run_check() {
  const double tolerance = 1e-4;  // float32 against float64 at these sizes: expect ~1e-7
  std::printf("oneDNN %d.%d.%d recurrent primitives vs. a double-precision loop (T=5 N=3 E=4 H=8);\n"
              "error = max |oneDNN - reference| / max |reference| per tensor, tolerance %.0e\n",
              dnnl::version()->major, dnnl::version()->minor, dnnl::version()->patch, tolerance);
  bool ok = true;
  for (Cell cell : {Cell::rnn, Cell::lstm, Cell::gru}) {
    const char* name = cell == Cell::rnn ? "rnn " : cell == Cell::lstm ? "lstm" : "gru ";
    for (int L : {2, 3}) {
      const CheckResult c = check_once(cell, L, true);
      const double worst = std::max({c.weights, c.bias, c.input, c.output, c.padding});
      ok = ok && worst <= tolerance;
      const CheckResult omitted = check_once(cell, L, false);
      std::printf("%s L=%d  dW %.1e  db %.1e  dx %.1e  y %.1e  pad %.0e  %s | state omitted: dW %.1e db %.1e%s  [%s]\n",
                  name, L, c.weights, c.bias, c.input, c.output, c.padding, worst <= tolerance ? "ok  " : "FAIL", omitted.weights,
                  omitted.bias, std::max(omitted.weights, omitted.bias) > tolerance ? " (wrong)" : "", c.layouts.c_str());
    }
  }
  std::printf("%s\n", ok ? "check passed (explicit zero state, as the benchmark runs)" : "check FAILED");
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

// Hand-written loops shorter than this run on one thread: an OpenMP region costs microseconds,
// which matter against a B = 1 step of a few hundred.
constexpr std::int64_t kParallelMin = 1 << 15;

// One Adam (PyTorch's defaults: betas 0.9, 0.999, eps 1e-8, no weight decay) state per parameter.
struct Param {
  float* w;
  float* g;
  std::size_t n;
  std::vector<float> m, v;
};

int run_benchmark(int argc, char** argv) {
  bench::Args a;
  try {
    a = bench::parse_args(argc, argv, "onednn_char_rnn");
  } catch (const std::invalid_argument& e) {
    std::cerr << "onednn_char_rnn: " << e.what() << "\n"
              << bench::usage("onednn_char_rnn") << "       onednn_char_rnn --check\n";
    return 2;
  }
  // Debian's libdnnl2 is built with the OpenMP runtime (libgomp): its pool is sized here.
  omp_set_num_threads(static_cast<int>(a.threads));
  const Cell cell = a.model == "lstm" ? Cell::lstm : a.model == "gru" ? Cell::gru : Cell::rnn;
  const memory::dim T = a.seq, N = a.batch, E = a.embed, H = a.hidden, V = a.vocab, TN = T * N;

  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  std::mt19937 rng(0);

  // Embedding (V × E, N(0, 1) as PyTorch) and the gathered input (T × N × E).
  std::vector<float> embedding(static_cast<std::size_t>(V * E)), d_embedding(embedding.size());
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& e : embedding) e = normal(rng);
  memory x(memory::desc({T, N, E}, dt::f32, tag::tnc), eng);

  // Recurrent layers, PyTorch's init U(±1/√H).
  std::vector<RecurrentStack> stacks = make_stacks(cell, eng, T, N, E, H, a.layers, x, true);
  const float k = 1.0f / std::sqrt(static_cast<float>(H));
  for (auto& st : stacks) init_stack(st, k, rng, eng, s);

  // Linear head on the last layer's output seen as (T·N) × H rows.
  const memory::desc rows_h({TN, H}, dt::f32, tag::nc), rows_v({TN, V}, dt::f32, tag::nc);
  const memory::desc head_w_md({V, H}, dt::f32, tag::oi), head_b_md({V}, dt::f32, tag::x);
  const memory::desc any_head_w({V, H}, dt::f32, tag::any);
  memory head_in(rows_h, eng, stacks.back().dst_layer.get_data_handle());
  memory d_head_in(rows_h, eng, stacks.back().diff_dst_layer.get_data_handle());
  memory logits(rows_v, eng), d_logits(rows_v, eng);
  dnnl::inner_product_forward::primitive_desc head_fwd_pd(
      {dnnl::prop_kind::forward_training, rows_h, any_head_w, head_b_md, rows_v}, eng);
  dnnl::inner_product_backward_data::primitive_desc head_bwd_data_pd({rows_h, any_head_w, rows_v}, eng, head_fwd_pd);
  dnnl::inner_product_backward_weights::primitive_desc head_bwd_w_pd({rows_h, any_head_w, head_b_md, rows_v}, eng,
                                                                     head_fwd_pd);
  dnnl::inner_product_forward head_fwd(head_fwd_pd);
  dnnl::inner_product_backward_data head_bwd_data(head_bwd_data_pd);
  dnnl::inner_product_backward_weights head_bwd_w(head_bwd_w_pd);
  // As for the recurrent weights: the forward's layout (here V × H transposed), gradient brought to it.
  memory head_w = zeroed(head_fwd_pd.weights_desc(), eng), d_head_w = zeroed(head_fwd_pd.weights_desc(), eng);
  memory head_b(head_b_md, eng), d_head_b(head_b_md, eng);
  write_as(head_w, head_w_md, uniform(static_cast<std::size_t>(V * H), k, rng), eng, s);
  uniform_fill(head_b, k, rng);
  Relayout head_w_bwd(head_w, head_bwd_data_pd.weights_desc(), eng, true);
  Relayout head_dw(d_head_w, head_bwd_w_pd.diff_weights_desc(), eng, false);

  std::vector<Param> params;
  auto add = [&](float* w, float* g, std::size_t n) {
    params.push_back({w, g, n, std::vector<float>(n, 0.0f), std::vector<float>(n, 0.0f)});
  };
  add(embedding.data(), d_embedding.data(), embedding.size());
  for (auto& st : stacks) {
    add(data_of(st.w_layer), data_of(st.dw_layer), count_of(st.w_layer));
    add(data_of(st.w_iter), data_of(st.dw_iter), count_of(st.w_iter));
    add(data_of(st.bias), data_of(st.dbias), count_of(st.bias));
  }
  add(data_of(head_w), data_of(d_head_w), count_of(head_w));
  add(data_of(head_b), data_of(d_head_b), count_of(head_b));

  // Data: random tokens, 8 batches cycled (as the other two programs).
  std::mt19937 data_rng(1234);
  std::uniform_int_distribution<int> token(0, static_cast<int>(V) - 1);
  const std::int64_t n_batches = std::min<std::int64_t>(8, a.steps + a.warmup);
  std::vector<std::vector<int>> inputs(static_cast<std::size_t>(n_batches)), targets(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (memory::dim j = 0; j < TN; ++j) inputs[i].push_back(token(data_rng));
    for (memory::dim j = 0; j < TN; ++j) targets[i].push_back(token(data_rng));
  }

  std::int64_t adam_steps = 0;
  auto train_step = [&](std::int64_t i) {
    const std::vector<int>& xs = inputs[static_cast<std::size_t>(i % n_batches)];
    const std::vector<int>& ys = targets[static_cast<std::size_t>(i % n_batches)];
    // Embedding gather: x[t, n, :] = embedding[token(t, n), :].
    float* xp = data_of(x);
    for (memory::dim r = 0; r < TN; ++r)
      std::memcpy(xp + r * E, embedding.data() + static_cast<std::size_t>(xs[static_cast<std::size_t>(r)]) * E,
                  sizeof(float) * static_cast<std::size_t>(E));

    for (auto& st : stacks) st.forward(s);
    head_fwd.execute(s, {{DNNL_ARG_SRC, head_in},
                         {DNNL_ARG_WEIGHTS, head_w},
                         {DNNL_ARG_BIAS, head_b},
                         {DNNL_ARG_DST, logits}});
    s.wait();

    // Softmax cross-entropy, mean over the T·N rows, and its gradient (softmax − one-hot) / (T·N).
    const float* lp = data_of(logits);
    float* dlp = data_of(d_logits);
    double loss = 0;
#pragma omp parallel for reduction(+ : loss) schedule(static) if (TN * V >= kParallelMin)
    for (memory::dim r = 0; r < TN; ++r) {
      const float* row = lp + r * V;
      float* drow = dlp + r * V;
      const float mx = *std::max_element(row, row + V);
      double sum = 0;
      for (memory::dim c = 0; c < V; ++c) sum += drow[c] = std::exp(row[c] - mx);
      const int y = ys[static_cast<std::size_t>(r)];
      loss += std::log(sum) - (row[y] - mx);
      const float scale = static_cast<float>(1.0 / (sum * static_cast<double>(TN)));
      for (memory::dim c = 0; c < V; ++c) drow[c] *= scale;
      drow[y] -= 1.0f / static_cast<float>(TN);
    }
    loss /= static_cast<double>(TN);

    head_w_bwd.sync(s);
    head_bwd_data.execute(s, {{DNNL_ARG_DIFF_DST, d_logits}, {DNNL_ARG_WEIGHTS, head_w_bwd.prim}, {DNNL_ARG_DIFF_SRC, d_head_in}});
    head_bwd_w.execute(s, {{DNNL_ARG_SRC, head_in},
                           {DNNL_ARG_DIFF_DST, d_logits},
                           {DNNL_ARG_DIFF_WEIGHTS, head_dw.prim},
                           {DNNL_ARG_DIFF_BIAS, d_head_b}});
    head_dw.sync(s);
    for (std::size_t j = stacks.size(); j-- > 0;) stacks[j].backward(s);
    s.wait();

    // Embedding gradient: scatter-add of the input gradient (dense, as PyTorch's default).
    std::fill(d_embedding.begin(), d_embedding.end(), 0.0f);
    const float* dx = data_of(stacks[0].diff_src_layer);
    for (memory::dim r = 0; r < TN; ++r) {
      float* dst = d_embedding.data() + static_cast<std::size_t>(xs[static_cast<std::size_t>(r)]) * E;
      for (memory::dim c = 0; c < E; ++c) dst[c] += dx[r * E + c];
    }

    // clip_grad_norm_(5): one scale for all gradients when their global 2-norm exceeds 5.
    double sq = 0;
    for (const Param& p : params) {
      double part = 0;
#pragma omp parallel for reduction(+ : part) schedule(static) if (p.n >= kParallelMin)
      for (std::size_t j = 0; j < p.n; ++j) part += static_cast<double>(p.g[j]) * p.g[j];
      sq += part;
    }
    const double clip = std::min(1.0, 5.0 / (std::sqrt(sq) + 1e-6));

    // Adam(2e-3).
    ++adam_steps;
    const double lr = 2e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1 - std::pow(b1, static_cast<double>(adam_steps)), c2 = 1 - std::pow(b2, static_cast<double>(adam_steps));
    const float step_size = static_cast<float>(lr / c1), inv_sqrt_c2 = static_cast<float>(1 / std::sqrt(c2));
    const float fclip = static_cast<float>(clip), fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2);
    for (Param& p : params) {
      float* m = p.m.data();
      float* v = p.v.data();
#pragma omp parallel for schedule(static) if (p.n >= kParallelMin)
      for (std::size_t j = 0; j < p.n; ++j) {
        const float g = p.g[j] * fclip;
        m[j] = fb1 * m[j] + (1 - fb1) * g;
        v[j] = fb2 * v[j] + (1 - fb2) * g * g;
        p.w[j] -= step_size * m[j] / (std::sqrt(v[j]) * inv_sqrt_c2 + static_cast<float>(eps));
      }
    }
    return loss;
  };

  const std::string kernel = "onednn-" + isa_name(dnnl::get_effective_cpu_isa());
  bench::run_and_report("onednn", a, kernel, train_step);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2 && std::string(argv[1]) == "--check") return run_check();
    return run_benchmark(argc, argv);
  } catch (const dnnl::error& e) {  // a primitive oneDNN cannot create or run: say which and why
    std::cerr << "onednn_char_rnn: oneDNN error: " << e.what() << " (status " << static_cast<int>(e.status) << ")\n";
    return 1;
  }
}
