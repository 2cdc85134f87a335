// docs/guides/threads_determinism.md: thread count, seeds, generator state, bitwise results.
// The region between the [guide] markers is the guide's snippet, word for word (scripts/docs.sh checks).
#include <iostream>
#include <vector>

#include <xgrad/xgrad.hpp>

// [guide]
// One forward and backward of a layer big enough to be split across threads; returns the
// gradient's values.
std::vector<double> weight_gradient() {
  xg::Generator generator(42);  // an explicit stream: the result does not depend on other code
  xg::Tensor x = xg::randn({256, 512}, generator);
  xg::Tensor w = xg::randn({512, 512}, generator).requires_grad_();
  xg::tanh(xg::matmul(x, w)).sum().backward();
  return w.grad().to_vector();
}

int main() {
  std::cout << xg::backend_summary() << "\n";

  // Work is cut by shape, never by thread count: 1 and n threads give the same bits.
  xg::set_num_threads(1);
  std::vector<double> one = weight_gradient();
  xg::set_num_threads(5);
  std::vector<double> five = weight_gradient();
  std::cout << "1 thread == 5 threads, bitwise: " << (one == five) << "\n";

  // Seeds: the default generator (xg::manual_seed), or pass your own Generator to rand/randn.
  xg::manual_seed(7);
  xg::Tensor a = xg::randn({3});
  xg::manual_seed(7);
  xg::Tensor b = xg::randn({3});

  // A generator's whole state is a string you can store in a checkpoint and restore exactly.
  xg::Generator generator(123);
  xg::randn({100}, generator);
  std::string saved = generator.to_string();
  xg::Tensor c = xg::randn({3}, generator);
  generator.set_state_from_string(saved);
  xg::Tensor d = xg::randn({3}, generator);

  bool ok = one == five && a.to_vector() == b.to_vector() && c.to_vector() == d.to_vector();
  std::cout << "same seed, same numbers: " << ok << "\n";
  return ok ? 0 : 1;
}
// [/guide]
