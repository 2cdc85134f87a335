#include "nn/activation.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops_nn.hpp"
#include "autograd/ops_unary.hpp"

namespace xg::nn {

Tensor Softmax::forward(const Tensor& input) { return softmax(input, dim); }
Tensor LogSoftmax::forward(const Tensor& input) { return log_softmax(input, dim); }
Tensor Tanh::forward(const Tensor& input) { return tanh(input); }
Tensor ReLU::forward(const Tensor& input) { return relu(input); }
Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

Dropout::Dropout(double probability) : Module("Dropout"), p(probability) {
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument("Dropout: probability has to be between 0 and 1, but got " + std::to_string(p));
}

Tensor Dropout::forward(const Tensor& input) {
  return dropout(input, p, is_training(), generator_ ? *generator_ : default_generator());
}

}  // namespace xg::nn
