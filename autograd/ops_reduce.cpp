#include "autograd/ops_reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xoperation.hpp>

#include "autograd/creation.hpp"
#include "autograd/detail/double_backward.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/shape_kernels.hpp"
#include "autograd/detail/xreduce.hpp"
#include "autograd/detail/xview.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_unary.hpp"

namespace xg {
using detail::dispatch_floating;
using detail::xview;

namespace {

// Which dims `dims` names (all of them when empty), validated; a scalar accepts 0 and -1.
std::vector<bool> reduced_dims(const char* op, const Shape& shape, const std::vector<std::int64_t>& dims) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  std::vector<bool> mask(shape.size(), dims.empty());
  std::vector<bool> seen(rank == 0 ? 1 : shape.size(), false);
  for (std::int64_t d : dims) {
    const std::int64_t nd = normalize_dim(op, d, rank);
    if (seen[nd])
      throw std::invalid_argument(std::string(op) + ": dim " + std::to_string(nd) + " appears multiple times in dims " +
                                  shape_str(dims) + " (tensor of shape " + shape_str(shape) + ")");
    seen[nd] = true;
    if (rank > 0) mask[nd] = true;
  }
  return mask;
}

// Strides (in elements) of a tensor of shape `kept` (x's shape with reduced dims as 1) seen
// through x's shape: 0 along the reduced dims.
std::vector<std::int64_t> broadcast_strides(const Shape& kept, const Shape& shape) {
  std::vector<std::int64_t> strides = contiguous_strides(kept);
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (kept[d] != shape[d]) strides[d] = 0;
  return strides;
}

// The result's shape: reduced dims dropped, or kept as size 1.
Shape reduced_shape(const Shape& shape, const std::vector<bool>& mask, bool keepdim) {
  Shape out;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (!mask[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  return out;
}

std::int64_t reduced_count(const Shape& shape, const std::vector<bool>& mask) {
  std::int64_t n = 1;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (mask[d]) n *= shape[d];
  return n;
}

// ---- sum, mean ---------------------------------------------------------------------------

// scale · Σ x over the dims in `mask`, summed in double (detail::sum_dims's fixed order).
Tensor reduce_sum(const Tensor& x, const std::vector<bool>& mask, const Shape& out_shape, double scale) {
  Tensor out = empty(out_shape, x.dtype());
  detail::sum_dims(x, mask, detail::SumOrder::kGroups, /*in_double=*/true, scale, out);
  return out;
}

// The backward of a sum: every input element receives scale · g at its output position (`kept`
// is the output's keepdim shape): g broadcast back by the expand copy kernel, scaled in place.
Tensor broadcast_back(const Tensor& g, const Shape& kept, const Shape& in_shape, double scale) {
  Tensor gx = empty(in_shape, g.dtype());
  detail::strided_copy(g, gx, broadcast_strides(kept, in_shape));
  if (scale != 1.0)
    dispatch_floating("sum_backward", g.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* p = gx.data<T>();
      const T s = static_cast<T>(scale);
      for (std::int64_t i = 0; i < gx.numel(); ++i) p[i] = p[i] * s;
    });
  return gx;
}

Tensor sum_impl(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim, bool average) {
  detail::check_floating(op, x);
  std::vector<bool> mask = reduced_dims(op, x.shape(), dims);
  const std::int64_t count = reduced_count(x.shape(), mask);
  // mean of nothing is 0/0 = NaN, as in PyTorch.
  const double scale = average ? (count == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / count) : 1.0;
  const Shape out_shape = reduced_shape(x.shape(), mask, keepdim);
  Tensor out = reduce_sum(x, mask, out_shape, scale);
  if (needs_grad({&x})) {
    record(out, op, {x}, [mask, out_shape, kept = reduced_shape(x.shape(), mask, true), in_shape = x.shape(),
                          scale](const Tensor& g) {
      if (is_grad_enabled()) {
        // create_graph: the broadcast is recorded, with this sum as its adjoint.
        auto map = std::make_shared<const detail::LinearMap>(detail::LinearMap{
            "sum_backward", "sum_backward_backward",
            [kept, in_shape, scale](const Tensor& t) { return broadcast_back(t, kept, in_shape, scale); },
            [mask, out_shape, scale](const Tensor& t) { return reduce_sum(t, mask, out_shape, scale); }});
        return std::vector<Tensor>{detail::apply_linear(g, map)};
      }
      return std::vector<Tensor>{broadcast_back(g, kept, in_shape, scale)};
    });
  }
  return out;
}

// ---- lane reductions (max, min, their indices, logsumexp) --------------------------------

// x with its reduced dims moved last, so that output element o reduces the contiguous lane
// data[o·length, (o+1)·length): x itself when the reduced dims are already the innermost ones,
// else a copy by the permute kernel (detail::strided_copy).
template <class T>
struct Lanes {
  Tensor moved;
  const T* data = nullptr;
  std::int64_t count = 1, length = 1;
};

template <class T>
Lanes<T> lanes_of(const Tensor& x, const std::vector<bool>& mask) {
  Lanes<T> l;
  const Shape& s = x.shape();
  const std::vector<std::int64_t> own = contiguous_strides(s);
  Shape moved_shape;
  std::vector<std::int64_t> strides;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t d = 0; d < s.size(); ++d)
      if (mask[d] == (pass == 1)) {
        moved_shape.push_back(s[d]);
        strides.push_back(own[d]);
        (pass == 1 ? l.length : l.count) *= s[d];
      }
  bool in_place = true, seen_reduced = false;
  for (std::size_t d = 0; d < s.size(); ++d) {
    if (s[d] == 1) continue;
    if (mask[d]) seen_reduced = true;
    else if (seen_reduced) in_place = false;  // a kept dim inside the reduced ones
  }
  if (in_place) {
    l.data = x.template data<T>();
  } else {
    l.moved = empty(moved_shape, x.dtype());
    detail::strided_copy(x, l.moved, strides);
    l.data = l.moved.template data<T>();
  }
  return l;
}

// For each lane, the first element that beats every other: NaN beats everything (max and min
// propagate NaN, as in PyTorch) and the first NaN wins. Returns values and indices along the lane.
template <class T, class Beats>
void extreme_lanes(const Lanes<T>& l, T* values, std::int64_t* indices, Beats beats) {
  for (std::int64_t o = 0; o < l.count; ++o) {
    const T* lane = l.data + o * l.length;
    T best = lane[0];
    std::int64_t arg = 0;
    for (std::int64_t k = 1; k < l.length; ++k)
      if (beats(lane[k], best) || (std::isnan(lane[k]) && !std::isnan(best))) best = lane[k], arg = k;
    values[o] = best;
    indices[o] = arg;
  }
}

struct Extreme {
  Tensor values, indices;  // indices along the lane (what argmax returns)
};

// `dims` as the caller gave them (for the error message); `mask` the dims they name.
Extreme extreme(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim, bool largest) {
  detail::check_floating(op, x);
  const Shape& s = x.shape();
  const std::vector<bool> mask = reduced_dims(op, s, dims);
  for (std::size_t d = 0; d < s.size(); ++d)
    if (mask[d] && s[d] == 0)
      throw std::invalid_argument(std::string(op) + ": cannot reduce over dim " +
                                  (dims.size() == 1 ? std::to_string(dims[0]) : std::to_string(d)) +
                                  " of size 0 (tensor of shape " + shape_str(s) + "): there is no " +
                                  (largest ? "maximum" : "minimum"));
  const Shape out_shape = reduced_shape(s, mask, keepdim);
  Extreme e{empty(out_shape, x.dtype()), empty(out_shape, kInt64)};
  dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Lanes<T> l = lanes_of<T>(x, mask);
    std::int64_t* idx = e.indices.data<std::int64_t>();
    if (largest) extreme_lanes(l, e.values.data<T>(), idx, [](T a, T b) { return a > b; });
    else extreme_lanes(l, e.values.data<T>(), idx, [](T a, T b) { return a < b; });
  });
  return e;
}

// The gradient of a reduction whose output `y` (keepdim shape `kept`) picked input elements:
// g spread evenly over the elements equal to their output (ties share, as PyTorch's amax/amin
// and full max/min do). The weights are fixed at forward time, so backward is recorded ops.
Tensor even_share_weights(const Tensor& x, const Tensor& y, const Shape& kept, const std::vector<bool>& mask) {
  Tensor w = empty(x.shape(), x.dtype());
  dispatch_floating("amax", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto hit = xt::cast<T>(xt::equal(xview<T>(x), xt::broadcast(xview<T>(y, detail::xshape(kept)), detail::xshape(x.shape()))));
    xview<T>(w) = hit;
  });
  Tensor counts = empty(kept, x.dtype());
  detail::sum_dims(w, mask, detail::SumOrder::kGroups, true, 1.0, counts);
  return div(w, counts);  // grad mode is off here: a constant
}

Tensor amax_impl(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim, bool largest) {
  detail::check_floating(op, x);
  const std::vector<bool> mask = reduced_dims(op, x.shape(), dims);
  Tensor out = extreme(op, x, dims, keepdim, largest).values;
  if (needs_grad({&x})) {
    const Shape kept = reduced_shape(x.shape(), mask, true);
    Tensor weights;
    {
      NoGradGuard no_grad;
      weights = even_share_weights(x, out, kept, mask);
    }
    record(out, op, {x}, [weights, kept, in_shape = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{mul(expand(reshape(g, kept), in_shape), weights)};
    });
  }
  return out;
}

// out = log Σ exp(x) over each lane, in double: the lane's max is subtracted first unless it is
// infinite (all −inf gives −inf, +inf gives +inf, as in PyTorch).
template <class T>
void logsumexp_lanes(const Lanes<T>& l, T* out) {
  for (std::int64_t o = 0; o < l.count; ++o) {
    const T* lane = l.data + o * l.length;
    double shift = -std::numeric_limits<double>::infinity();
    for (std::int64_t k = 0; k < l.length; ++k) shift = std::fmax(shift, lane[k]);
    if (std::isinf(shift)) shift = 0;
    double acc = 0;
    for (std::int64_t k = 0; k < l.length; ++k) acc += std::exp(double(lane[k]) - shift);
    out[o] = static_cast<T>(std::log(acc) + shift);
  }
}

// max's backward as a linear map of g and its adjoint: g scattered to the chosen indices along
// the dim (zeros elsewhere), and t gathered from them.
Tensor scatter_at_indices(const Tensor& g, const detail::AxisSplit& s, const Shape& in_shape, const Tensor& idx) {
  Tensor out = zeros(in_shape, g.dtype());
  dispatch_floating("max_backward", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    const std::int64_t* pi = idx.data<std::int64_t>();
    T* po = out.data<T>();
    for (std::int64_t j = 0; j < s.outer * s.inner; ++j) po[(j / s.inner * s.n + pi[j]) * s.inner + j % s.inner] = pg[j];
  });
  return out;
}

Tensor gather_at_indices(const Tensor& t, const detail::AxisSplit& s, const Shape& out_shape, const Tensor& idx) {
  Tensor out = empty(out_shape, t.dtype());
  dispatch_floating("max_backward_backward", t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pt = t.data<T>();
    const std::int64_t* pi = idx.data<std::int64_t>();
    T* po = out.data<T>();
    for (std::int64_t j = 0; j < s.outer * s.inner; ++j) po[j] = pt[(j / s.inner * s.n + pi[j]) * s.inner + j % s.inner];
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x) { return sum_impl("sum", x, {}, false, false); }
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return sum_impl("sum", x, dims, keepdim, false);
}
Tensor mean(const Tensor& x) { return sum_impl("mean", x, {}, false, true); }
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return sum_impl("mean", x, dims, keepdim, true);
}

namespace {
// max(x, dim) and min(x, dim): values and the index of the first extreme (or first NaN).
std::pair<Tensor, Tensor> extreme_along(const char* op, const Tensor& x, std::int64_t dim, bool keepdim, bool largest) {
  Extreme e = extreme(op, x, {dim}, keepdim, largest);
  if (needs_grad({&x})) {
    const detail::AxisSplit s = detail::split_at(x.shape(), normalize_dim(op, dim, x.dim()));
    // One node for values and indices (int64, so not differentiable: they get no grad_fn).
    record_multi({e.values, e.indices}, op, {x},
                 [s, in_shape = x.shape(), out_shape = e.values.shape(), idx = e.indices](const std::vector<Tensor>& grads) {
                   const Tensor& g = grads[0];
                   if (is_grad_enabled()) {
                     // create_graph: the scatter is recorded, with the gather at the same indices as its adjoint.
                     auto map = std::make_shared<const detail::LinearMap>(detail::LinearMap{
                         "max_backward", "max_backward_backward",
                         [s, in_shape, idx](const Tensor& t) { return scatter_at_indices(t, s, in_shape, idx); },
                         [s, out_shape, idx](const Tensor& t) { return gather_at_indices(t, s, out_shape, idx); }});
                     return std::vector<Tensor>{detail::apply_linear(g, map)};
                   }
                   // Only the element that was picked receives the gradient.
                   return std::vector<Tensor>{scatter_at_indices(g, s, in_shape, idx)};
                 });
  }
  return {e.values, e.indices};
}
}  // namespace

std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) {
  return extreme_along("max", x, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) {
  return extreme_along("min", x, dim, keepdim, false);
}

Tensor max(const Tensor& x) { return amax_impl("max", x, {}, false, true); }
Tensor min(const Tensor& x) { return amax_impl("min", x, {}, false, false); }
Tensor amax(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return amax_impl("amax", x, dims, keepdim, true);
}
Tensor amin(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return amax_impl("amin", x, dims, keepdim, false);
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  return extreme("argmax", x, {dim}, keepdim, true).indices;
}
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim) {
  return extreme("argmin", x, {dim}, keepdim, false).indices;
}
// Without a dim: the index into the flattened tensor (torch.argmax(input)).
Tensor argmax(const Tensor& x) {
  return extreme("argmax", x, {}, false, true).indices;
}
Tensor argmin(const Tensor& x) {
  return extreme("argmin", x, {}, false, false).indices;
}

Tensor logsumexp(const Tensor& x, std::int64_t dim, bool keepdim) {
  return logsumexp(x, std::vector<std::int64_t>{dim}, keepdim);
}

Tensor logsumexp(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  detail::check_floating("logsumexp", x);
  const std::vector<bool> mask = reduced_dims("logsumexp", x.shape(), dims);
  Tensor out = empty(reduced_shape(x.shape(), mask, keepdim), x.dtype());
  dispatch_floating("logsumexp", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    logsumexp_lanes(lanes_of<T>(x, mask), out.data<T>());
  });
  if (needs_grad({&x}))
    record(out, "logsumexp", {x},
           [kept = reduced_shape(x.shape(), mask, true), x = detail::save_for_backward(x),
            y = detail::save_for_backward(out)](const Tensor& g) {
             // d/dx_k logsumexp(x) = exp(x_k − y) = softmax(x)_k
             return std::vector<Tensor>{mul(reshape(g, kept), exp(sub(x, reshape(y, kept))))};
           });
  return out;
}

}  // namespace xg
