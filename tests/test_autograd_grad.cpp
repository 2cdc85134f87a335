#define BOOST_TEST_MODULE autograd_grad
// xg::autograd::grad and backward(create_graph): returned gradients, unused inputs, and the
// refusal to build a second-order graph through ops that do not support it yet.
#include "test_helpers.hpp"

#include <stdexcept>

using namespace xg;
using xg::testing::check_throws;

namespace {
Tensor model(const Tensor& x, const Tensor& w) { return sum(tanh(matmul(x, w)) * x.sum({1}, true)); }
}  // namespace

BOOST_AUTO_TEST_CASE(grad_value) {
  Tensor x = xg::testing::leaf({3, 4}, 1), w = xg::testing::leaf({4, 2}, 2);
  model(x, w).backward();
  const std::vector<double> gx = x.grad().to_vector(), gw = w.grad().to_vector();
  x.set_grad(Tensor());
  w.set_grad(Tensor());
  std::vector<Tensor> g = autograd::grad({model(x, w)}, {w, x});
  BOOST_TEST(g[0].to_vector() == gw, boost::test_tools::per_element());
  BOOST_TEST(g[1].to_vector() == gx, boost::test_tools::per_element());
  BOOST_TEST(!x.grad().defined());  // grad() returns, it does not accumulate
  BOOST_TEST(!w.grad().defined());
}

BOOST_AUTO_TEST_CASE(grad_of_intermediate_tensor) {
  Tensor x = xg::testing::leaf({5}, 3);
  Tensor h = x * 2.0;
  Tensor y = sum(h * h);  // dy/dh = 2h
  std::vector<Tensor> g = autograd::grad({y}, {h});
  const std::vector<double> hv = h.to_vector();
  for (std::size_t i = 0; i < hv.size(); ++i) BOOST_TEST(g[0].to_vector()[i] == 2 * hv[i]);
}

BOOST_AUTO_TEST_CASE(grad_rejects_unused_input_unless_allow_unused) {
  Tensor x = xg::testing::leaf({2}, 4), unused = xg::testing::leaf({2}, 5);
  Tensor y = sum(x * x);
  check_throws<std::runtime_error>([&] { autograd::grad({y}, {x, unused}, {}, 1); },
                                   {"grad: input 1", "allow_unused"});
  std::vector<Tensor> g = autograd::grad({y}, {x, unused}, {}, -1, false, /*allow_unused=*/true);
  BOOST_TEST(g[0].defined());
  BOOST_TEST(!g[1].defined());
}

BOOST_AUTO_TEST_CASE(grad_rejects_input_that_does_not_require_grad) {
  Tensor x = xg::testing::leaf({2}, 6), c = ones({2}, kFloat64);
  check_throws<std::invalid_argument>([&] { autograd::grad({sum(x * c)}, {c}); }, {"grad: input 0", "require grad"});
}

BOOST_AUTO_TEST_CASE(create_graph_rejects_ops_without_double_backward) {
  // Never a silently wrong or zero second derivative: the op is named instead.
  Tensor x = xg::testing::leaf({1, 2}, 7);
  check_throws<std::runtime_error>([&] { autograd::grad({logsumexp(x, 1)}, {x}, {}, -1, /*create_graph=*/true); },
                                   {"logsumexp: double backward is not supported yet"});
  Tensor y = logsumexp(x, 1);
  check_throws<std::runtime_error>([&] { y.backward(Tensor(), false, /*create_graph=*/true); },
                                   {"logsumexp: double backward is not supported yet"});
}

BOOST_AUTO_TEST_CASE(create_graph_through_linear_ops_records_the_gradient) {
  // y = -(3·x·c + 1) with c requiring grad: dy/dx = -3c is recorded, so d(Σ dy/dx)/dc = -3.
  Tensor x = xg::testing::leaf({1}, 8), c = xg::testing::leaf({1}, 9);
  Tensor y = neg(add(mul(x, 3.0), 1.0));
  std::vector<Tensor> g = autograd::grad({y}, {x}, {c}, -1, /*create_graph=*/true);
  BOOST_TEST(g[0].requires_grad());
  std::vector<Tensor> gg = autograd::grad({g[0]}, {c}, {ones({1}, kFloat64)});
  BOOST_TEST(gg[0].item() == -3.0);
}

BOOST_AUTO_TEST_CASE(readme_snippet_compiles_and_runs) {
  // README.md, "Autograd beyond first order".
  xg::Tensor x = xg::randn({3, 4}, xg::kFloat64).requires_grad_();
  xg::Tensor w = xg::randn({4, 2}, xg::kFloat64).requires_grad_();
  xg::Tensor loss = xg::sum(xg::tanh(xg::matmul(x, w)));
  std::vector<xg::Tensor> g = xg::autograd::grad({loss}, {w});  // x.grad / w.grad untouched
  BOOST_TEST(g[0].shape() == w.shape());
  BOOST_TEST(!w.grad().defined());
}
