#pragma once
// The one place xtensor is included from (STYLE: its header layout can then change in one file).
// Internal to .cpp files; public headers speak xg::Tensor only.
#include <array>
#include <cstddef>
#include <cstdint>

#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xtensor.hpp>

namespace xg::detail {

/// A 1-D xtensor view over `n` elements at `data` (no copy, no ownership).
template <typename T>
auto flat_view(T* data, std::int64_t n) {
  const auto size = static_cast<std::size_t>(n);
  return xt::adapt(data, size, xt::no_ownership(), std::array<std::size_t, 1>{size});
}

}  // namespace xg::detail
