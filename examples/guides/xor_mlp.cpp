// README.md "XOR in a minute": a 2-8-1 MLP learns XOR. The [guide] region is the README's
// snippet, word for word (scripts/docs.sh checks); it is built and run with the examples.
#include <iostream>

#include <xgrad/xgrad.hpp>

// [guide]
int main() {
  xg::manual_seed(0);
  xg::Tensor x = xg::tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}}, xg::kFloat32);
  xg::Tensor y = xg::tensor({{0}, {1}, {1}, {0}}, xg::kFloat32);
  auto model = std::make_shared<xg::nn::Sequential>(std::make_shared<xg::nn::Linear>(2, 8),
                                                    std::make_shared<xg::nn::Tanh>(),
                                                    std::make_shared<xg::nn::Linear>(8, 1));
  xg::optim::Adam opt(model->parameters(), xg::optim::AdamOptions(0.05));
  for (int step = 0; step < 500; ++step) {
    xg::Tensor loss = xg::mse_loss(xg::sigmoid(model->forward(x)), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  xg::NoGradGuard no_grad;
  xg::Tensor pred = xg::sigmoid(model->forward(x)) > 0.5;  // a bool tensor
  std::cout << "predictions: " << pred.to(xg::kInt64).view({-1}) << "\n";
  std::cout << "all correct: " << xg::equal(pred, y.to(xg::kBool)) << "\n";
  return xg::equal(pred, y.to(xg::kBool)) ? 0 : 1;
}
// [/guide]
