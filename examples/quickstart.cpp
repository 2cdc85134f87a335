// A tiny regression trained with autograd and a hand-written SGD step: y = 3x − 2 + noise.
#include <iostream>

#include "xgrad.hpp"

int main() {
  xg::manual_seed(0);
  xg::Tensor x = xg::randn({64, 1});
  xg::Tensor y = 3.0 * x - 2.0 + 0.1 * xg::randn({64, 1});
  xg::Tensor w = xg::zeros({1}).requires_grad_(), b = xg::zeros({1}).requires_grad_();
  for (int step = 0; step < 200; ++step) {
    xg::Tensor loss = xg::mean(xg::pow(x * w + b - y, 2.0));
    loss.backward();
    xg::NoGradGuard no_grad;  // the update itself is not part of the graph
    for (xg::Tensor* p : {&w, &b}) {
      xg::copy_(*p, *p - 0.1 * p->grad());
      p->set_grad(xg::Tensor());
    }
    if (step % 50 == 0) std::cout << "step " << step << " loss " << loss.item() << "\n";
  }
  std::cout << "w = " << w.item() << " (true 3), b = " << b.item() << " (true -2)\n";
}
