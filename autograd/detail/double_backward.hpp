#pragma once
#include <functional>
#include <memory>

#include "autograd/tensor.hpp"

// Helpers for backward closures running under create_graph (grad mode on during backward):
// there a closure must build its result from recorded ops, so that the gradient it returns is
// itself differentiable. With create_graph false the closures keep their fused raw kernels; these
// helpers are only called on the recorded path, so first-order backward pays nothing for them.

namespace xg::detail {

/// A linear map computed by a raw kernel, together with its adjoint (transpose). apply_linear
/// runs the map and records a node whose backward applies the adjoint the same way, so the
/// pair is differentiable to any order (a sum's backward broadcasts, a broadcast's backward
/// sums, a scatter's backward gathers, ...).
struct LinearMap {
  const char* name;
  const char* adjoint_name;
  std::function<Tensor(const Tensor&)> forward;
  std::function<Tensor(const Tensor&)> adjoint;
};
Tensor apply_linear(const Tensor& x, const std::shared_ptr<const LinearMap>& map, bool adjoint = false);

/// sum_to_shape for a gradient that may be part of a graph: recorded (sum over the broadcast
/// dims, then reshape) when grad mode is on, the raw kernel otherwise.
Tensor reduce_to_shape(const Tensor& g, const Shape& shape);
}  // namespace xg::detail
