#include "nn/gru.hpp"

#include <stdexcept>
#include <string>
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
// One step, fused into a single recorded op (instead of narrows and nine elementwise nodes;
// checked by gradcheck and by the PyTorch parity fixtures in tests/test_nn_lstm_gru.cpp).
// x_rz (N, 2H) and x_n (N, H) are the input projections (with b_ih); hh (N, 3H) is
// h W_hhᵀ + b_hh, kept apart from the input because r multiplies only its n block:
//   [r z] = σ(x_rz + hh[:, :2H]),  n = tanh(x_n + r ⊙ hh[:, 2H:]),  h' = (1 − z) ⊙ n + z ⊙ h.
Tensor gru_step(const Tensor& x_rz, const Tensor& x_n, const Tensor& hh, const Tensor& h) {
  if (h.dtype() != hh.dtype())
    throw std::invalid_argument(std::string("GRU: hidden state is ") + dtype_name(h.dtype()) + " but the gates are " +
                                dtype_name(hh.dtype()));
  const std::int64_t N = h.size(0), H = h.size(1);
  Tensor rz = empty({N, 2 * H}, h.dtype()), n = empty({N, H}, h.dtype()), out = empty({N, H}, h.dtype());
  detail::dispatch_floating("GRU", h.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *xr = x_rz.data<T>(), *xn = x_n.data<T>(), *hp = hh.data<T>(), *hv = h.data<T>();
    T *rzp = rz.data<T>(), *np = n.data<T>(), *o = out.data<T>();
    auto sig = [](const auto& v) {
      using Batch = std::decay_t<decltype(v)>;
      return Batch(1) / (Batch(1) + xsimd::exp(-v));
    };
    for (std::int64_t b = 0; b < N; ++b) {
      const T* hrow = hp + b * 3 * H;
      T* rzrow = rzp + b * 2 * H;
      for (std::int64_t k = 0; k < 2 * H; ++k) rzrow[k] = xr[b * 2 * H + k] + hrow[k];
      detail::simd_map(rzrow, rzrow, 2 * H, sig);
      T* nrow = np + b * H;
      for (std::int64_t j = 0; j < H; ++j) nrow[j] = xn[b * H + j] + rzrow[j] * hrow[2 * H + j];
      detail::simd_map(nrow, nrow, H, [](const auto& v) { return xsimd::tanh(v); });
      for (std::int64_t j = 0; j < H; ++j) {
        const T z = rzrow[H + j];
        o[b * H + j] = nrow[j] + z * (hv[b * H + j] - nrow[j]);
      }
    }
  });
  if (needs_grad({&x_rz, &x_n, &hh, &h})) {
    record(out, "gru_step", {x_rz, x_n, hh, h}, [rz, n, hh = detail::save_for_backward(hh), h = detail::save_for_backward(h),
                                                 x_rz = detail::save_for_backward(x_rz), x_n = detail::save_for_backward(x_n)](const Tensor& g) {
      const std::int64_t N = h.size(0), H = h.size(1);
      if (is_grad_enabled()) {
        // create_graph: recorded, the gates recomputed from the (re-attached) inputs.
        Tensor gates = sigmoid(add(x_rz, narrow(hh, 1, 0, 2 * H)));
        Tensor r = narrow(gates, 1, 0, H), z = narrow(gates, 1, H, H), hn = narrow(hh, 1, 2 * H, H);
        Tensor nv = tanh(add(x_n, mul(r, hn)));
        Tensor da_n = mul(mul(g, rsub(1.0, z)), rsub(1.0, mul(nv, nv)));
        Tensor da_r = mul(mul(da_n, hn), mul(r, rsub(1.0, r)));
        Tensor da_z = mul(mul(g, sub(h, nv)), mul(z, rsub(1.0, z)));
        return std::vector<Tensor>{cat({da_r, da_z}, 1), da_n, cat({da_r, da_z, mul(da_n, r)}, 1), mul(g, z)};
      }
      std::vector<Tensor> grads{empty({N, 2 * H}, g.dtype()), empty({N, H}, g.dtype()), empty({N, 3 * H}, g.dtype()),
                                empty({N, H}, g.dtype())};
      detail::dispatch_floating("gru_step_backward", g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *gp = g.data<T>(), *rzp = rz.data<T>(), *np = n.data<T>(), *hp = hh.data<T>(), *hv = h.data<T>();
        T *dxrz = grads[0].data<T>(), *dxn = grads[1].data<T>(), *dhh = grads[2].data<T>(), *dh = grads[3].data<T>();
        for (std::int64_t b = 0; b < N; ++b)
          for (std::int64_t j = 0; j < H; ++j) {
            const std::int64_t k = b * H + j;
            const T r = rzp[b * 2 * H + j], z = rzp[b * 2 * H + H + j], nv = np[k], hn = hp[b * 3 * H + 2 * H + j];
            const T da_n = gp[k] * (1 - z) * (1 - nv * nv);
            const T da_r = da_n * hn * r * (1 - r);
            const T da_z = gp[k] * (hv[k] - nv) * z * (1 - z);
            dxrz[b * 2 * H + j] = dhh[b * 3 * H + j] = da_r;
            dxrz[b * 2 * H + H + j] = dhh[b * 3 * H + H + j] = da_z;
            dxn[k] = da_n;
            dhh[b * 3 * H + 2 * H + j] = da_n * r;
            dh[k] = gp[k] * z;
          }
      });
      return grads;
    });
  }
  return out;
}

// b_hh broadcast over the batch (the base the recurrent product is added onto), or zeros.
Tensor recurrent_base(const Tensor& bias_hh, std::int64_t N, std::int64_t H, Dtype dtype) {
  return bias_hh.defined() ? expand(bias_hh, {N, 3 * H}) : zeros({N, 3 * H}, dtype);
}
}  // namespace

GRU::GRU(const GRUOptions& o) : RNNBase("GRU", shape_of(o), 3), options_(o) {}

// x (rows, in) → outputs (rows, H) for one direction; h[0] is replaced by each sequence's final h.
Tensor GRU::run_direction(const Tensor& x, const std::vector<std::int64_t>& batch_sizes, const LayerWeights& w,
                          bool reverse, std::vector<Tensor>& h) const {
  const std::int64_t L = static_cast<std::int64_t>(batch_sizes.size()), H = shape_.hidden_size;
  // One matmul projects every step's input; it is split into the r,z and n blocks once, not per step.
  const Tensor projected = linear(x, w.weight_ih, w.bias_ih);
  const std::vector<Tensor> x_rz = split_steps(narrow(projected, 1, 0, 2 * H), batch_sizes);
  const std::vector<Tensor> x_n = split_steps(narrow(projected, 1, 2 * H, H), batch_sizes);
  Tensor base;  // b_hh over the running rows (rebuilt when a packed batch's size changes)
  const RecurrentWeight recurrent(w.weight_hh);  // ∂L/∂W_hh summed over the steps in one gemm
  std::vector<Tensor> steps(static_cast<std::size_t>(L));
  StepStates fit(batch_sizes, reverse, h);  // packed batches: only the running rows take a step
  for (std::int64_t i = 0; i < L; ++i) {
    const std::size_t t = static_cast<std::size_t>(reverse ? L - 1 - i : i);
    fit.enter(static_cast<std::int64_t>(t));
    if (!base.defined() || base.size(0) != batch_sizes[t]) base = recurrent_base(w.bias_hh, batch_sizes[t], H, x.dtype());
    h[0] = gru_step(x_rz[t], x_n[t], recurrent.add_product(base, h[0]), h[0]);
    steps[t] = h[0];
  }
  fit.finish();
  return join_steps(steps, batch_sizes);
}

std::pair<Tensor, Tensor> GRU::forward(const Tensor& input, const Tensor& h0) {
  auto [output, states] = run(input, {h0}, {"h_0"});
  return {output, states[0]};
}

std::pair<GRU::PackedSequence, Tensor> GRU::forward(const PackedSequence& input, const Tensor& h0) {
  auto [output, states] = run(input, {h0}, {"h_0"});
  return {output, states[0]};
}

// ---- GRUCell ---------------------------------------------------------------------------

GRUCell::GRUCell(const GRUCellOptions& o) : RNNCellBase("GRUCell", o, 3), options_(o) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hidden) {
  bool batched = false;
  const Tensor h = check_step(input, {hidden}, {"hidden"}, batched)[0];
  const std::int64_t H = hidden_size_;
  const Tensor xi = linear(as_batch(input, batched), weight_ih, bias_ih);
  const Tensor hh = linear(h, weight_hh, bias_hh);
  return from_batch(gru_step(narrow(xi, 1, 0, 2 * H), narrow(xi, 1, 2 * H, H), hh, h), batched);
}

}  // namespace xg::nn
