#pragma once
// Interop with xtensor: xgrad tensors are contiguous row-major buffers, so an xtensor view of one
// costs nothing, and any xtensor expression can become a tensor.
//
//   xt::xarray<double> data = ...;
//   xg::Tensor x = xg::from_xtensor(data).requires_grad_();
//   xg::Tensor y = (x * x).sum();
//   y.backward();
//   auto dx = xg::as_xtensor<double>(x.grad());  // == 2 * data
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xexpression.hpp>

#include "autograd/tensor.hpp"

namespace xg {

namespace detail {

/// The dtype whose C++ element type is T (float, double, int64_t, bool); other types do not compile.
template <class T>
constexpr Dtype dtype_of_element() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t> ||
                    std::is_same_v<T, bool>,
                "xgrad tensors hold float (float32), double (float64), std::int64_t (int64) or bool (bool)");
  if constexpr (std::is_same_v<T, float>) return kFloat32;
  else if constexpr (std::is_same_v<T, double>) return kFloat64;
  else if constexpr (std::is_same_v<T, bool>) return kBool;
  else return kInt64;
}

/// The tensor dtype an xtensor value type becomes: float → float32, double → float64, bool →
/// bool, any other integer type → int64. long double, complex and the rest are refused at compile time.
template <class V>
constexpr Dtype dtype_for_xtensor_value() {
  static_assert(std::is_same_v<V, float> || std::is_same_v<V, double> || std::is_integral_v<V>,
                "from_xtensor: the expression's value_type must be float, double, bool or an integer type "
                "(long double and complex have no xgrad dtype; cast with xt::cast<T> first)");
  if constexpr (std::is_same_v<V, float>) return kFloat32;
  else if constexpr (std::is_same_v<V, double>) return kFloat64;
  else if constexpr (std::is_same_v<V, bool>) return kBool;
  else return kInt64;
}

/// Throws std::invalid_argument naming the op when t is undefined or not of dtype `wanted`, and,
/// for a writable view, when writing into t breaks the in-place-write rule (as copy_ does).
void check_xtensor_view(const Tensor& t, Dtype wanted, bool writable);

inline std::vector<std::size_t> xtensor_shape(const Shape& shape) { return {shape.begin(), shape.end()}; }

template <class S>
Shape shape_from_xtensor(const S& shape) {
  return Shape(shape.begin(), shape.end());
}

}  // namespace detail

/// A zero-copy xtensor view (xt::xarray_adaptor, row-major, the tensor's shape) of t's elements.
/// T must be the tensor's element type (float / double / std::int64_t / bool), else std::invalid_argument
/// naming both dtypes. Writing through it is an in-place write, so it is refused, like copy_, on a
/// leaf that requires grad outside NoGradGuard and on any graph-attached tensor. The view does
/// not keep the storage alive: keep a Tensor that owns it (not a temporary) while you use it.
template <class T>
auto as_xtensor(Tensor& t) {
  detail::check_xtensor_view(t, detail::dtype_of_element<T>(), true);
  return xt::adapt(t.data<T>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(),
                   detail::xtensor_shape(t.shape()));
}

/// The read-only view (no in-place-write check needed).
template <class T>
auto as_xtensor(const Tensor& t) {
  detail::check_xtensor_view(t, detail::dtype_of_element<T>(), false);
  return xt::adapt(t.data<T>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(),
                   detail::xtensor_shape(t.shape()));
}

/// Evaluates any xtensor expression into a new tensor (a copy; requires_grad = false): float →
/// float32, double → float64, bool → bool, other integer types → int64; other value types do not compile.
template <class E>
Tensor from_xtensor(const xt::xexpression<E>& expression) {
  const E& e = expression.derived_cast();
  using V = std::decay_t<typename E::value_type>;
  constexpr Dtype dtype = detail::dtype_for_xtensor_value<V>();
  Tensor out = empty(detail::shape_from_xtensor(e.shape()), dtype);
  if constexpr (dtype == kFloat32) as_xtensor<float>(out) = e;
  else if constexpr (dtype == kFloat64) as_xtensor<double>(out) = e;
  else if constexpr (dtype == kBool) as_xtensor<bool>(out) = e;
  else as_xtensor<std::int64_t>(out) = xt::cast<std::int64_t>(e);
  return out;
}

/// Takes an xarray of float, double or std::int64_t over without copying its elements: the
/// tensor's storage keeps the (moved) xarray alive and frees it when the last tensor sharing it
/// goes. It adopts the buffer when it has xtensor's own container alignment (always true for an
/// xarray with the default allocator: XTENSOR_DEFAULT_ALIGNMENT, 32 bytes on AVX2 builds, 64 with
/// AVX-512 — the batch alignment xtensor's vector paths test) and holds more than 64 bytes;
/// otherwise (small arrays, custom allocators, other value types) it copies like the
/// const-expression overload. `a` is moved from either way.
template <class T>
Tensor from_xtensor(xt::xarray<T>&& a) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t>) {
    constexpr std::size_t alignment = XTENSOR_DEFAULT_ALIGNMENT > 0 ? XTENSOR_DEFAULT_ALIGNMENT : alignof(T);
    const auto address = reinterpret_cast<std::uintptr_t>(a.data());
    if (a.size() * sizeof(T) > 64 && address % alignment == 0) {
      auto owner = std::make_shared<xt::xarray<T>>(std::move(a));
      auto impl = std::make_shared<TensorImpl>();
      impl->shape = detail::shape_from_xtensor(owner->shape());
      impl->dtype = detail::dtype_of_element<T>();
      impl->storage = std::make_shared<Storage>(owner->data(), owner->size() * sizeof(T), owner);
      return Tensor(std::move(impl));
    }
  }
  const xt::xarray<T> taken(std::move(a));
  return from_xtensor(taken);
}

}  // namespace xg
