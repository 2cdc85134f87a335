#include "nn/normalization.hpp"

#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/ops_nn_norm.hpp"
#include "nn/detail/repr.hpp"
#include "nn/init.hpp"

namespace xg::nn {

LayerNorm::LayerNorm(const LayerNormOptions& o) : Module("LayerNorm"), options(o) {
  const Shape& shape = o.normalized_shape();
  for (std::int64_t size : shape)
    if (size < 0)
      throw std::invalid_argument("LayerNorm: normalized_shape must hold sizes >= 0, got " + shape_str(shape));
  if (o.elementwise_affine()) {
    weight = register_parameter("weight", empty(shape));
    bias = register_parameter("bias", empty(shape));
    reset_parameters();
  }
}

void LayerNorm::reset_parameters() {
  if (!options.elementwise_affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNorm::forward(const Tensor& input) {
  return layer_norm(input, options.normalized_shape(), weight, bias, options.eps());
}

std::string LayerNorm::extra_repr() const {
  return detail::python_tuple(options.normalized_shape()) + ", eps=" + detail::python_float(options.eps()) +
         ", elementwise_affine=" + (options.elementwise_affine() ? "True" : "False");
}

}  // namespace xg::nn
