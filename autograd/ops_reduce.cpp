#include "autograd/ops_reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/detail/double_backward.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"

namespace xg {
using detail::dispatch_floating;

namespace {

std::string dims_str(const std::vector<std::int64_t>& dims) { return shape_str(dims); }

// The input seen as groups of adjacent dims that are all kept or all reduced (size-1 dims
// dropped): sum over [2, 3, 4] dims {1, 2} is one kept group of 2 and one reduced group of 12,
// so the kernel walks long contiguous rows instead of one element at a time.
struct ReducePlan {
  Shape sizes;                             // coalesced input sizes
  std::vector<bool> reduced;               // per group
  std::vector<std::int64_t> out_strides;   // per group, in output elements (0 for reduced)
  Shape out_shape;                         // result shape (keepdim applied)
  std::int64_t count = 1;                  // input elements folded into each output element
};

ReducePlan plan_reduce(const char* op, const Shape& shape, const std::vector<std::int64_t>& dims, bool keepdim) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  std::vector<bool> mask(shape.size(), dims.empty());
  std::vector<bool> seen(rank == 0 ? 1 : shape.size(), false);
  for (std::int64_t d : dims) {
    const std::int64_t nd = normalize_dim(op, d, rank);
    if (seen[nd])
      throw std::invalid_argument(std::string(op) + ": dim " + std::to_string(nd) + " appears multiple times in dims " +
                                  dims_str(dims) + " (tensor of shape " + shape_str(shape) + ")");
    seen[nd] = true;
    if (rank > 0) mask[nd] = true;
  }
  ReducePlan p;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (mask[d]) {
      p.count *= shape[d];
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.out_shape.push_back(shape[d]);
    }
    if (shape[d] == 1) continue;
    if (!p.sizes.empty() && p.reduced.back() == mask[d]) {
      p.sizes.back() *= shape[d];
    } else {
      p.sizes.push_back(shape[d]);
      p.reduced.push_back(mask[d]);
    }
  }
  p.out_strides.assign(p.sizes.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t g = p.sizes.size(); g-- > 0;)
    if (!p.reduced[g]) {
      p.out_strides[g] = stride;
      stride *= p.sizes[g];
    }
  return p;
}

// Walks the input row by row (a row is the innermost group); body(row, out_offset).
template <typename Body>
void for_each_input_row(const ReducePlan& p, Body&& body) {
  if (p.sizes.empty()) {  // every dim has size 1: one element
    body(std::int64_t{0}, std::int64_t{0});
    return;
  }
  const std::size_t groups = p.sizes.size();
  const std::int64_t inner = p.sizes.back();
  const std::int64_t rows = inner == 0 ? 0 : shape_numel(p.sizes) / inner;
  std::vector<std::int64_t> index(groups, 0);
  std::int64_t off = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    body(r, off);
    for (std::size_t g = groups - 1; g-- > 0;) {
      off += p.out_strides[g];
      if (++index[g] < p.sizes[g]) break;
      off -= p.out_strides[g] * p.sizes[g];
      index[g] = 0;
    }
  }
}

bool inner_reduced(const ReducePlan& p) { return !p.sizes.empty() && p.reduced.back(); }
std::int64_t inner_size(const ReducePlan& p) { return p.sizes.empty() ? 1 : p.sizes.back(); }

// out[o] = scale · Σ x over the reduced dims, summed in double in row-major order of the input.
Tensor reduce_sum(const char* op, const Tensor& x, const ReducePlan& p, double scale) {
  Tensor out = empty(p.out_shape, x.dtype());
  dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* po = out.data<T>();
    const std::int64_t n_out = out.numel();
    const std::int64_t inner = inner_size(p);
    std::vector<double> acc(static_cast<std::size_t>(n_out), 0.0);
    if (x.numel() > 0) {
      if (inner_reduced(p)) {
        for_each_input_row(p, [&](std::int64_t r, std::int64_t o) {
          const T* row = in + r * inner;
          double s = 0;
          for (std::int64_t i = 0; i < inner; ++i) s += row[i];
          acc[o] += s;
        });
      } else {
        for_each_input_row(p, [&](std::int64_t r, std::int64_t o) {
          const T* row = in + r * inner;
          double* a = acc.data() + o;
          for (std::int64_t i = 0; i < inner; ++i) a[i] += row[i];
        });
      }
    }
    for (std::int64_t i = 0; i < n_out; ++i) po[i] = static_cast<T>(acc[i] * scale);
  });
  return out;
}

// The backward of a sum: every input element receives scale · g at its output position.
Tensor broadcast_back(const Tensor& g, const Shape& in_shape, const ReducePlan& p, double scale) {
  Tensor out = empty(in_shape, g.dtype());
  if (out.numel() == 0) return out;
  dispatch_floating("sum_backward", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    T* po = out.data<T>();
    const T s = static_cast<T>(scale);
    const std::int64_t inner = inner_size(p);
    const bool red = inner_reduced(p);
    for_each_input_row(p, [&](std::int64_t r, std::int64_t o) {
      T* row = po + r * inner;
      if (red) {
        const T v = pg[o] * s;
        for (std::int64_t i = 0; i < inner; ++i) row[i] = v;
      } else {
        for (std::int64_t i = 0; i < inner; ++i) row[i] = pg[o + i] * s;
      }
    });
  });
  return out;
}

Tensor sum_impl(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim, bool average) {
  detail::check_floating(op, x);
  ReducePlan p = plan_reduce(op, x.shape(), dims, keepdim);
  // mean of nothing is 0/0 = NaN, as in PyTorch.
  const double scale = average ? (p.count == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / p.count) : 1.0;
  Tensor out = reduce_sum(op, x, p, scale);
  if (needs_grad({&x})) {
    record(out, op, {x}, [p = std::move(p), in_shape = x.shape(), scale](const Tensor& g) {
      if (is_grad_enabled()) {
        // create_graph: the broadcast is recorded, with this sum as its adjoint.
        auto map = std::make_shared<const detail::LinearMap>(detail::LinearMap{
            "sum_backward", "sum_backward_backward",
            [p, in_shape, scale](const Tensor& t) { return broadcast_back(t, in_shape, p, scale); },
            [p, scale](const Tensor& t) { return reduce_sum("sum_backward_backward", t, p, scale); }});
        return std::vector<Tensor>{detail::apply_linear(g, map)};
      }
      return std::vector<Tensor>{broadcast_back(g, in_shape, p, scale)};
    });
    detail::mark_double_differentiable(out);
  }
  return out;
}

// A single reduced dim seen as [outer, n, inner].
struct DimSplit {
  std::int64_t outer = 1, n = 1, inner = 1;
  Shape out_shape;
};

DimSplit split_at(const char* op, const Shape& shape, std::int64_t dim, bool keepdim) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  const std::int64_t d = normalize_dim(op, dim, rank);
  DimSplit s;
  for (std::int64_t i = 0; i < rank; ++i) {
    if (i < d) s.outer *= shape[i];
    else if (i > d) s.inner *= shape[i];
    else s.n = shape[i];
    if (i != d) s.out_shape.push_back(shape[i]);
    else if (keepdim) s.out_shape.push_back(1);
  }
  return s;
}

// values[o, i] = max_k x[o, k, i], indices = the first such k; a NaN beats everything (as in
// PyTorch, max propagates NaN) and the first NaN wins.
std::pair<Tensor, Tensor> max_kernel(const char* op, const Tensor& x, std::int64_t dim, bool keepdim) {
  detail::check_floating(op, x);
  const DimSplit s = split_at(op, x.shape(), dim, keepdim);
  if (s.n == 0)
    throw std::invalid_argument(std::string(op) + ": cannot reduce over dim " + std::to_string(dim) +
                                " of size 0 (tensor of shape " + shape_str(x.shape()) + "): there is no maximum");
  Tensor values = empty(s.out_shape, x.dtype());
  Tensor indices = empty(s.out_shape, kInt64);
  dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* pv = values.data<T>();
    std::int64_t* pi = indices.data<std::int64_t>();
    for (std::int64_t o = 0; o < s.outer; ++o) {
      const T* base = in + o * s.n * s.inner;
      T* best = pv + o * s.inner;
      std::int64_t* arg = pi + o * s.inner;
      for (std::int64_t i = 0; i < s.inner; ++i) best[i] = base[i], arg[i] = 0;
      for (std::int64_t k = 1; k < s.n; ++k) {
        const T* row = base + k * s.inner;
        for (std::int64_t i = 0; i < s.inner; ++i)
          if (row[i] > best[i] || (std::isnan(row[i]) && !std::isnan(best[i]))) best[i] = row[i], arg[i] = k;
      }
    }
  });
  return {values, indices};
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

std::pair<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) {
  auto [values, indices] = max_kernel("max", x, dim, keepdim);
  if (needs_grad({&x})) {
    const DimSplit s = split_at("max", x.shape(), dim, keepdim);
    record(values, "max", {x}, [s, in_shape = x.shape(), idx = indices](const Tensor& g) {
      // Only the first maximal element receives the gradient.
      Tensor gx = zeros(in_shape, g.dtype());
      dispatch_floating("max_backward", g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pg = g.data<T>();
        const std::int64_t* pi = idx.data<std::int64_t>();
        T* po = gx.data<T>();
        for (std::int64_t o = 0; o < s.outer; ++o)
          for (std::int64_t i = 0; i < s.inner; ++i) {
            const std::int64_t j = o * s.inner + i;
            po[(o * s.n + pi[j]) * s.inner + i] = pg[j];
          }
      });
      return std::vector<Tensor>{gx};
    });
  }
  return {values, indices};
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) { return max_kernel("argmax", x, dim, keepdim).second; }

Tensor logsumexp(const Tensor& x, std::int64_t dim, bool keepdim) {
  detail::check_floating("logsumexp", x);
  const DimSplit s = split_at("logsumexp", x.shape(), dim, keepdim);
  Tensor out = empty(s.out_shape, x.dtype());
  dispatch_floating("logsumexp", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* po = out.data<T>();
    std::vector<double> shift(static_cast<std::size_t>(s.inner)), acc(static_cast<std::size_t>(s.inner));
    for (std::int64_t o = 0; o < s.outer; ++o) {
      const T* base = in + o * s.n * s.inner;
      std::fill(shift.begin(), shift.end(), -std::numeric_limits<double>::infinity());
      std::fill(acc.begin(), acc.end(), 0.0);
      for (std::int64_t k = 0; k < s.n; ++k)
        for (std::int64_t i = 0; i < s.inner; ++i) shift[i] = std::fmax(shift[i], base[k * s.inner + i]);
      // An infinite (or absent) max is not subtracted, as in PyTorch: all −inf gives −inf, +inf gives +inf.
      for (double& m : shift)
        if (std::isinf(m)) m = 0;
      for (std::int64_t k = 0; k < s.n; ++k)
        for (std::int64_t i = 0; i < s.inner; ++i) acc[i] += std::exp(double(base[k * s.inner + i]) - shift[i]);
      for (std::int64_t i = 0; i < s.inner; ++i) po[o * s.inner + i] = static_cast<T>(std::log(acc[i]) + shift[i]);
    }
  });
  if (needs_grad({&x}))
    record(out, "logsumexp", {x}, [s, x = detail::save_for_backward(x), y = detail::save_for_backward(out)](const Tensor& g) {
      // d/dx_k logsumexp(x) = exp(x_k − y) = softmax(x)_k
      Tensor gx = detail::empty_like(x);
      dispatch_floating("logsumexp_backward", g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pg = g.data<T>();
        const T* px = x.data<T>();
        const T* py = y.data<T>();
        T* po = gx.data<T>();
        for (std::int64_t o = 0; o < s.outer; ++o)
          for (std::int64_t k = 0; k < s.n; ++k) {
            const std::int64_t base = (o * s.n + k) * s.inner;
            for (std::int64_t i = 0; i < s.inner; ++i)
              po[base + i] = pg[o * s.inner + i] * std::exp(px[base + i] - py[o * s.inner + i]);
          }
      });
      return std::vector<Tensor>{gx};
    });
  return out;
}

}  // namespace xg
