#pragma once
// Elementwise kernels of the math and activation ops (internal): xsimd batch functions mapped
// over whole tensors. Every element, tail included, goes through the same batch function (see
// simd.hpp), so a value's result never depends on its position (tests/test_xtensor_determinism).
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/simd.hpp"

namespace xg::detail {

/// The element type of an xsimd batch (or of a scalar standing in for one) inside the generic
/// lambdas given to simd_unary / simd_binary.
template <typename B>
using value_of = typename std::decay_t<B>::value_type;

/// out[i] = f(a[i], b[i]) with f mapping two xsimd batches to one, on one thread.
template <typename T, typename F>
void simd_zip_serial(const T* a, const T* b, T* out, std::int64_t n, F&& f) {
  using Batch = xsimd::batch<T>;
  constexpr std::int64_t width = static_cast<std::int64_t>(Batch::size);
  std::int64_t i = 0;
  for (; i + width <= n; i += width) f(Batch::load_unaligned(a + i), Batch::load_unaligned(b + i)).store_unaligned(out + i);
  if (i < n) {
    alignas(64) T ta[width] = {};
    alignas(64) T tb[width] = {};
    const auto bytes = static_cast<std::size_t>(n - i) * sizeof(T);
    std::memcpy(ta, a + i, bytes);
    std::memcpy(tb, b + i, bytes);
    f(Batch::load_aligned(ta), Batch::load_aligned(tb)).store_aligned(ta);
    std::memcpy(out + i, ta, bytes);
  }
}

/// A new tensor f(x) for a floating x; f maps an xsimd batch to a batch (float or double).
template <typename F>
Tensor simd_unary(const char* op, const Tensor& x, F&& f) {
  check_floating(op, x);
  Tensor out = empty_like(x);
  dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    simd_map(x.data<T>(), out.data<T>(), x.numel(), f);
  });
  return out;
}

/// A new tensor f(a, b) for two floating tensors of one shape and dtype (callers broadcast first).
template <typename F>
Tensor simd_binary(const char* op, const Tensor& a, const Tensor& b, F&& f) {
  Tensor out = empty_like(a);
  dispatch_floating(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    parallel_range(a.numel(), kParallelTranscendental, [&](std::int64_t begin, std::int64_t end) {
      simd_zip_serial(pa + begin, pb + begin, po + begin, end - begin, f);
    });
  });
  return out;
}

}  // namespace xg::detail
