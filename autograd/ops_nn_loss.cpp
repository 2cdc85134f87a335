#include "autograd/ops_nn_loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/simd.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_unary.hpp"

namespace xg {
using detail::one;
using detail::dispatch_floating;
using detail::kParallelElements;
using detail::kParallelTranscendental;
using detail::parallel_rows;
using detail::simd_map_serial;

namespace {

// Class-index losses see input (N, C, d1, ...) split around the class dim: N·inner lanes of C
// classes with stride inner (a (C) input is one lane); target element i = o·inner + j belongs to
// the lane starting at o·C·inner + j.
struct ClassLayout {
  detail::AxisSplit split;
  std::int64_t classes() const { return split.n; }
  std::int64_t inner() const { return split.inner; }
  std::int64_t elements() const { return split.outer * split.inner; }
  std::int64_t lane_base(std::int64_t i) const { return (i / split.inner) * split.n * split.inner + i % split.inner; }
};

ClassLayout check_class_loss(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
                             std::int64_t ignore_index) {
  detail::check_floating(op, input, "input");
  detail::check_index_tensor(op, target, "target");
  const Shape& si = input.shape();
  if (si.empty())
    throw std::invalid_argument(std::string(op) + ": input must be (C), (N, C) or (N, C, d1, ...), got []");
  const ClassLayout l{detail::split_at(si, si.size() == 1 ? 0 : 1)};
  Shape expected = si;
  expected.erase(expected.begin() + (si.size() == 1 ? 0 : 1));
  if (target.shape() != expected)
    throw std::invalid_argument(std::string(op) + ": input " + shape_str(si) + " needs target " +
                                shape_str(expected) + ", got " + shape_str(target.shape()));
  if (weight.defined()) {
    detail::check_floating(op, weight, "weight");
    detail::check_same_dtype(op, input, weight);
    if (weight.shape() != Shape{l.classes()})
      throw std::invalid_argument(std::string(op) + ": weight " + shape_str(weight.shape()) +
                                  " must have one entry per class (" + std::to_string(l.classes()) + ")");
  }
  const std::int64_t* t = target.data<std::int64_t>();
  for (std::int64_t i = 0; i < target.numel(); ++i)
    if (t[i] != ignore_index && (t[i] < 0 || t[i] >= l.classes()))
      throw std::invalid_argument(std::string(op) + ": target " + std::to_string(t[i]) + " is out of bounds for " +
                                  std::to_string(l.classes()) + " classes");
  return l;
}

// Per-element losses reduced as asked: `denominator` is the mean's divisor (PyTorch's weighted mean).
template <typename T>
Tensor reduce_loss(const std::vector<double>& losses, const Shape& shape, Reduction reduction, double denominator,
                   Dtype dtype) {
  if (reduction == Reduction::None) {
    Tensor out = empty(shape, dtype);
    std::copy(losses.begin(), losses.end(), out.data<T>());
    return out;
  }
  double total = 0;
  for (double v : losses) total += v;
  return scalar_tensor(reduction == Reduction::Sum ? total : total / denominator, dtype);
}

// The factor each element's gradient is multiplied by: g[i] (none), g (sum) or g/denominator (mean).
template <typename T>
T element_scale(const Tensor& g, std::int64_t i, Reduction reduction, double denominator) {
  const T* pg = g.data<T>();
  if (reduction == Reduction::None) return pg[i];
  return reduction == Reduction::Sum ? pg[0] : static_cast<T>(pg[0] / denominator);
}


// element_scale in recorded ops (create_graph): g reshaped to `shape` (none), g (sum) or
// g/denominator (mean), to be broadcast against the per-element terms.
Tensor recorded_scale(const Tensor& g, Reduction reduction, double denominator, const Shape& shape) {
  if (reduction == Reduction::None) return reshape(g, shape);
  return reduction == Reduction::Sum ? g : div(g, denominator);
}

// A constant (n, C, inner) tensor from f(element i, class c) → value, for the recorded backward
// of the class losses; ignored elements are left 0.
template <typename F>
Tensor per_class_constant(const ClassLayout& l, const Tensor& target, std::int64_t ignore, Dtype dtype, F&& f) {
  Tensor out = zeros({l.split.outer, l.classes(), l.inner()}, dtype);
  dispatch_floating("loss_backward", dtype, [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t* t = target.data<std::int64_t>();
    T* po = out.data<T>();
    for (std::int64_t i = 0; i < l.elements(); ++i) {
      if (t[i] == ignore) continue;
      for (std::int64_t c = 0; c < l.classes(); ++c) po[l.lane_base(i) + c * l.inner()] = static_cast<T>(f(i, c, t[i]));
    }
  });
  return out;
}

}  // namespace

namespace {
// cross_entropy with class probabilities as the target (same shape as input): per sample
// −Σ_c w_c t_c log_softmax(x)_c, with t mixed with the uniform distribution by label smoothing;
// the mean divides by the number of samples (PyTorch: weights do not enter the divisor).
// Composed of recorded ops: the tape derives the gradient w.r.t. input and target.
Tensor cross_entropy_with_probabilities(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
  const char* op = "cross_entropy";
  detail::check_floating(op, input, "input");
  detail::check_same_dtype(op, input, target);
  if (input.dim() == 0)
    throw std::invalid_argument(std::string(op) + ": input must have a class dim, got a 0-dim tensor");
  if (input.shape() != target.shape())
    throw std::invalid_argument(std::string(op) + ": a float target holds class probabilities and must have the "
                                "input's shape: input " + shape_str(input.shape()) + ", target " +
                                shape_str(target.shape()) + " (class indices must be int64)");
  if (o.ignore_index() >= 0)
    throw std::invalid_argument(std::string(op) + ": ignore_index (" + std::to_string(o.ignore_index()) +
                                ") is not supported with class-probability targets");
  const double eps = o.label_smoothing();
  if (!(eps >= 0.0 && eps <= 1.0))
    throw std::invalid_argument(std::string(op) + ": label_smoothing must be in [0, 1], got " + std::to_string(eps));
  const std::int64_t class_dim = input.dim() == 1 ? 0 : 1, C = input.size(class_dim);
  Tensor t = eps > 0 ? add(mul(target, 1.0 - eps), eps / static_cast<double>(C)) : target;
  Tensor terms = mul(log_softmax(input, class_dim), t);
  if (o.weight().defined()) {
    const Tensor& w = o.weight();
    detail::check_same_dtype(op, input, w);
    if (w.dim() != 1 || w.size(0) != C)
      throw std::invalid_argument(std::string(op) + ": weight must be 1-D with one entry per class (" +
                                  std::to_string(C) + "), got " + shape_str(w.shape()));
    Shape along_classes(static_cast<std::size_t>(input.dim() - class_dim), 1);
    along_classes[0] = C;
    terms = mul(terms, reshape(w, along_classes));
  }
  const Tensor losses = neg(sum(terms, {class_dim}));
  switch (o.reduction()) {
    case Reduction::None: return losses;
    case Reduction::Sum: return sum(losses);
    case Reduction::Mean: break;
  }
  return div(sum(losses), static_cast<double>(input.numel() / std::max<std::int64_t>(C, 1)));
}
}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options) {
  const char* op = "cross_entropy";
  if (target.defined() && is_floating(target.dtype())) return cross_entropy_with_probabilities(input, target, options);
  const Tensor& weight = options.weight();
  const ClassLayout l = check_class_loss(op, input, target, weight, options.ignore_index());
  const double eps = options.label_smoothing();
  if (!(eps >= 0.0 && eps <= 1.0))
    throw std::invalid_argument(std::string(op) + ": label_smoothing must be in [0, 1], got " + std::to_string(eps));
  const bool grad = needs_grad({&input});
  const std::int64_t ne = l.elements(), C = l.classes(), s = l.inner();
  const std::int64_t* t = target.data<std::int64_t>();
  // Softmax probabilities are kept for the fused backward (computed here anyway: no exp there).
  Tensor probs = grad ? detail::empty_like(input) : Tensor();
  std::vector<double> losses(static_cast<std::size_t>(ne), 0.0);
  double denominator = 0, weight_total = 0;
  Tensor out;
  dispatch_floating(op, input.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = input.data<T>();
    const T* w = weight.defined() ? weight.data<T>() : nullptr;
    for (std::int64_t c = 0; c < C; ++c) weight_total += w ? w[c] : 1.0;
    for (std::int64_t i = 0; i < ne; ++i)
      if (t[i] != options.ignore_index()) denominator += w ? w[t[i]] : 1.0;
    // Rows are independent: two threads take half of them each for large inputs.
    parallel_rows(ne, C, kParallelTranscendental, [&](std::int64_t first, std::int64_t last) {
      std::vector<T> scratch(grad ? 0 : static_cast<std::size_t>(C));
      for (std::int64_t i = first; i < last; ++i) {
        const std::int64_t base = l.lane_base(i);
        const T* xr = x + base;
        // Without grad the exponentials go to a contiguous scratch row instead of probs.
        T* er = grad ? probs.data<T>() + base : scratch.data();
        const std::int64_t es = grad ? s : 1;
        T m = -std::numeric_limits<T>::infinity();
        for (std::int64_t c = 0; c < C; ++c) m = std::max(m, xr[c * s]);
        if (s == 1 && es == 1)  // classes contiguous (the usual (N, C) input): vectorised exp
          simd_map_serial(xr, er, C, [m](const auto& v) { return xsimd::exp(v - std::decay_t<decltype(v)>(m)); });
        else
          for (std::int64_t c = 0; c < C; ++c) er[c * es] = std::exp(xr[c * s] - m);
        T sum = 0;
        for (std::int64_t c = 0; c < C; ++c) sum += er[c * es];
        const T lse = m + std::log(sum);
        if (grad) {
          const T inv = T(1) / sum;
          for (std::int64_t c = 0; c < C; ++c) er[c * es] *= inv;
        }
        if (t[i] == options.ignore_index()) continue;
        const double wt = w ? w[t[i]] : 1.0;
        double loss = -wt * static_cast<double>(xr[t[i] * s] - lse);
        if (eps > 0) {
          // −Σ_c w_c log p_c, mixed in with weight ε/C (PyTorch's label smoothing with class weights)
          double smooth = 0;
          for (std::int64_t c = 0; c < C; ++c) smooth -= (w ? w[c] : 1.0) * static_cast<double>(xr[c * s] - lse);
          loss = (1 - eps) * loss + eps / static_cast<double>(C) * smooth;
        }
        losses[static_cast<std::size_t>(i)] = loss;
      }
    });
    out = reduce_loss<T>(losses, target.shape(), options.reduction(), denominator, input.dtype());
  });

  if (grad) {
    record(out, op, {input},
           [l, probs, target = detail::save_for_backward(target), weight = weight.defined() ? detail::save_for_backward(weight) : Tensor(), eps,
            weight_total, denominator, reduction = options.reduction(),
            ignore = options.ignore_index(), x = detail::save_for_backward(input)](const Tensor& g) {
             // dx_c = scale · (p_c·((1−ε)w_t + εW/C) − ((1−ε)w_t·[c = t] + ε·w_c/C)), W = Σ w
             if (is_grad_enabled()) {
               // create_graph: recorded, p = softmax(x) recomputed from x (attached), the bracket's
               // weights as constants laid out (n, C, inner).
               const double smooth = eps / static_cast<double>(l.classes());
               auto w_of = [&weight](std::int64_t c) { return weight.defined() ? weight.at({c}) : 1.0; };
               Tensor mass = per_class_constant(l, target, ignore, g.dtype(), [&](std::int64_t, std::int64_t, std::int64_t t) {
                 return (1 - eps) * w_of(t) + smooth * weight_total;
               });
               Tensor offset = per_class_constant(l, target, ignore, g.dtype(), [&](std::int64_t, std::int64_t c, std::int64_t t) {
                 return (c == t ? (1 - eps) * w_of(t) : 0.0) + smooth * w_of(c);
               });
               const Shape lanes{l.split.outer, l.classes(), l.inner()};
               Tensor p = reshape(softmax(x, x.dim() == 1 ? 0 : 1), lanes);
               Tensor scale = recorded_scale(g, reduction, denominator, {l.split.outer, 1, l.inner()});
               return one(reshape(mul(scale, sub(mul(p, mass), offset)), x.shape()));
             }
             Tensor dx = detail::empty_like(probs);
             dispatch_floating("cross_entropy", g.dtype(), [&](auto tag) {
               using T = decltype(tag);
               const T* p = probs.data<T>();
               const T* w = weight.defined() ? weight.data<T>() : nullptr;
               const std::int64_t* t = target.data<std::int64_t>();
               T* d = dx.data<T>();
               const std::int64_t C = l.classes(), s = l.inner();
               const T smooth = static_cast<T>(eps / static_cast<double>(C));
               parallel_rows(l.elements(), C, kParallelElements, [&](std::int64_t first, std::int64_t last) {
                 for (std::int64_t i = first; i < last; ++i) {
                   const std::int64_t base = l.lane_base(i);
                   if (t[i] == ignore) {
                     for (std::int64_t c = 0; c < C; ++c) d[base + c * s] = 0;
                     continue;
                   }
                   const T scale = element_scale<T>(g, i, reduction, denominator);
                   const T wt = w ? w[t[i]] : T(1);
                   const T hard = static_cast<T>(1 - eps) * wt;
                   const T mass = hard + smooth * static_cast<T>(weight_total);
                   for (std::int64_t c = 0; c < C; ++c)
                     d[base + c * s] = scale * (p[base + c * s] * mass - smooth * (w ? w[c] : T(1)));
                   d[base + t[i] * s] -= scale * hard;
                 }
               });
             });
             return one(dx);
           });
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossOptions& options) {
  const char* op = "nll_loss";
  const Tensor& weight = options.weight();
  const ClassLayout l = check_class_loss(op, log_probs, target, weight, options.ignore_index());
  const std::int64_t* t = target.data<std::int64_t>();
  std::vector<double> losses(static_cast<std::size_t>(l.elements()), 0.0);
  double denominator = 0;
  Tensor out;
  dispatch_floating(op, log_probs.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = log_probs.data<T>();
    const T* w = weight.defined() ? weight.data<T>() : nullptr;
    for (std::int64_t i = 0; i < l.elements(); ++i) {
      if (t[i] == options.ignore_index()) continue;
      const double wt = w ? w[t[i]] : 1.0;
      denominator += wt;
      losses[static_cast<std::size_t>(i)] = -wt * x[l.lane_base(i) + t[i] * l.inner()];
    }
    out = reduce_loss<T>(losses, target.shape(), options.reduction(), denominator, log_probs.dtype());
  });
  if (needs_grad({&log_probs})) {
    record(out, op, {log_probs},
           [l, shape = log_probs.shape(), target = detail::save_for_backward(target),
            weight = weight.defined() ? detail::save_for_backward(weight) : Tensor(), denominator, reduction = options.reduction(),
            ignore = options.ignore_index()](const Tensor& g) {
             if (is_grad_enabled()) {  // create_graph: recorded, −w_t at the target class as a constant
               Tensor pick = per_class_constant(l, target, ignore, g.dtype(), [&](std::int64_t, std::int64_t c, std::int64_t t) {
                 return c == t ? -(weight.defined() ? weight.at({t}) : 1.0) : 0.0;
               });
               return one(reshape(mul(recorded_scale(g, reduction, denominator, {l.split.outer, 1, l.inner()}), pick), shape));
             }
             Tensor dx = zeros(shape, g.dtype());
             dispatch_floating("nll_loss", g.dtype(), [&](auto tag) {
               using T = decltype(tag);
               const T* w = weight.defined() ? weight.data<T>() : nullptr;
               const std::int64_t* t = target.data<std::int64_t>();
               T* d = dx.data<T>();
               for (std::int64_t i = 0; i < l.elements(); ++i) {
                 if (t[i] == ignore) continue;
                 d[l.lane_base(i) + t[i] * l.inner()] =
                     -element_scale<T>(g, i, reduction, denominator) * (w ? w[t[i]] : T(1));
               }
             });
             return one(dx);
           });
  }
  return out;
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  const char* op = "mse_loss";
  detail::check_floating(op, input, "input");
  detail::check_floating(op, target, "target");
  detail::check_same_dtype(op, input, target);
  if (input.shape() != target.shape())
    throw std::invalid_argument(std::string(op) + ": input " + shape_str(input.shape()) + " and target " +
                                shape_str(target.shape()) + " must have the same shape");
  const std::int64_t n = input.numel();
  Tensor out;
  dispatch_floating(op, input.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* a = input.data<T>();
    const T* b = target.data<T>();
    std::vector<double> losses(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      const double diff = static_cast<double>(a[i]) - static_cast<double>(b[i]);
      losses[static_cast<std::size_t>(i)] = diff * diff;
    }
    out = reduce_loss<T>(losses, input.shape(), reduction, static_cast<double>(n), input.dtype());
  });
  if (needs_grad({&input, &target})) {
    const bool gi = input.requires_grad(), gt = target.requires_grad();
    record(out, op, {input, target},
           [a = detail::save_for_backward(input), b = detail::save_for_backward(target), reduction, n, gi, gt](const Tensor& g) {
             // d/dinput = 2(input − target)·scale, d/dtarget = its negative
             if (is_grad_enabled()) {  // create_graph: recorded
               Tensor di = mul(mul(sub(a, b), 2.0), recorded_scale(g, reduction, static_cast<double>(n), a.shape()));
               return std::vector<Tensor>{gi ? di : Tensor(), gt ? neg(di) : Tensor()};
             }
             Tensor di = detail::empty_like(a);
             dispatch_floating("mse_loss", g.dtype(), [&](auto tag) {
               using T = decltype(tag);
               const T* pa = a.data<T>();
               const T* pb = b.data<T>();
               T* d = di.data<T>();
               for (std::int64_t i = 0; i < n; ++i)
                 d[i] = T(2) * (pa[i] - pb[i]) * element_scale<T>(g, i, reduction, static_cast<double>(n));
             });
             Tensor dt;
             if (gt) dt = detail::map_floating("mse_loss", di, [](auto v) { return -v; });
             return std::vector<Tensor>{gi ? di : Tensor(), dt};
           });
  }
  return out;
}

}  // namespace xg
