#define BOOST_TEST_MODULE autograd_double
// Higher-order gradients: saved tensors re-attached under create_graph (the SavedVariable
// mechanism), third derivatives, Hessian-vector products, gradient penalties, no leaks.
#include "test_helpers.hpp"

#include <cmath>

using namespace xg;

namespace {
Tensor grad_of(const Tensor& y, const Tensor& x, bool create_graph = true) {
  return autograd::grad({y}, {x}, {}, -1, create_graph)[0];
}
}  // namespace

BOOST_AUTO_TEST_CASE(saved_output_is_reattached_to_its_node) {
  // tanh saves its output y; d²/dx² tanh = −2y(1 − y²) only if the gradient flows through y.
  Tensor x = xg::testing::leaf({5}, 1);
  Tensor g1 = grad_of(sum(tanh(x)), x);
  BOOST_TEST(g1.requires_grad());
  Tensor g2 = grad_of(sum(g1), x, false);
  const std::vector<double> xv = x.to_vector(), gv = g2.to_vector();
  for (std::size_t i = 0; i < xv.size(); ++i) {
    const double y = std::tanh(xv[i]);
    BOOST_TEST(gv[i] == -2 * y * (1 - y * y), boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(saved_leaf_input_accumulates_into_the_leaf_grad) {
  // y = Σ x³ via mul(x, mul(x, x)): dy/dx = 3x², and backward of Σ dy/dx lands in x.grad as 6x.
  Tensor x = xg::testing::leaf({4}, 2);
  Tensor g1 = grad_of(sum(mul(x, mul(x, x))), x);
  sum(g1).backward();
  const std::vector<double> xv = x.to_vector(), gv = x.grad().to_vector();
  for (std::size_t i = 0; i < xv.size(); ++i) BOOST_TEST(gv[i] == 6 * xv[i], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(saved_non_leaf_input_reaches_its_producer) {
  // log saves its input h = exp(x): d/dx log(exp(x)) = 1 in first order; the gradient of
  // Σ ∂/∂h log(h) = Σ 1/h w.r.t. x is −1/h² · h = −e^{−x}, which needs h attached to exp.
  Tensor x = xg::testing::leaf({3}, 3);
  Tensor h = exp(x);
  Tensor gh = grad_of(sum(log(h)), h);
  Tensor gx = grad_of(sum(gh), x, false);
  const std::vector<double> xv = x.to_vector(), gv = gx.to_vector();
  for (std::size_t i = 0; i < xv.size(); ++i) BOOST_TEST(gv[i] == -std::exp(-xv[i]), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(third_derivative_of_tanh_matches_closed_form) {
  // d³/dx³ tanh = −2(1 − y²)(1 − 3y²) with y = tanh x, via three autograd::grad calls.
  Tensor x = xg::testing::leaf({6}, 4, -2.0, 2.0);
  Tensor d1 = grad_of(sum(tanh(x)), x);
  Tensor d2 = grad_of(sum(d1), x);
  Tensor d3 = grad_of(sum(d2), x, false);
  const std::vector<double> xv = x.to_vector(), gv = d3.to_vector();
  for (std::size_t i = 0; i < xv.size(); ++i) {
    const double y = std::tanh(xv[i]);
    BOOST_TEST(gv[i] == -2 * (1 - y * y) * (1 - 3 * y * y), boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(double_backward_frees_every_node) {
  // The saved output of tanh is re-attached to its own node only while the closure runs: once
  // every tensor is gone, so is every node (no reference cycle node → closure → output → node).
  const std::int64_t before = live_node_count();
  {
    Tensor x = xg::testing::leaf({4}, 5);
    Tensor y = sum(sigmoid(tanh(x)) * exp(x));
    Tensor g1 = grad_of(y, x);
    Tensor g2 = grad_of(sum(g1 * g1), x);
    sum(g2).backward();
    BOOST_TEST(live_node_count() > before);
  }
  BOOST_TEST(live_node_count() == before);
}

BOOST_AUTO_TEST_CASE(saved_handles_are_detached_again_after_double_backward) {
  // A later first-order backward through the same retained graph sees the same first-order result.
  Tensor x = xg::testing::leaf({3}, 6);
  Tensor y = sum(tanh(x) * x);
  Tensor g1 = autograd::grad({y}, {x}, {}, /*retain_graph=*/1, /*create_graph=*/true)[0];
  Tensor again = autograd::grad({y}, {x}, {}, 1, false)[0];
  BOOST_TEST(again.to_vector() == g1.detach().to_vector(), boost::test_tools::per_element());
  BOOST_TEST(!again.requires_grad());
}

// ---- gradgradcheck --------------------------------------------------------------------------

namespace {
// Fails the test case with gradgradcheck's report (tolerances: GradcheckOptions' defaults,
// eps 1e-6, atol 1e-5, rtol 1e-3, float64 central differences, unless given).
void check_gradgrad(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& inputs,
                    const GradcheckOptions& options = {}) {
  const GradcheckResult r = autograd::gradgradcheck(fn, inputs, {}, options);
  BOOST_TEST(r.checked_elements > 0, "gradgradcheck checked no element");
  BOOST_TEST(r.ok, r.message);
}

// y = x² whose backward 2·g·x reads x as a constant: first order right, second order wrong.
Tensor square_with_constant_backward(const Tensor& x) {
  Tensor out = mul(x.detach(), x.detach());
  record(out, "bad_square", {x}, [c = x.detach()](const Tensor& g) { return std::vector<Tensor>{mul(mul(g, c), 2.0)}; });
  detail::mark_double_differentiable(out);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(gradgradcheck_value) {
  check_gradgrad([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[1]; },
                 {xg::testing::leaf({2, 3}, 10), xg::testing::leaf({2, 3}, 11)});
}

BOOST_AUTO_TEST_CASE(gradgradcheck_with_given_grad_outputs) {
  Tensor x = xg::testing::leaf({4}, 12);
  Tensor w = xg::testing::leaf({4}, 13);
  const GradcheckResult r =
      autograd::gradgradcheck([](const std::vector<Tensor>& in) { return sigmoid(in[0]); }, {x}, {w});
  BOOST_TEST(r.ok, r.message);
  BOOST_TEST(r.checked_elements == 8);  // 4 input elements + 4 grad_output elements
}

BOOST_AUTO_TEST_CASE(gradgradcheck_detects_a_wrong_second_derivative) {
  Tensor x = xg::testing::leaf({3}, 14);
  BOOST_TEST(gradcheck([](const std::vector<Tensor>& in) { return square_with_constant_backward(in[0]); }, {x}).ok);
  const GradcheckResult r =
      autograd::gradgradcheck([](const std::vector<Tensor>& in) { return square_with_constant_backward(in[0]); }, {x});
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.message.find("gradgradcheck: Jacobian mismatch for input 0") != std::string::npos, r.message);
}

BOOST_AUTO_TEST_CASE(gradgradcheck_rejects_float32_grad_outputs) {
  Tensor x = xg::testing::leaf({2}, 15);
  xg::testing::check_throws<std::invalid_argument>(
      [&] { autograd::gradgradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]); }, {x}, {ones({2})}); },
      {"gradgradcheck: grad_outputs[0] must be a float64 leaf"});
}
