// docs/guides/custom_op.md: a differentiable op of your own, written in xtensor and checked.
// The region between the [guide] markers is the guide's snippet, word for word (scripts/docs.sh checks).
#include <iostream>
#include <vector>

#include <xtensor/xmath.hpp>

#include <xgrad/xgrad.hpp>

// [guide]
// softplus(x) = log(1 + eˣ), with d softplus / dx = sigmoid(x) = 1 / (1 + e⁻ˣ).
xg::Tensor my_softplus(const xg::Tensor& x) {
  // Forward: a new tensor, filled by an xtensor expression over a zero-copy view of x.
  xg::Tensor y = xg::empty(x.shape(), x.dtype());
  xg::as_xtensor<double>(y) = xt::log1p(xt::exp(xg::as_xtensor<double>(x)));
  // Backward: recorded only when some input needs a gradient. The closure captures what it
  // needs as detached tensors and returns one gradient per input.
  if (xg::needs_grad({&x}))
    xg::record(y, "my_softplus", {x}, [x = x.detach()](const xg::Tensor& grad) {
      xg::Tensor dx = xg::empty(x.shape(), x.dtype());
      xg::as_xtensor<double>(dx) = xg::as_xtensor<double>(grad) / (1.0 + xt::exp(-xg::as_xtensor<double>(x)));
      return std::vector<xg::Tensor>{dx};
    });
  return y;
}

int main() {
  xg::manual_seed(0);
  xg::Tensor a = xg::randn({3, 4}, xg::kFloat64).requires_grad_();
  xg::Tensor b = xg::randn({4}, xg::kFloat64).requires_grad_();
  // It composes with every other op, broadcasting included.
  (my_softplus(a * b) * 2.0).sum().backward();
  std::cout << "a.grad() = " << a.grad() << "\n";
  // Float64 central differences against the backward we wrote.
  xg::GradcheckResult check = xg::gradcheck(
      [](const std::vector<xg::Tensor>& in) { return my_softplus(in[0] * in[1]); }, {a, b});
  std::cout << "gradcheck: " << (check.ok ? "ok" : check.message) << "\n";
  return check.ok ? 0 : 1;
}
// [/guide]
