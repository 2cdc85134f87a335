// README.md, "Autograd beyond first order": autograd::grad, a Hessian-vector product, a custom
// Function and hooks. The region between the [guide] markers is the README's snippet, word for
// word (scripts/docs.sh checks).
#include <cmath>
#include <iostream>

#include <xgrad/xgrad.hpp>

// [guide]
// A custom op (libtorch's torch::autograd::Function): y = x³ with its own backward, written in
// xg ops so that it can be differentiated again.
struct Cube : xg::autograd::Function<Cube> {
  static xg::Tensor forward(xg::autograd::AutogradContext* ctx, xg::Tensor x) {
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static xg::autograd::variable_list backward(xg::autograd::AutogradContext* ctx,
                                              xg::autograd::variable_list grad_outputs) {
    xg::Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * 3.0 * x * x};
  }
};

int main() {
  xg::Tensor x = xg::from_vector({0.5, -1.0, 2.0}, {3}, xg::kFloat64).requires_grad_();
  xg::Tensor f = xg::sum(xg::tanh(x) * Cube::apply(x));

  // Gradients returned instead of accumulated (x.grad stays untouched), kept differentiable.
  xg::Tensor g = xg::autograd::grad({f}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  // Hessian-vector product H·v = ∇(∇f · v), without forming H.
  xg::Tensor v = xg::from_vector({1.0, 0.0, 0.0}, {3}, xg::kFloat64);
  xg::Tensor hv = xg::autograd::grad({xg::sum(g * v)}, {x})[0];

  // Hooks: see (and may replace) a gradient as it flows; run code after a leaf's .grad is set.
  xg::Tensor y = xg::tanh(x);
  y.register_hook([](const xg::Tensor& grad) { return grad * 2.0; });  // doubles what reaches x
  x.register_post_accumulate_grad_hook([](const xg::Tensor& leaf) { std::cout << "x.grad " << leaf.grad() << "\n"; });
  xg::sum(y).backward();

  std::cout << "grad " << g << "\nH v " << hv << "\n";
  // d²f/dx₀² for f₀ = tanh(x)·x³: the first entry of H·e₀, against the closed form.
  const double x0 = 0.5, t = std::tanh(x0), s = 1 - t * t;
  const double expected = -2 * t * s * x0 * x0 * x0 + 2 * s * 3 * x0 * x0 + t * 6 * x0;
  return std::abs(hv.at({0}) - expected) < 1e-12 ? 0 : 1;
}
// [/guide]
