#define BOOST_TEST_MODULE autograd_double
// Higher-order gradients: saved tensors re-attached under create_graph (the SavedVariable
// mechanism), third derivatives, Hessian-vector products, gradient penalties, no leaks.
#include "gradgrad_helpers.hpp"

#include <cmath>

using namespace xg;
using xg::testing::check_gradgrad;
using xg::testing::check_gradient;

namespace {
Tensor grad_of(const Tensor& y, const Tensor& x, bool create_graph = true) {
  return autograd::grad({y}, {x}, {}, std::nullopt, create_graph)[0];
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
  Tensor again = autograd::grad({y}, {x}, {}, true, false)[0];
  BOOST_TEST(again.to_vector() == g1.detach().to_vector(), boost::test_tools::per_element());
  BOOST_TEST(!again.requires_grad());
}

// ---- gradgradcheck --------------------------------------------------------------------------

namespace {
// y = x² whose backward 2·g·x reads x as a constant: first order right, second order wrong.
Tensor square_with_constant_backward(const Tensor& x) {
  Tensor out = mul(x.detach(), x.detach());
  record(out, "bad_square", {x}, [c = x.detach()](const Tensor& g) { return std::vector<Tensor>{mul(mul(g, c), 2.0)}; });
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
  check_gradient([](const std::vector<Tensor>& in) { return square_with_constant_backward(in[0]); }, {x});
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

// ---- Hessian-vector products and gradient penalties ------------------------------------------

namespace {
// A small MLP on float64 leaves: 3 → 4 (tanh) → 2 → Σ of squares.
Tensor mlp_loss(const Tensor& x, const std::vector<Tensor>& p) {
  Tensor h = tanh(linear(x, p[0], p[1]));
  Tensor y = linear(h, p[2], p[3]);
  return sum(mul(y, y));
}

std::vector<Tensor> mlp_parameters(std::uint64_t seed) {
  return {xg::testing::leaf({4, 3}, seed), xg::testing::leaf({4}, seed + 1), xg::testing::leaf({2, 4}, seed + 2),
          xg::testing::leaf({2}, seed + 3)};
}

// Perturbs every parameter in place by `scale`·v (no graph depends on them while we do).
void shift(std::vector<Tensor>& p, const std::vector<Tensor>& v, double scale) {
  for (std::size_t k = 0; k < p.size(); ++k) {
    double* d = p[k].data<double>();
    const double* dv = v[k].data<double>();
    for (std::int64_t i = 0; i < p[k].numel(); ++i) d[i] += scale * dv[i];
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(hessian_vector_product_matches_finite_differences) {
  // Hv = ∇(∇L·v), with create_graph, against (∇L(θ + εv) − ∇L(θ − εv)) / 2ε; tolerance 1e-6
  // relative to max(1, |Hv|) (central differences of an analytic gradient: O(ε²) ≈ 1e-10 + rounding).
  Tensor x = xg::testing::leaf({5, 3}, 20).detach();
  std::vector<Tensor> p = mlp_parameters(21);
  std::vector<Tensor> v;
  Generator gen(22);
  for (const Tensor& t : p) v.push_back(randn(t.shape(), gen, kFloat64));

  std::vector<Tensor> g = autograd::grad({mlp_loss(x, p)}, p, {}, std::nullopt, /*create_graph=*/true);
  Tensor gv = sum(mul(g[0], v[0]));
  for (std::size_t k = 1; k < p.size(); ++k) gv = add(gv, sum(mul(g[k], v[k])));
  std::vector<Tensor> hv = autograd::grad({gv}, p);

  const double eps = 1e-5;
  shift(p, v, eps);
  std::vector<Tensor> plus = autograd::grad({mlp_loss(x, p)}, p);
  shift(p, v, -2 * eps);
  std::vector<Tensor> minus = autograd::grad({mlp_loss(x, p)}, p);
  shift(p, v, eps);
  for (std::size_t k = 0; k < p.size(); ++k) {
    const std::vector<double> a = hv[k].to_vector(), pv = plus[k].to_vector(), mv = minus[k].to_vector();
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double numeric = (pv[i] - mv[i]) / (2 * eps);
      BOOST_TEST(std::abs(a[i] - numeric) <= 1e-6 * std::max(1.0, std::abs(numeric)),
                 "parameter " << k << " element " << i << ": Hv " << a[i] << " vs finite differences " << numeric);
    }
  }
}

namespace {
// ‖∇ₓ Σ D(x)‖² for a discriminator D; grad mode forced on so gradcheck's no-grad evaluations work.
Tensor gradient_penalty(const std::function<Tensor(const Tensor&)>& discriminator, const Tensor& x_data) {
  AutoGradMode grad_on(true);
  Tensor x = x_data.detach().requires_grad_();
  Tensor gx = autograd::grad({sum(discriminator(x))}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  return sum(mul(gx, gx));
}

// Trains the parameters to shrink the penalty with SGD; returns the penalty before and after.
std::pair<double, double> train_penalty(const std::function<Tensor(const Tensor&)>& discriminator, const Tensor& x,
                                        const std::vector<Tensor>& parameters, double lr, int steps) {
  optim::SGD sgd(parameters, lr);
  const double first = gradient_penalty(discriminator, x).item();
  for (int s = 0; s < steps; ++s) {
    sgd.zero_grad();
    gradient_penalty(discriminator, x).backward();
    sgd.step();
  }
  return {first, gradient_penalty(discriminator, x).item()};
}
}  // namespace

BOOST_AUTO_TEST_CASE(gradient_penalty_through_mlp) {
  std::vector<Tensor> p = mlp_parameters(30);
  const Tensor x = xg::testing::leaf({4, 3}, 31).detach();
  auto d = [&p](const Tensor& in) { return linear(tanh(linear(in, p[0], p[1])), p[2], p[3]); };
  // d penalty / dθ against float64 central differences (gradcheck's tolerances).
  check_gradient(
      [&](const std::vector<Tensor>& q) {
        return gradient_penalty([&q](const Tensor& in) { return linear(tanh(linear(in, q[0], q[1])), q[2], q[3]); }, x);
      },
      p);
  const auto [before, after] = train_penalty(d, x, p, 0.05, 30);
  BOOST_TEST(after < 0.5 * before, "penalty " << before << " -> " << after);
}

BOOST_AUTO_TEST_CASE(gradient_penalty_through_lstm) {
  manual_seed(40);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(2, 3));
  auto head = std::make_shared<nn::Linear>(3, 1);
  lstm->to(kFloat64);
  head->to(kFloat64);
  std::vector<Tensor> params = lstm->parameters();
  for (const Tensor& t : head->parameters()) params.push_back(t);
  const Tensor x = xg::testing::leaf({4, 2, 2}, 41).detach();  // (L, N, in)
  auto d = [&](const Tensor& in) { return head->forward(lstm->forward(in).first); };
  check_gradient([&](const std::vector<Tensor>&) { return gradient_penalty(d, x); }, params);
  const auto [before, after] = train_penalty(d, x, params, 0.1, 30);
  BOOST_TEST(after < 0.5 * before, "penalty " << before << " -> " << after);
}

BOOST_AUTO_TEST_CASE(double_backward_through_lstm_frees_every_node) {
  // The fused cells and the RecurrentWeight hub re-attach saved tensors too: all freed afterwards.
  manual_seed(50);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(2, 3).num_layers(2));
  lstm->to(kFloat64);
  const Tensor x = xg::testing::leaf({3, 2, 2}, 51).detach();
  auto run = [&] { gradient_penalty([&](const Tensor& in) { return lstm->forward(in).first; }, x).backward(); };
  run();  // creates the parameters' AccumulateGrad sinks, which live as long as the parameters
  const std::int64_t before = live_node_count();
  run();
  BOOST_TEST(live_node_count() == before);
}
