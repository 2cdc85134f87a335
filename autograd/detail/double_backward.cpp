#include "autograd/detail/double_backward.hpp"

#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_shape.hpp"

namespace xg::detail {

Tensor apply_linear(const Tensor& x, const std::shared_ptr<const LinearMap>& map, bool adjoint) {
  Tensor out = adjoint ? map->adjoint(x) : map->forward(x);
  if (needs_grad({&x}))
    record(out, adjoint ? map->adjoint_name : map->name, {x},
           [map, adjoint](const Tensor& g) { return std::vector<Tensor>{apply_linear(g, map, !adjoint)}; });
  return out;
}

Tensor reduce_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape || !is_grad_enabled() || !g.requires_grad()) return sum_to_shape(g, shape);
  // Broadcasting prepended dims and stretched size-1 dims; sum them (keeping dims), then drop
  // the prepended ones with a reshape. sum_to_shape validated nothing yet: it throws below if
  // the shapes do not broadcast, as the raw path would.
  const std::size_t lead = g.dim() >= static_cast<std::int64_t>(shape.size()) ? g.shape().size() - shape.size() : 0;
  std::vector<std::int64_t> dims;
  for (std::size_t d = 0; d < g.shape().size(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1)) dims.push_back(static_cast<std::int64_t>(d));
  if (dims.empty() && lead == 0) return sum_to_shape(g, shape);  // mismatched shapes: let it throw
  return reshape(sum(g, dims, /*keepdim=*/true), shape);
}

}  // namespace xg::detail
