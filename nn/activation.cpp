#include "nn/activation.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops_activation.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_unary.hpp"
#include "nn/detail/repr.hpp"

namespace xg::nn {

Tensor Softmax::forward(const Tensor& input) { return softmax(input, options.dim()); }
Tensor LogSoftmax::forward(const Tensor& input) { return log_softmax(input, options.dim()); }
Tensor Tanh::forward(const Tensor& input) { return tanh(input); }
Tensor ReLU::forward(const Tensor& input) { return relu(input); }
Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

Tensor GELU::forward(const Tensor& input) { return gelu(input, options.approximate()); }
Tensor SiLU::forward(const Tensor& input) { return silu(input); }
Tensor LeakyReLU::forward(const Tensor& input) { return leaky_relu(input, options.negative_slope()); }
Tensor ELU::forward(const Tensor& input) { return elu(input, options.alpha()); }
Tensor Softplus::forward(const Tensor& input) { return softplus(input, options.beta(), options.threshold()); }
Tensor Hardtanh::forward(const Tensor& input) { return hardtanh(input, options.min_val(), options.max_val()); }
Tensor LogSigmoid::forward(const Tensor& input) { return log_sigmoid(input); }

std::string LeakyReLU::extra_repr() const { return "negative_slope=" + detail::python_float(options.negative_slope()); }
std::string ELU::extra_repr() const { return "alpha=" + detail::python_float(options.alpha()); }
std::string Softplus::extra_repr() const {
  return "beta=" + detail::python_float(options.beta()) + ", threshold=" + detail::python_float(options.threshold());
}

// The functional hardtanh accepts any bounds (clamp's rule); the module refuses a reversed or empty
// range, as libtorch's HardtanhImpl does.
Hardtanh::Hardtanh(const HardtanhOptions& o) : Module("Hardtanh"), options(o) {
  if (!(o.max_val() > o.min_val()))
    throw std::invalid_argument("Hardtanh: max_val must be larger than min_val, got min_val = " +
                                detail::python_float(o.min_val()) + ", max_val = " + detail::python_float(o.max_val()));
}

std::string Hardtanh::extra_repr() const {
  return "min_val=" + detail::python_float(options.min_val()) + ", max_val=" + detail::python_float(options.max_val());
}

Dropout::Dropout(const DropoutOptions& o) : Module("Dropout"), options(o) {
  const double p = o.p();
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument("Dropout: probability has to be between 0 and 1, but got " + std::to_string(p));
}

Tensor Dropout::forward(const Tensor& input) {
  return dropout(input, options.p(), is_training(), generator_ ? *generator_ : default_generator());
}

}  // namespace xg::nn
