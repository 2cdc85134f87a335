#pragma once
// A naive reference for the oneDNN peer's gradient check (`onednn_char_rnn --check`): a stack of
// recurrent layers, forward and backpropagation through time written out directly in double
// precision, with oneDNN's cell definitions and weight layouts (so the two can be compared entry by
// entry). Nothing here is fast; it is meant to be read against the equations.
//
// Layouts (oneDNN's `ldigo` / `ldgo` for one layer and one direction):
//   w[(i·G + g)·H + o]   input i → gate g, unit o      (in × G × H)
//   u[(j·G + g)·H + o]   hidden j → gate g, unit o     (H × G × H)
//   b[g·H + o]           one bias per gate (GRU: 4, see below)
// Cells (h₀ = 0, c₀ = 0, σ the logistic function):
//   rnn:  h = tanh(x·W + h₋·U + b)
//   lstm: gates i, f, c̃, o (PyTorch's order): c = f⊙c₋ + i⊙c̃, h = o⊙tanh(c)
//   gru:  the linear-before-reset GRU (PyTorch's nn.GRU; oneDNN's lbr_gru), gates u, r, o:
//         u = σ(x·W_u + h₋·U_u + b_u), r = σ(x·W_r + h₋·U_r + b_r),
//         n = tanh(x·W_o + b_o + r⊙(h₋·U_o + b₃)), h = u⊙h₋ + (1 − u)⊙n
#include <cmath>
#include <cstddef>
#include <vector>

namespace ref {

enum class Cell { rnn, lstm, gru };

inline int gate_count(Cell c) { return c == Cell::lstm ? 4 : c == Cell::gru ? 3 : 1; }
inline int bias_count(Cell c) { return c == Cell::gru ? 4 : gate_count(c); }

struct Layer {
  int in = 0;
  std::vector<double> w, u, b;
};
struct LayerGrad {
  std::vector<double> dw, du, db;
};
struct Result {
  std::vector<double> y;   // top layer's output, T × N × H
  std::vector<double> dx;  // gradient of Σ dy⊙y with respect to the input, T × N × in₀
  std::vector<LayerGrad> grads;
};

inline double sigmoid(double a) { return 1.0 / (1.0 + std::exp(-a)); }

// Forward and backward of one layer for loss Σ dy⊙h; fills h (T × N × H), returns dx, adds to g.
inline std::vector<double> layer_forward_backward(Cell cell, int T, int N, int H, const Layer& p,
                                                  const std::vector<double>& x, const std::vector<double>& dy_or_empty,
                                                  std::vector<double>& h_out, LayerGrad& g) {
  const int G = gate_count(cell), in = p.in;
  const std::size_t gh = static_cast<std::size_t>(G) * H;
  // Saved per (t, n): x·W and h₋·U without biases, the hidden state and (LSTM) the cell state.
  std::vector<double> xw(static_cast<std::size_t>(T) * N * gh), hu(xw.size());
  std::vector<double> h(static_cast<std::size_t>(T + 1) * N * H, 0.0), c(h.size(), 0.0);
  auto H_at = [&](std::vector<double>& v, int t, int n) { return &v[(static_cast<std::size_t>(t) * N + n) * H]; };
  auto G_at = [&](std::vector<double>& v, int t, int n) { return &v[(static_cast<std::size_t>(t) * N + n) * gh]; };

  for (int t = 0; t < T; ++t)
    for (int n = 0; n < N; ++n) {
      const double* xt = &x[(static_cast<std::size_t>(t) * N + n) * in];
      const double* hp = H_at(h, t, n);  // h[t] is h₋ for step t (h[0] = 0)
      double* a = G_at(xw, t, n);
      double* r = G_at(hu, t, n);
      for (std::size_t k = 0; k < gh; ++k) a[k] = r[k] = 0.0;
      for (int i = 0; i < in; ++i)
        for (std::size_t k = 0; k < gh; ++k) a[k] += xt[i] * p.w[i * gh + k];
      for (int j = 0; j < H; ++j)
        for (std::size_t k = 0; k < gh; ++k) r[k] += hp[j] * p.u[j * gh + k];
      double* hn = H_at(h, t + 1, n);
      const double* cp = H_at(c, t, n);
      double* cn = H_at(c, t + 1, n);
      for (int o = 0; o < H; ++o) {
        auto pre = [&](int gate) { return a[gate * H + o] + r[gate * H + o] + p.b[gate * H + o]; };
        if (cell == Cell::rnn) {
          hn[o] = std::tanh(pre(0));
        } else if (cell == Cell::lstm) {
          const double ig = sigmoid(pre(0)), fg = sigmoid(pre(1)), cg = std::tanh(pre(2)), og = sigmoid(pre(3));
          cn[o] = fg * cp[o] + ig * cg;
          hn[o] = og * std::tanh(cn[o]);
        } else {
          const double ug = sigmoid(pre(0)), rg = sigmoid(pre(1));
          const double ng = std::tanh(a[2 * H + o] + p.b[2 * H + o] + rg * (r[2 * H + o] + p.b[3 * H + o]));
          hn[o] = ug * hp[o] + (1 - ug) * ng;
        }
      }
    }
  h_out.assign(h.begin() + static_cast<std::ptrdiff_t>(N) * H, h.end());

  std::vector<double> dx(static_cast<std::size_t>(T) * N * in, 0.0);
  std::vector<double> dh_next(static_cast<std::size_t>(N) * H, 0.0), dc_next(dh_next.size(), 0.0);
  std::vector<double> da(gh), da_h(gh);  // pre-activation gradients on the x·W and on the h₋·U side
  for (int t = T - 1; t >= 0; --t)
    for (int n = 0; n < N; ++n) {
      const double* a = G_at(xw, t, n);
      const double* r = G_at(hu, t, n);
      const double* hp = H_at(h, t, n);
      const double* cp = H_at(c, t, n);
      const double* cn = H_at(c, t + 1, n);
      const double* hn = H_at(h, t + 1, n);
      double* dhn = &dh_next[static_cast<std::size_t>(n) * H];
      double* dcn = &dc_next[static_cast<std::size_t>(n) * H];
      std::vector<double> dh_direct(H, 0.0);  // GRU: ∂h/∂h₋ through u⊙h₋
      for (int o = 0; o < H; ++o) {
        auto pre = [&](int gate) { return a[gate * H + o] + r[gate * H + o] + p.b[gate * H + o]; };
        const double dh = dy_or_empty[(static_cast<std::size_t>(t) * N + n) * H + o] + dhn[o];
        if (cell == Cell::rnn) {
          da[o] = da_h[o] = dh * (1 - hn[o] * hn[o]);
        } else if (cell == Cell::lstm) {
          const double ig = sigmoid(pre(0)), fg = sigmoid(pre(1)), cg = std::tanh(pre(2)), og = sigmoid(pre(3));
          const double tc = std::tanh(cn[o]);
          const double dc = dcn[o] + dh * og * (1 - tc * tc);
          da[0 * H + o] = dc * cg * ig * (1 - ig);
          da[1 * H + o] = dc * cp[o] * fg * (1 - fg);
          da[2 * H + o] = dc * ig * (1 - cg * cg);
          da[3 * H + o] = dh * tc * og * (1 - og);
          for (int k = 0; k < 4; ++k) da_h[k * H + o] = da[k * H + o];
          dcn[o] = dc * fg;
        } else {
          const double ug = sigmoid(pre(0)), rg = sigmoid(pre(1));
          const double hu2 = r[2 * H + o] + p.b[3 * H + o];
          const double ng = std::tanh(a[2 * H + o] + p.b[2 * H + o] + rg * hu2);
          const double dan = dh * (1 - ug) * (1 - ng * ng);
          da[0 * H + o] = da_h[0 * H + o] = dh * (hp[o] - ng) * ug * (1 - ug);
          da[1 * H + o] = da_h[1 * H + o] = dan * hu2 * rg * (1 - rg);
          da[2 * H + o] = dan;
          da_h[2 * H + o] = dan * rg;
          g.db[3 * H + o] += dan * rg;
          dh_direct[o] = dh * ug;
        }
      }
      for (std::size_t k = 0; k < gh; ++k) g.db[k] += da[k];
      const double* xt = &x[(static_cast<std::size_t>(t) * N + n) * in];
      double* dxt = &dx[(static_cast<std::size_t>(t) * N + n) * in];
      for (int i = 0; i < in; ++i)
        for (std::size_t k = 0; k < gh; ++k) {
          g.dw[i * gh + k] += xt[i] * da[k];
          dxt[i] += p.w[i * gh + k] * da[k];
        }
      for (int j = 0; j < H; ++j) {
        double s = dh_direct[j];
        for (std::size_t k = 0; k < gh; ++k) {
          g.du[j * gh + k] += hp[j] * da_h[k];
          s += p.u[j * gh + k] * da_h[k];
        }
        dhn[j] = s;
      }
    }
  return dx;
}

// The whole stack: layers[0] reads x (T × N × layers[0].in), each next layer the previous output.
inline Result forward_backward(Cell cell, int T, int N, int H, const std::vector<Layer>& layers,
                               const std::vector<double>& x, const std::vector<double>& dy) {
  const int G = gate_count(cell);
  Result res;
  std::vector<std::vector<double>> inputs{x};
  for (const Layer& p : layers) {  // forward only (backward of an unused dy = 0 is discarded)
    std::vector<double> y;
    LayerGrad scratch{std::vector<double>(p.w.size()), std::vector<double>(p.u.size()), std::vector<double>(p.b.size())};
    layer_forward_backward(cell, T, N, H, p, inputs.back(), std::vector<double>(static_cast<std::size_t>(T) * N * H, 0.0), y,
                           scratch);
    inputs.push_back(y);
  }
  res.y = inputs.back();
  res.grads.resize(layers.size());
  std::vector<double> d = dy;
  for (std::size_t l = layers.size(); l-- > 0;) {
    const Layer& p = layers[l];
    LayerGrad& g = res.grads[l];
    g.dw.assign(static_cast<std::size_t>(p.in) * G * H, 0.0);
    g.du.assign(static_cast<std::size_t>(H) * G * H, 0.0);
    g.db.assign(static_cast<std::size_t>(bias_count(cell)) * H, 0.0);
    std::vector<double> y;
    d = layer_forward_backward(cell, T, N, H, p, inputs[l], d, y, g);
  }
  res.dx = d;
  return res;
}

}  // namespace ref
