#include "autograd/ops_nn.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/double_backward.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_unary.hpp"
#include "autograd/ops_binary.hpp"

namespace xg {
using detail::one;
using detail::dispatch_floating;

namespace {

using Lanes = detail::AxisSplit;  // lanes along `dim` have stride `inner`

Lanes lanes_of(const char* op, const Shape& shape, std::int64_t dim) {
  return detail::split_at(shape, normalize_dim(op, dim, static_cast<std::int64_t>(shape.size())));
}

// Calls f(base, stride) for every lane (row along the dim) in a fixed order.
template <typename F>
void for_each_lane(const Lanes& l, F&& f) {
  for (std::int64_t o = 0; o < l.outer; ++o)
    for (std::int64_t j = 0; j < l.inner; ++j) f(o * l.n * l.inner + j, l.inner);
}

// y = softmax(x) (log_space false) or log_softmax(x) (true) along the lanes, max-subtracted.
template <typename T>
void softmax_kernel(const Lanes& l, const T* x, T* y, bool log_space) {
  for_each_lane(l, [&](std::int64_t base, std::int64_t s) {
    const T* xr = x + base;
    T* yr = y + base;
    T m = -std::numeric_limits<T>::infinity();
    for (std::int64_t c = 0; c < l.n; ++c) m = std::max(m, xr[c * s]);
    if (std::isinf(m) && m < 0) m = 0;  // an all −inf lane: avoid (−inf) − (−inf)
    T sum = 0;
    if (log_space) {
      for (std::int64_t c = 0; c < l.n; ++c) sum += std::exp(xr[c * s] - m);
      const T lse = m + std::log(sum);
      for (std::int64_t c = 0; c < l.n; ++c) yr[c * s] = xr[c * s] - lse;
    } else {
      for (std::int64_t c = 0; c < l.n; ++c) sum += (yr[c * s] = std::exp(xr[c * s] - m));
      const T inv = T(1) / sum;
      for (std::int64_t c = 0; c < l.n; ++c) yr[c * s] *= inv;
    }
  });
}


}  // namespace

Tensor softmax(const Tensor& x, std::int64_t dim) {
  detail::check_floating("softmax", x);
  const Lanes l = lanes_of("softmax", x.shape(), dim);
  Tensor out = detail::empty_like(x);
  dispatch_floating("softmax", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    softmax_kernel(l, x.data<T>(), out.data<T>(), false);
  });
  if (needs_grad({&x})) {
    record(out, "softmax", {x}, [l, y = detail::save_for_backward(out)](const Tensor& g) {
      // dx = y ⊙ (g − Σ g⊙y) along the lane
      if (is_grad_enabled()) {  // create_graph: recorded on [outer, size, inner] views
        const Shape lane{l.outer, l.n, l.inner};
        Tensor g3 = reshape(g, lane), y3 = reshape(y, lane);
        return one(reshape(mul(y3, sub(g3, sum(mul(g3, y3), {1}, true))), g.shape()));
      }
      Tensor dx = detail::empty_like(g);
      dispatch_floating("softmax", g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* py = y.data<T>();
        const T* pg = g.data<T>();
        T* pd = dx.data<T>();
        for_each_lane(l, [&](std::int64_t base, std::int64_t s) {
          T dot = 0;
          for (std::int64_t c = 0; c < l.n; ++c) dot += pg[base + c * s] * py[base + c * s];
          for (std::int64_t c = 0; c < l.n; ++c) pd[base + c * s] = py[base + c * s] * (pg[base + c * s] - dot);
        });
      });
      return one(dx);
    });
  }
  return out;
}

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  detail::check_floating("log_softmax", x);
  const Lanes l = lanes_of("log_softmax", x.shape(), dim);
  Tensor out = detail::empty_like(x);
  dispatch_floating("log_softmax", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    softmax_kernel(l, x.data<T>(), out.data<T>(), true);
  });
  if (needs_grad({&x})) {
    record(out, "log_softmax", {x}, [l, y = detail::save_for_backward(out)](const Tensor& g) {
      // dx = g − exp(y)·Σg along the lane
      if (is_grad_enabled()) {  // create_graph: recorded on [outer, size, inner] views
        const Shape lane{l.outer, l.n, l.inner};
        Tensor g3 = reshape(g, lane);
        return one(reshape(sub(g3, mul(exp(reshape(y, lane)), sum(g3, {1}, true))), g.shape()));
      }
      Tensor dx = detail::empty_like(g);
      dispatch_floating("log_softmax", g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* py = y.data<T>();
        const T* pg = g.data<T>();
        T* pd = dx.data<T>();
        for_each_lane(l, [&](std::int64_t base, std::int64_t s) {
          T total = 0;
          for (std::int64_t c = 0; c < l.n; ++c) total += pg[base + c * s];
          for (std::int64_t c = 0; c < l.n; ++c)
            pd[base + c * s] = pg[base + c * s] - std::exp(py[base + c * s]) * total;
        });
      });
      return one(dx);
    });
  }
  return out;
}

// ---- dropout ---------------------------------------------------------------------------

Tensor dropout(const Tensor& x, double p, bool training, Generator& generator) {
  detail::check_floating("dropout", x);
  if (!(p >= 0.0 && p <= 1.0))
    throw std::invalid_argument("dropout: probability has to be between 0 and 1, but got " + std::to_string(p));
  if (!training || p == 0.0) return x;
  // The mask holds 0 or 1/(1−p), so forward and backward are one multiply each; p == 1 drops all.
  Tensor mask = detail::empty_like(x);
  dispatch_floating("dropout", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T keep = p == 1.0 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    T* pm = mask.data<T>();
    std::lock_guard<std::mutex> lock(generator.mutex());
    for (std::int64_t i = 0; i < x.numel(); ++i) pm[i] = generator.uniform() < p ? T(0) : keep;
  });
  Tensor out = detail::zip_floating("dropout", x, mask, [](auto a, auto m) { return a * m; });
  if (needs_grad({&x})) {
    record(out, "dropout", {x}, [mask](const Tensor& g) {
      if (is_grad_enabled()) return one(mul(g, mask));  // create_graph: recorded (the mask is a constant)
      return one(detail::zip_floating("dropout", g, mask, [](auto a, auto m) { return a * m; }));
    });
  }
  return out;
}

Tensor dropout(const Tensor& x, double p, bool training) { return dropout(x, p, training, default_generator()); }

// ---- embedding / one_hot ---------------------------------------------------------------

namespace {
// embedding's backward: g's rows added into a zero (num, dim) gradient at their indices
// (padding_idx skipped), in index order so that repeated indices accumulate deterministically.
Tensor embedding_scatter(const Tensor& g, const Tensor& indices, const Shape& sw, std::int64_t padding_idx) {
  Tensor gw = zeros(sw, g.dtype());
  dispatch_floating("embedding", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t* ix = indices.data<std::int64_t>();
    const std::int64_t d = sw[1];
    const T* pg = g.data<T>();
    T* pgw = gw.data<T>();
    for (std::int64_t i = 0; i < indices.numel(); ++i) {
      if (ix[i] == padding_idx) continue;
      T* row = pgw + ix[i] * d;
      const T* src = pg + i * d;
      for (std::int64_t k = 0; k < d; ++k) row[k] += src[k];
    }
  });
  return gw;
}

// Its adjoint: the rows of t at the indices, zero rows at padding_idx ((indices..., dim)).
Tensor embedding_gather(const Tensor& t, const Tensor& indices, std::int64_t padding_idx) {
  const std::int64_t d = t.size(1);
  Shape out_shape = indices.shape();
  out_shape.push_back(d);
  Tensor out = zeros(out_shape, t.dtype());
  dispatch_floating("embedding_backward_backward", t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t* ix = indices.data<std::int64_t>();
    const T* pt = t.data<T>();
    T* po = out.data<T>();
    for (std::int64_t i = 0; i < indices.numel(); ++i)
      if (ix[i] != padding_idx) std::memcpy(po + i * d, pt + ix[i] * d, sizeof(T) * static_cast<std::size_t>(d));
  });
  return out;
}
}  // namespace

Tensor embedding(const Tensor& indices, const Tensor& weight, std::int64_t padding_idx) {
  const char* op = "embedding";
  detail::check_index_tensor(op, indices, "indices");
  detail::check_floating(op, weight, "weight");
  if (weight.dim() != 2)
    throw std::invalid_argument(std::string(op) + ": weight must be 2-D (num_embeddings, embedding_dim), got " +
                                shape_str(weight.shape()));
  const std::int64_t num = weight.size(0), dim = weight.size(1);
  if (padding_idx >= num)
    throw std::invalid_argument(std::string(op) + ": padding_idx " + std::to_string(padding_idx) +
                                " is out of range for num_embeddings " + std::to_string(num));
  const std::int64_t* idx = indices.data<std::int64_t>();
  const std::int64_t n = indices.numel();
  for (std::int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= num)
      throw std::invalid_argument(std::string(op) + ": index " + std::to_string(idx[i]) +
                                  " is out of range for num_embeddings " + std::to_string(num));
  Shape out_shape = indices.shape();
  out_shape.push_back(dim);
  Tensor out = empty(out_shape, weight.dtype());
  const std::size_t row_bytes = static_cast<std::size_t>(dim) * element_size(weight.dtype());
  auto* po = static_cast<char*>(out.raw_data());
  const auto* pw = static_cast<const char*>(weight.raw_data());
  for (std::int64_t i = 0; i < n; ++i) std::memcpy(po + i * row_bytes, pw + idx[i] * row_bytes, row_bytes);

  if (needs_grad({&weight})) {
    record(out, op, {weight}, [indices = detail::save_for_backward(indices), sw = weight.shape(), padding_idx](const Tensor& g) {
      if (is_grad_enabled()) {
        // create_graph: the scatter-add is recorded, with the row gather as its adjoint.
        auto map = std::make_shared<const detail::LinearMap>(detail::LinearMap{
            "embedding_backward", "embedding_backward_backward",
            [indices, sw, padding_idx](const Tensor& t) { return embedding_scatter(t, indices, sw, padding_idx); },
            [indices, padding_idx](const Tensor& t) { return embedding_gather(t, indices, padding_idx); }});
        return one(detail::apply_linear(g, map));
      }
      return one(embedding_scatter(g, indices, sw, padding_idx));
    });
  }
  return out;
}

Tensor one_hot(const Tensor& indices, std::int64_t num_classes, Dtype dtype) {
  const char* op = "one_hot";
  detail::check_index_tensor(op, indices, "indices");
  const std::int64_t* idx = indices.data<std::int64_t>();
  const std::int64_t n = indices.numel();
  std::int64_t max_index = -1;
  for (std::int64_t i = 0; i < n; ++i) {
    if (idx[i] < 0)
      throw std::invalid_argument(std::string(op) + ": class values must be non-negative, got " +
                                  std::to_string(idx[i]));
    max_index = std::max(max_index, idx[i]);
  }
  // num_classes = −1 infers max + 1, as torch.nn.functional.one_hot does.
  if (num_classes < 0) {
    if (num_classes != -1)
      throw std::invalid_argument(std::string(op) + ": num_classes must be -1 (infer) or non-negative, got " +
                                  std::to_string(num_classes));
    if (n == 0) throw std::invalid_argument(std::string(op) + ": cannot infer num_classes from an empty tensor");
    num_classes = max_index + 1;
  }
  if (max_index >= num_classes)
    throw std::invalid_argument(std::string(op) + ": index " + std::to_string(max_index) +
                                " is out of range for num_classes " + std::to_string(num_classes));
  Shape out_shape = indices.shape();
  out_shape.push_back(num_classes);
  Tensor out = zeros(out_shape, dtype);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t at = i * num_classes + idx[i];
    switch (dtype) {
      case kFloat32: out.data<float>()[at] = 1.0f; break;
      case kFloat64: out.data<double>()[at] = 1.0; break;
      case kInt64: out.data<std::int64_t>()[at] = 1; break;
      case kBool: out.data<bool>()[at] = true; break;
    }
  }
  return out;
}

}  // namespace xg
