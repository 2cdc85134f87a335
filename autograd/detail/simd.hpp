#pragma once
// Vectorised elementwise maps over raw buffers with xsimd (the SIMD layer of the xtensor stack).
// Internal to .cpp files.
//
// Why not xtensor expressions over xt::adapt views: their SIMD assignment decides per call
// whether to peel a scalar prologue, so the same input could come out 1 ulp different from
// one call to the next (seen with tanh). Here every element, tail included, goes through the
// same batch function, so a value's result never depends on its position or on the buffer.
#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>

#include "autograd/detail/parallel.hpp"

namespace xg::detail {

/// out[i] = f(in[i]) where f maps an xsimd::batch<T> to a batch<T>, on one thread.
template <typename T, typename F>
void simd_map_serial(const T* in, T* out, std::int64_t n, F&& f) {
  using Batch = xsimd::batch<T>;
  constexpr std::int64_t width = static_cast<std::int64_t>(Batch::size);
  std::int64_t i = 0;
  for (; i + width <= n; i += width) f(Batch::load_unaligned(in + i)).store_unaligned(out + i);
  if (i < n) {
    alignas(64) T tail[width] = {};
    std::memcpy(tail, in + i, static_cast<std::size_t>(n - i) * sizeof(T));
    f(Batch::load_aligned(tail)).store_aligned(tail);
    std::memcpy(out + i, tail, static_cast<std::size_t>(n - i) * sizeof(T));
  }
}

/// The same, split over two threads for large n (f is meant to be transcendental: tanh, exp...).
template <typename T, typename F>
void simd_map(const T* in, T* out, std::int64_t n, F&& f) {
  parallel_range(n, kParallelTranscendental,
                 [&](std::int64_t begin, std::int64_t end) { simd_map_serial(in + begin, out + begin, end - begin, f); });
}

}  // namespace xg::detail
