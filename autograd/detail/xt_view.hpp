#pragma once
// Internal xtensor views over a tensor's buffer for kernels (no dtype or in-place-write checks:
// the caller has dispatched on the dtype and owns the output). Public code uses as_xtensor.
#include <cstddef>

#include <xtensor/xadapt.hpp>
#include <xtensor/xnoalias.hpp>

#include "autograd/tensor.hpp"

namespace xg::detail {

template <typename T>
auto xt_view(const Tensor& t) {
  return xt::adapt(static_cast<const T*>(t.raw_data()), static_cast<std::size_t>(t.numel()), xt::no_ownership(),
                   std::vector<std::size_t>(t.shape().begin(), t.shape().end()));
}

template <typename T>
auto xt_mutable_view(const Tensor& t) {
  return xt::adapt(static_cast<T*>(t.raw_data()), static_cast<std::size_t>(t.numel()), xt::no_ownership(),
                   std::vector<std::size_t>(t.shape().begin(), t.shape().end()));
}

}  // namespace xg::detail
