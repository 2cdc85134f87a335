#include "nn/linear.hpp"

#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/ops_linalg.hpp"
#include "nn/init.hpp"

namespace xg::nn {

Linear::Linear(const LinearOptions& o) : Module("Linear"), options(o) {
  const std::int64_t in = o.in_features(), out = o.out_features();
  if (in <= 0 || out <= 0)
    throw std::invalid_argument("Linear: in_features and out_features must be positive, got in_features = " +
                                std::to_string(in) + ", out_features = " + std::to_string(out));
  weight = register_parameter("weight", empty({out, in}));
  init::linear_uniform_(weight, in);
  if (o.bias()) {
    bias = register_parameter("bias", empty({out}));
    init::linear_uniform_(bias, in);
  }
}

Tensor Linear::forward(const Tensor& input) { return linear(input, weight, bias); }

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(options.in_features()) + ", out_features=" + std::to_string(options.out_features()) +
         ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace xg::nn
