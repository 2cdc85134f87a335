#pragma once
// Internal helpers shared by the op families' .cpp files. Not part of the public API.
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "autograd/detail/parallel.hpp"
#include "autograd/tensor.hpp"

namespace xg::detail {

/// Calls f(T{}) with T = float or double according to `dtype`; int64 is rejected naming the op.
template <typename F>
decltype(auto) dispatch_floating(const char* op, Dtype dtype, F&& f) {
  switch (dtype) {
    case kFloat32: return f(float{});
    case kFloat64: return f(double{});
    default: break;
  }
  throw std::invalid_argument(std::string(op) + ": expected a floating point tensor (float32 or float64), got " +
                              dtype_name(dtype));
}

/// Calls f(T{}) with T = float, double, std::int64_t or bool according to `dtype` (ops defined
/// on every dtype: comparisons, where, indexing, conversions).
template <typename F>
decltype(auto) dispatch_all(Dtype dtype, F&& f) {
  switch (dtype) {
    case kFloat32: return f(float{});
    case kFloat64: return f(double{});
    case kInt64: return f(std::int64_t{});
    case kBool: break;
  }
  return f(bool{});
}

inline void check_defined(const char* op, const Tensor& t, const char* what = "input") {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": " + what + " is an undefined tensor");
}

inline void check_floating(const char* op, const Tensor& t, const char* what = "input") {
  check_defined(op, t, what);
  if (!is_floating(t.dtype()))
    throw std::invalid_argument(std::string(op) + ": " + what + " must be float32 or float64, got " +
                                dtype_name(t.dtype()));
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    throw std::invalid_argument(std::string(op) + ": dtypes differ: " + dtype_name(a.dtype()) + " " +
                                shape_str(a.shape()) + " and " + dtype_name(b.dtype()) + " " + shape_str(b.shape()) +
                                " (convert one with .to())");
}

inline void check_index_tensor(const char* op, const Tensor& t, const char* what = "index") {
  check_defined(op, t, what);
  if (t.dtype() != kInt64)
    throw std::invalid_argument(std::string(op) + ": " + what + " must be an int64 tensor, got " +
                                dtype_name(t.dtype()));
}

/// A tensor seen as [outer, n, inner] around dim d (already normalised; rank 0 is [1, 1, 1]):
/// element (o, k, i) sits at (o·n + k)·inner + i. The one split the hand-written lane kernels
/// (softmax, the class-index losses, index_select's backward) use.
struct AxisSplit {
  std::int64_t outer = 1, n = 1, inner = 1;
};
inline AxisSplit split_at(const Shape& shape, std::int64_t d) {
  AxisSplit s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const auto di = static_cast<std::int64_t>(i);
    if (di < d) s.outer *= shape[i];
    else if (di > d) s.inner *= shape[i];
    else s.n = shape[i];
  }
  return s;
}

/// A tensor with the same shape and dtype, uninitialised (the public xg::empty_like).
using xg::empty_like;

/// The result of a one-input backward closure: `return detail::one(dx);`.
inline std::vector<Tensor> one(Tensor g) { return std::vector<Tensor>{std::move(g)}; }

}  // namespace xg::detail

namespace xg::detail {

/// out[i] = f(x[i]) for a floating tensor (f is a generic lambda, called with float or double).
template <typename F>
Tensor map_floating(const char* op, const Tensor& x, F&& f) {
  check_floating(op, x);
  Tensor out = empty_like(x);
  dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = x.data<T>();
    T* o = out.data<T>();
    const std::int64_t n = x.numel();
    parallel_range(n, kParallelElements, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) o[i] = f(in[i]);
    });
  });
  return out;
}

/// out[i] = f(a[i], b[i]) for two same-shaped, same-dtype floating tensors (backward kernels).
template <typename F>
Tensor zip_floating(const char* op, const Tensor& a, const Tensor& b, F&& f) {
  Tensor out = empty_like(a);
  dispatch_floating(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* o = out.data<T>();
    const std::int64_t n = a.numel();
    parallel_range(n, kParallelElements, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) o[i] = f(pa[i], pb[i]);
    });
  });
  return out;
}

/// out[i] = f(a[i], b[i], c[i]) for three same-shaped, same-dtype floating tensors.
template <typename F>
Tensor zip3_floating(const char* op, const Tensor& a, const Tensor& b, const Tensor& c, F&& f) {
  Tensor out = empty_like(a);
  dispatch_floating(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    const T* pc = c.data<T>();
    T* o = out.data<T>();
    const std::int64_t n = a.numel();
    parallel_range(n, kParallelElements, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) o[i] = f(pa[i], pb[i], pc[i]);
    });
  });
  return out;
}

}  // namespace xg::detail
