// A user's program: a two-layer MLP fits y = tanh(2x) - 0.1 x² for a few Adam steps and exits non-zero
// unless the loss went down by at least half. Built against xgrad four ways by tests/consumer/run.sh.
#include <cstdio>
#include <cstring>
#include <memory>

#include <xgrad/xgrad.hpp>

int main() {
  // The headers this file was compiled with must be the library it runs with.
  if (xg::version() != XGRAD_VERSION) {
    std::fprintf(stderr, "version mismatch: headers %s, library %s\n", XGRAD_VERSION, xg::version().c_str());
    return 1;
  }
  xg::manual_seed(0);
  auto model = std::make_shared<xg::nn::Sequential>(
      std::make_shared<xg::nn::Linear>(1, 16), std::make_shared<xg::nn::Tanh>(),
      std::make_shared<xg::nn::Linear>(16, 1));
  xg::optim::Adam optimizer(model->parameters(), xg::optim::AdamOptions(0.01));
  xg::Tensor x = xg::rand({64, 1}) * 6.0 - 3.0;
  xg::Tensor y = xg::tanh(2.0 * x) - 0.1 * x * x;

  double first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    optimizer.zero_grad();
    xg::Tensor loss = xg::mse_loss(model->forward(x), y);
    loss.backward();
    optimizer.step();
    (step == 0 ? first : last) = loss.item();
  }
  // Raw element access links too (Tensor::data<T> is a member template, exported explicitly).
  const float* raw = x.data<float>();  // x is float32
  if (raw[0] != static_cast<float>(x.at({0, 0}))) return 1;
  std::printf("xgrad %s: loss %.4f -> %.4f\n", xg::version().c_str(), first, last);
  return last < 0.5 * first ? 0 : 1;
}
