#include "nn/flatten.hpp"

#include <string>

#include "autograd/ops_shape.hpp"
#include "nn/detail/repr.hpp"

namespace xg::nn {

Tensor Flatten::forward(const Tensor& input) { return flatten(input, options.start_dim(), options.end_dim()); }

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(options.start_dim()) + ", end_dim=" + std::to_string(options.end_dim());
}

Tensor Unflatten::forward(const Tensor& input) { return unflatten(input, options.dim(), options.sizes()); }

std::string Unflatten::extra_repr() const {
  return "dim=" + std::to_string(options.dim()) + ", unflattened_size=" + detail::python_tuple(options.sizes());
}

}  // namespace xg::nn
