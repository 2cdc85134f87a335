// docs/guides/tensors_autograd.md: tensors, ops, backward, no_grad, gradcheck.
// The region between the [guide] markers is the guide's snippet, word for word (scripts/docs.sh checks).
#include <iostream>

#include <xgrad/xgrad.hpp>

// [guide]
int main() {
  // Creation: shapes are braced lists; float32 unless a dtype is given.
  xg::Tensor a = xg::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  xg::Tensor b = xg::ones({3});  // broadcasts against a's last dimension
  xg::Tensor idx = xg::from_vector({2, 0}, {2}, xg::kInt64);
  std::cout << "a + b = " << (a + b) << "\n";
  std::cout << "shape " << xg::shape_str(a.shape()) << ", a[1][2] = " << a.at({1, 2})
            << ", idx[0] = " << idx.at({0}) << "\n";

  // Autograd: leaves that require grad collect gradients; ops record a tape.
  xg::manual_seed(0);
  xg::Tensor w = xg::randn({3, 2}).requires_grad_();
  xg::Tensor y = xg::tanh(xg::matmul(a, w)).sum();  // (2,3)·(3,2) → (2,2) → scalar
  y.backward();                                      // ∂y/∂w accumulates into w.grad()
  std::cout << "w.grad() = " << w.grad() << "\n";

  // Inference and hand-written updates run without recording.
  {
    xg::NoGradGuard no_grad;
    xg::Tensor prediction = xg::matmul(a, w);
    std::cout << "recorded under no_grad: " << prediction.requires_grad() << "\n";
  }
  xg::Tensor frozen = w.detach();  // shares data, cut from the graph

  // Check your own function's gradient against float64 central differences.
  xg::Tensor x = xg::randn({4}, xg::kFloat64).requires_grad_();
  xg::GradcheckResult check = xg::gradcheck(
      [](const std::vector<xg::Tensor>& in) { return xg::sigmoid(in[0]) * in[0]; }, {x});
  std::cout << "gradcheck: " << (check.ok ? "ok" : check.message) << "\n";
  return check.ok && !frozen.requires_grad() ? 0 : 1;
}
// [/guide]
