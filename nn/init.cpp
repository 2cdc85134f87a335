#include "nn/init.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/grad_mode.hpp"

namespace xg::nn::init {

// Initialisers write parameters in place outside the graph, like torch.nn.init (torch.no_grad()):
// the in-place writes themselves refuse leaves that require grad while grad mode is on.
void uniform_(Tensor& t, double low, double high, Generator& generator) {
  NoGradGuard no_grad;
  xg::uniform_(t, low, high, generator);
}
void normal_(Tensor& t, double mean, double std, Generator& generator) {
  NoGradGuard no_grad;
  xg::normal_(t, mean, std, generator);
}
void zeros_(Tensor& t) {
  NoGradGuard no_grad;
  fill_(t, 0.0);
}
void ones_(Tensor& t) {
  NoGradGuard no_grad;
  fill_(t, 1.0);
}

void linear_uniform_(Tensor& t, std::int64_t fan_in, Generator& generator) {
  if (fan_in <= 0) throw std::invalid_argument("linear_uniform_: fan_in must be positive, got " + std::to_string(fan_in));
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  init::uniform_(t, -bound, bound, generator);
}

}  // namespace xg::nn::init
