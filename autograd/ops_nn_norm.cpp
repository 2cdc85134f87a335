#include "autograd/ops_nn_norm.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "autograd/detail/kernel_utils.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_math.hpp"
#include "autograd/ops_reduce.hpp"

namespace xg {

namespace {

bool ends_with(const Shape& shape, const Shape& tail) {
  return shape.size() >= tail.size() && std::equal(tail.begin(), tail.end(), shape.end() - tail.size());
}

void check_layer_norm_args(const Tensor& input, const Shape& normalized_shape, const Tensor& weight,
                           const Tensor& bias) {
  detail::check_floating("layer_norm", input);
  if (normalized_shape.empty())
    throw std::invalid_argument("layer_norm: normalized_shape must hold at least one dim, got []");
  if (!ends_with(input.shape(), normalized_shape))
    throw std::invalid_argument(
        "layer_norm: expected an input whose trailing "
        "dims are normalized_shape " +
        shape_str(normalized_shape) + ", got an input of shape " + shape_str(input.shape()));
  for (const auto& [t, name] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
    if (!t->defined()) continue;
    if (t->shape() != normalized_shape)
      throw std::invalid_argument(std::string("layer_norm: expected ") + name + " of shape normalized_shape " +
                                  shape_str(normalized_shape) + ", got " + shape_str(t->shape()));
    detail::check_same_dtype("layer_norm", input, *t);
  }
}

}  // namespace

Tensor layer_norm(const Tensor& input, const std::vector<std::int64_t>& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  check_layer_norm_args(input, normalized_shape, weight, bias);
  std::vector<std::int64_t> dims;
  for (std::int64_t d = input.dim() - static_cast<std::int64_t>(normalized_shape.size()); d < input.dim(); ++d)
    dims.push_back(d);
  // Centre first, then average the squares: the two-pass variance loses no
  // digits to E[x²] − E[x]².
  const Tensor centred = sub(input, mean(input, dims, /*keepdim=*/true));
  const Tensor variance = mean(mul(centred, centred), dims, /*keepdim=*/true);
  Tensor out = mul(centred, rsqrt(add(variance, eps)));
  if (weight.defined()) out = mul(out, weight);
  if (bias.defined()) out = add(out, bias);
  return out;
}

}  // namespace xg
