// A fixed amount of per-op work for instruction counting: `add_chain N` runs N chains of 100
// adds of 1-element tensors, forward and backward (micro_ops' BM_AddChainForwardBackward), with
// no timing loop, so `valgrind --tool=callgrind build/bench/add_chain 200` gives a count that
// other processes on the machine cannot disturb. Chains run before the counted ones warm up
// the allocator.
#include <cstdlib>

#include "xgrad.hpp"

int main(int argc, char** argv) {
  const int chains = argc > 1 ? std::atoi(argv[1]) : 200;
  xg::Tensor a = xg::ones({1}).requires_grad_();
  xg::Tensor b = xg::full({1}, 0.5).requires_grad_();
  double checksum = 0;
  for (int c = 0; c < chains; ++c) {
    xg::Tensor x = a;
    for (int i = 0; i < 100; ++i) x = xg::add(x, b);
    xg::sum(x).backward();
    checksum += a.grad().item() + b.grad().item();
    a.set_grad(xg::Tensor());
    b.set_grad(xg::Tensor());
  }
  return checksum == 101.0 * chains ? 0 : 1;  // every chain: d/da = 1, d/db = 100
}
