#pragma once
// Internal xtensor views of tensors: xt::adapt over the tensor's contiguous row-major buffer, no
// copy, no checks (the public, checked form is autograd/xtensor.hpp's as_xtensor). Kernels that
// run on xtensor (the reducers in xreduce.cpp, new ops' expressions) see tensors through it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xadapt.hpp>

#include "autograd/tensor.hpp"

namespace xg::detail {

using XShape = std::vector<std::size_t>;

inline XShape xshape(const Shape& shape) { return XShape(shape.begin(), shape.end()); }

/// A writable view of t's buffer with `shape` (same number of elements). Kernels write through it
/// into tensors they have just allocated, so no version bump.
template <class T>
auto xview(const Tensor& t, const XShape& shape) {
  return xt::adapt(static_cast<T*>(t.raw_data()), static_cast<std::size_t>(t.numel()), xt::no_ownership(), shape);
}
template <class T>
auto xview(const Tensor& t) {
  return xview<T>(t, xshape(t.shape()));
}

}  // namespace xg::detail
