#include "nn/bilinear.hpp"

#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/ops_bilinear.hpp"
#include "nn/init.hpp"

namespace xg::nn {

Bilinear::Bilinear(const BilinearOptions& o) : Module("Bilinear"), options(o) {
  const std::int64_t in1 = o.in1_features(), in2 = o.in2_features(), out = o.out_features();
  if (in1 <= 0 || in2 <= 0 || out <= 0)
    throw std::invalid_argument("Bilinear: in1_features, in2_features and out_features must be positive, got " +
                                std::to_string(in1) + ", " + std::to_string(in2) + " and " + std::to_string(out));
  weight = register_parameter("weight", empty({out, in1, in2}));
  init::linear_uniform_(weight, in1);  // PyTorch's bound is 1/√weight.size(1) for weight and bias
  if (o.bias()) {
    bias = register_parameter("bias", empty({out}));
    init::linear_uniform_(bias, in1);
  }
}

Tensor Bilinear::forward(const Tensor& input1, const Tensor& input2) { return bilinear(input1, input2, weight, bias); }

std::string Bilinear::extra_repr() const {
  return "in1_features=" + std::to_string(options.in1_features()) +
         ", in2_features=" + std::to_string(options.in2_features()) +
         ", out_features=" + std::to_string(options.out_features()) + ", bias=" + (bias.defined() ? "True" : "False");
}

}  // namespace xg::nn
