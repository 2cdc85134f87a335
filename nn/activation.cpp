#include "nn/activation.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops_nn.hpp"
#include "autograd/ops_unary.hpp"

namespace xg::nn {

Tensor Softmax::forward(const Tensor& input) { return softmax(input, options.dim()); }
Tensor LogSoftmax::forward(const Tensor& input) { return log_softmax(input, options.dim()); }
Tensor Tanh::forward(const Tensor& input) { return tanh(input); }
Tensor ReLU::forward(const Tensor& input) { return relu(input); }
Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

Dropout::Dropout(const DropoutOptions& o) : Module("Dropout"), options(o) {
  const double p = o.p();
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument("Dropout: probability has to be between 0 and 1, but got " + std::to_string(p));
}

Tensor Dropout::forward(const Tensor& input) {
  return dropout(input, options.p(), is_training(), generator_ ? *generator_ : default_generator());
}

}  // namespace xg::nn
