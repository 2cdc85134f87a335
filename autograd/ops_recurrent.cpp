#include "autograd/ops_recurrent.hpp"

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/blas.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/packed_gemm.hpp"
#include "autograd/detail/shape_kernels.hpp"
#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_linalg.hpp"
#include "autograd/ops_shape.hpp"

namespace xg {

namespace {
// The (gₜ, hₜ₋₁) pairs of one backward pass, kept in the pass's scratch until the hub has
// summed them.
struct Pairs {
  std::vector<Tensor> grads, inputs;
};
Pairs& pass_pairs(const void* hub) {
  std::shared_ptr<void>& slot = detail::pass_scratch(hub);
  if (!slot) slot = std::make_shared<Pairs>();
  return *static_cast<Pairs*>(slot.get());
}

// Copies same-width row blocks one under another into a new (Σ rows, width) matrix.
Tensor stack_rows(const std::vector<Tensor>& blocks, std::int64_t width, Dtype dtype) {
  std::int64_t rows = 0;
  for (const Tensor& b : blocks) rows += b.numel() / width;
  Tensor out = empty({rows, width}, dtype);
  auto* dst = static_cast<char*>(out.raw_data());
  for (const Tensor& b : blocks) {
    const std::size_t bytes = static_cast<std::size_t>(b.numel()) * element_size(dtype);
    std::memcpy(dst, b.raw_data(), bytes);
    dst += bytes;
  }
  return out;
}
// From this many rows a step's product runs on the packed weight; one row (batch 1) is a
// matrix-vector product, which streams the weight once anyway (detail::gemm's gemv path).
constexpr std::int64_t kPackedMinRows = 2;
}  // namespace

// The weight packed for detail::PackedMatrix on first use: as W (O×I) for the steps' h·Wᵀ, or as
// Wᵀ for their backward g·W = g·(Wᵀ)ᵀ. The backward one is made by the first backward step, after
// the engine has checked the weight's version, so its values are the ones the forward used.
struct RecurrentWeight::Pack {
  Pack(Tensor w, bool t) : weight(std::move(w)), transposed(t) {}
  template <typename T>
  const detail::PackedMatrix<T>& get() {
    std::call_once(once, [&] {
      const std::int64_t out = weight.size(0), in = weight.size(1);
      packed = transposed ? std::make_shared<detail::PackedMatrix<T>>(weight.data<T>(), in, out, 1, in)
                          : std::make_shared<detail::PackedMatrix<T>>(weight.data<T>(), out, in, in, 1);
    });
    return *static_cast<const detail::PackedMatrix<T>*>(packed.get());
  }

  Tensor weight;
  bool transposed;
  std::once_flag once;
  std::shared_ptr<void> packed;  // a detail::PackedMatrix<T> of the weight's dtype
};

RecurrentWeight::RecurrentWeight(const Tensor& weight) : weight_(weight) {
  detail::check_floating("RecurrentWeight", weight, "weight");
  if (weight.dim() != 2)
    throw std::invalid_argument("RecurrentWeight: weight must be 2-D (out, in), got shape " + shape_str(weight.shape()));
  hub_ = weight;
  // Two packs: the steps' closures keep only the backward one, so the forward one is freed with
  // this object at the end of the sequence.
  forward_pack_ = std::make_shared<Pack>(weight.detach(), false);
  backward_pack_ = std::make_shared<Pack>(weight.detach(), true);
  if (!needs_grad({&weight})) return;
  hub_ = detail::alias_with_shape(weight, weight.shape());
  const std::int64_t out_features = weight.size(0), in_features = weight.size(1);
  // The pairs are keyed by the hub node, whose address the closure learns once it is recorded.
  auto key = std::make_shared<const void*>(nullptr);
  record(hub_, "RecurrentWeight", {weight}, [key, out_features, in_features](const Tensor& g) {
    // create_graph: the steps handed their recorded gᵀh terms over; the engine summed them into g.
    if (is_grad_enabled()) return std::vector<Tensor>{g};
    // g is the zero placeholder the first step handed over; the real sum is computed here.
    // g may also hold gradients that reached the hub directly, not through a step's pairs: in a
    // pass that differentiates a recorded gradient (double backward), the g·W terms send theirs
    // here. So the steps' sum is added onto g (β = 1; with only the zero placeholder, 0 + x = x).
    Pairs& pairs = pass_pairs(*key);
    if (pairs.grads.empty()) return std::vector<Tensor>{g};
    Tensor grads = stack_rows(pairs.grads, out_features, g.dtype());
    Tensor inputs = stack_rows(pairs.inputs, in_features, g.dtype());
    pairs = Pairs();
    Tensor dw = g.detach().clone();
    detail::dispatch_floating("RecurrentWeight", g.dtype(), [&](auto tag) {
      using T = decltype(tag);
      detail::gemm(true, false, out_features, in_features, grads.size(0), grads.data<T>(), out_features,
                   inputs.data<T>(), in_features, T(1), dw.data<T>(), in_features);
    });
    return std::vector<Tensor>{dw};
  });
  *key = hub_.grad_fn().get();
}

Tensor RecurrentWeight::add_product(const Tensor& base, const Tensor& h) const {
  const char* op = "RecurrentWeight::add_product";
  detail::check_floating(op, base, "base");
  detail::check_floating(op, h, "h");
  detail::check_same_dtype(op, base, weight_);
  detail::check_same_dtype(op, h, weight_);
  const std::int64_t O = weight_.size(0), I = weight_.size(1);
  if (h.dim() != 2 || h.size(1) != I || base.dim() != 2 || base.size(0) != h.size(0) || base.size(1) != O)
    throw std::invalid_argument(std::string(op) + ": base " + shape_str(base.shape()) + " + h " + shape_str(h.shape()) +
                                " · weightᵀ " + shape_str(weight_.shape()) + " do not fit (expected base [N, " +
                                std::to_string(O) + "] and h [N, " + std::to_string(I) + "])");
  const std::int64_t N = h.size(0);
  Tensor out = base.detach().clone();
  detail::dispatch_floating(op, base.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (N >= kPackedMinRows)
      forward_pack_->get<T>().multiply_add(N, h.data<T>(), I, out.data<T>(), O);
    else
      detail::gemm(false, true, N, O, I, h.data<T>(), I, weight_.data<T>(), I, T(1), out.data<T>(), O);
  });
  if (!needs_grad({&base, &h, &hub_})) return out;
  const bool want_h = h.requires_grad(), want_w = hub_.requires_grad();
  record(out, "RecurrentWeight::add_product", {base, h, hub_},
         // w is saved from hub_ (the same storage as the weight): under create_graph it is re-attached
         // to the hub, so dh = g·W is differentiable w.r.t. the weight too.
         [key = hub_.grad_fn().get(), w = detail::save_for_backward(hub_), h = detail::save_for_backward(h), want_h, want_w,
          pack = backward_pack_](const Tensor& g) {
           std::vector<Tensor> grads(3);
           grads[0] = g;
           if (is_grad_enabled()) {  // create_graph: recorded, each step's gᵀh handed to the hub as is
             if (want_h) grads[1] = matmul(g, w);
             if (want_w) grads[2] = matmul(transpose(g, 0, 1), h);
             return grads;
           }
           if (want_h) {
             const std::int64_t n = g.size(0), o = w.size(0), i = w.size(1);
             detail::dispatch_floating("RecurrentWeight::add_product", g.dtype(), [&](auto tag) {
               using T = decltype(tag);
               if (n >= kPackedMinRows) {
                 grads[1] = zeros({n, i}, g.dtype());
                 pack->get<T>().multiply_add(n, g.data<T>(), o, grads[1].data<T>(), i);
               } else {
                 grads[1] = empty({n, i}, g.dtype());
                 detail::gemm(false, false, n, i, o, g.data<T>(), o, w.data<T>(), i, T(0), grads[1].data<T>(), i);
               }
             });
           }
           if (want_w) {
             Pairs& pairs = pass_pairs(key);
             // One placeholder makes the engine run the hub; the other steps add nothing to it.
             if (pairs.grads.empty()) grads[2] = zeros(w.shape(), g.dtype());
             pairs.grads.push_back(g);
             pairs.inputs.push_back(h);
           }
           return grads;
         });
  return out;
}

}  // namespace xg
