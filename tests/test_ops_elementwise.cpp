#define BOOST_TEST_MODULE ops_elementwise
#include "test_helpers.hpp"

#include <cmath>
#include <functional>

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using xg::testing::leaf_away_from_zero;
using Inputs = std::vector<Tensor>;

// Gradient checks use xg::gradcheck's defaults, PyTorch's: eps 1e-6, atol 1e-5, rtol 1e-3.

// Shapes each binary op is checked over: equal shapes, row broadcasting, size-1 dims on both
// sides, a scalar operand, and rank promotion.
static const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{2, 3}, {2, 3}}, {{4, 3}, {3}}, {{2, 1, 3}, {1, 4, 1}}, {{3, 2}, {}}, {{5}, {2, 1, 5}}};

BOOST_AUTO_TEST_CASE(add_value) {
  Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = from_vector({10, 20, 30}, {3});
  BOOST_TEST((a + b).to_vector() == std::vector<double>({11, 22, 33, 14, 25, 36}), boost::test_tools::per_element());
  BOOST_TEST((a + 1.0).to_vector() == std::vector<double>({2, 3, 4, 5, 6, 7}), boost::test_tools::per_element());
  Tensor col = from_vector({1, 2}, {2, 1});
  BOOST_TEST((col + b).to_vector() == std::vector<double>({11, 21, 31, 12, 22, 32}), boost::test_tools::per_element());
  BOOST_TEST(shape_str((col + b).shape()) == "[2, 3]");
}

BOOST_AUTO_TEST_CASE(sub_mul_div_value) {
  Tensor a = from_vector({6, 8}, {2});
  Tensor b = from_vector({2, 4}, {2});
  BOOST_TEST((a - b).to_vector() == std::vector<double>({4, 4}), boost::test_tools::per_element());
  BOOST_TEST((a * b).to_vector() == std::vector<double>({12, 32}), boost::test_tools::per_element());
  BOOST_TEST((a / b).to_vector() == std::vector<double>({3, 2}), boost::test_tools::per_element());
  BOOST_TEST((10.0 - a).to_vector() == std::vector<double>({4, 2}), boost::test_tools::per_element());
  BOOST_TEST((24.0 / a).to_vector() == std::vector<double>({4, 3}), boost::test_tools::per_element());
  BOOST_TEST((a * 0.5).to_vector() == std::vector<double>({3, 4}), boost::test_tools::per_element());
  BOOST_TEST((-a).to_vector() == std::vector<double>({-6, -8}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(maximum_minimum_value) {
  Tensor a = from_vector({1, 5, 3}, {3});
  Tensor b = from_vector({4, 2, 3}, {3});
  BOOST_TEST(maximum(a, b).to_vector() == std::vector<double>({4, 5, 3}), boost::test_tools::per_element());
  BOOST_TEST(minimum(a, b).to_vector() == std::vector<double>({1, 2, 3}), boost::test_tools::per_element());
  Tensor n = from_vector({NAN, 1}, {2});
  BOOST_TEST(std::isnan(maximum(n, from_vector({0, 0}, {2})).at({0})));
}

BOOST_AUTO_TEST_CASE(binary_ops_gradient) {
  std::uint64_t seed = 1;
  for (const auto& [sa, sb] : kBroadcastPairs) {
    BOOST_TEST_CONTEXT("shapes " << shape_str(sa) << " and " << shape_str(sb)) {
      Tensor a = leaf_away_from_zero(sa, seed++), b = leaf_away_from_zero(sb, seed++);
      check_gradient([](const Inputs& in) { return add(in[0], in[1]); }, {a, b});
      check_gradient([](const Inputs& in) { return sub(in[0], in[1]); }, {a, b});
      check_gradient([](const Inputs& in) { return mul(in[0], in[1]); }, {a, b});
      check_gradient([](const Inputs& in) { return div(in[0], in[1]); }, {a, b});
    }
  }
}

BOOST_AUTO_TEST_CASE(maximum_minimum_gradient) {
  // Inputs drawn independently, so ties (where the gradient is split) have probability zero.
  std::uint64_t seed = 100;
  for (const auto& [sa, sb] : kBroadcastPairs) {
    BOOST_TEST_CONTEXT("shapes " << shape_str(sa) << " and " << shape_str(sb)) {
      Tensor a = leaf(sa, seed++), b = leaf(sb, seed++);
      check_gradient([](const Inputs& in) { return maximum(in[0], in[1]); }, {a, b});
      check_gradient([](const Inputs& in) { return minimum(in[0], in[1]); }, {a, b});
    }
  }
}

BOOST_AUTO_TEST_CASE(maximum_splits_gradient_on_ties) {
  Tensor a = from_vector({2.0, 3.0}, {2}, kFloat64).requires_grad_();
  Tensor b = from_vector({2.0, 1.0}, {2}, kFloat64).requires_grad_();
  maximum(a, b).backward(ones({2}, kFloat64));
  BOOST_TEST(a.grad().to_vector() == std::vector<double>({0.5, 1.0}), boost::test_tools::per_element());
  BOOST_TEST(b.grad().to_vector() == std::vector<double>({0.5, 0.0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(scalar_ops_gradient) {
  for (const Shape& s : {Shape{3, 2}, Shape{1}, Shape{}}) {
    Tensor x = leaf_away_from_zero(s, 7);
    check_gradient([](const Inputs& in) { return add(in[0], 1.5); }, {x});
    check_gradient([](const Inputs& in) { return sub(in[0], 1.5); }, {x});
    check_gradient([](const Inputs& in) { return rsub(1.5, in[0]); }, {x});
    check_gradient([](const Inputs& in) { return mul(in[0], -2.5); }, {x});
    check_gradient([](const Inputs& in) { return div(in[0], 4.0); }, {x});
    check_gradient([](const Inputs& in) { return rdiv(3.0, in[0]); }, {x});
  }
}

BOOST_AUTO_TEST_CASE(binary_rejects_incompatible_shapes) {
  Tensor a = zeros({3, 4}), b = zeros({5, 4});
  check_throws([&] { add(a, b); }, {"add", "[3, 4]", "[5, 4]", "broadcast"});
  check_throws([&] { mul(a, zeros({4, 3})); }, {"mul", "[3, 4]", "[4, 3]"});
  check_throws([&] { maximum(a, zeros({2})); }, {"maximum", "[3, 4]", "[2]"});
}

BOOST_AUTO_TEST_CASE(binary_promotes_mixed_dtypes_and_rejects_undefined) {
  // torch::result_type: float32 ⊕ float64 → float64; int64 / int64 is true division in float32.
  const Tensor mixed = add(from_vector({1.5, 2.0}, {2}), from_vector({0.25, 1.0}, {2}, kFloat64));
  BOOST_TEST(dtype_name(mixed.dtype()) == std::string("float64"));
  BOOST_TEST(mixed.to_vector() == std::vector<double>({1.75, 3.0}), boost::test_tools::per_element());
  const Tensor quotient = div(from_vector({7, 1}, {2}, kInt64), from_vector({2, 4}, {2}, kInt64));
  BOOST_TEST(dtype_name(quotient.dtype()) == std::string("float32"));
  BOOST_TEST(quotient.to_vector() == std::vector<double>({3.5, 0.25}), boost::test_tools::per_element());
  check_throws([] { add(Tensor(), zeros({2})); }, {"add", "undefined"});
}

BOOST_AUTO_TEST_CASE(sum_to_shape_value_and_rejects) {
  Tensor g = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  BOOST_TEST(sum_to_shape(g, {3}).to_vector() == std::vector<double>({5, 7, 9}), boost::test_tools::per_element());
  BOOST_TEST(sum_to_shape(g, {2, 1}).to_vector() == std::vector<double>({6, 15}), boost::test_tools::per_element());
  BOOST_TEST(sum_to_shape(g, {}).item() == 21.0);
  check_throws([&] { sum_to_shape(g, {4}); }, {"sum_to_shape", "[4]", "[2, 3]"});
}

// ---- unary ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unary_value) {
  Tensor x = from_vector({-2.0, 0.5, 3.0}, {3}, kFloat64);
  auto close = [](const Tensor& t, std::vector<double> expected) {
    const auto v = t.to_vector();
    for (std::size_t i = 0; i < v.size(); ++i) BOOST_TEST(std::abs(v[i] - expected[i]) < 1e-12);
  };
  close(neg(x), {2.0, -0.5, -3.0});
  close(exp(x), {std::exp(-2.0), std::exp(0.5), std::exp(3.0)});
  close(tanh(x), {std::tanh(-2.0), std::tanh(0.5), std::tanh(3.0)});
  close(sigmoid(x), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-3.0))});
  close(relu(x), {0.0, 0.5, 3.0});
  close(abs(x), {2.0, 0.5, 3.0});
  close(pow(x, 2.0), {4.0, 0.25, 9.0});
  close(clamp(x, -1.0, 1.0), {-1.0, 0.5, 1.0});
  close(clamp_min(x, 0.0), {0.0, 0.5, 3.0});
  close(clamp_max(x, 0.0), {-2.0, 0.0, 0.0});
  Tensor p = from_vector({0.25, 4.0}, {2}, kFloat64);
  close(log(p), {std::log(0.25), std::log(4.0)});
  close(sqrt(p), {0.5, 2.0});
}

BOOST_AUTO_TEST_CASE(unary_float32_vectorised_paths_match_scalar_math) {
  // Long enough to exercise the xsimd body and the scalar tail.
  Generator g(3);
  Tensor x = uniform({1037}, -4.0, 4.0, g);
  const auto xs = x.to_vector();
  const auto t = tanh(x).to_vector(), e = exp(x).to_vector(), s = sigmoid(x).to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    BOOST_TEST(std::abs(t[i] - std::tanh(xs[i])) < 2e-6);
    BOOST_TEST(std::abs(e[i] - std::exp(xs[i])) < 2e-6 * std::exp(xs[i]));
    BOOST_TEST(std::abs(s[i] - 1 / (1 + std::exp(-xs[i]))) < 2e-6);
  }
}

BOOST_AUTO_TEST_CASE(unary_gradient) {
  for (const Shape& s : {Shape{3, 4}, Shape{1, 5, 1}, Shape{}}) {
    BOOST_TEST_CONTEXT("shape " << shape_str(s)) {
      Tensor x = leaf_away_from_zero(s, 11);
      Tensor pos = leaf(s, 12, 0.3, 2.0);
      check_gradient([](const Inputs& in) { return neg(in[0]); }, {x});
      check_gradient([](const Inputs& in) { return exp(in[0]); }, {x});
      check_gradient([](const Inputs& in) { return log(in[0]); }, {pos});
      check_gradient([](const Inputs& in) { return sqrt(in[0]); }, {pos});
      check_gradient([](const Inputs& in) { return tanh(in[0]); }, {x});
      check_gradient([](const Inputs& in) { return sigmoid(in[0]); }, {x});
      check_gradient([](const Inputs& in) { return relu(in[0]); }, {x});
      check_gradient([](const Inputs& in) { return abs(in[0]); }, {x});
      check_gradient([](const Inputs& in) { return pow(in[0], 3.0); }, {x});
      check_gradient([](const Inputs& in) { return pow(in[0], -1.5); }, {pos});
      check_gradient([](const Inputs& in) { return pow(in[0], 0.5); }, {pos});
      // Bounds at ±0.1 and 0.7: leaf_away_from_zero's |x| ≥ 0.2, and 0.7 is a measure-zero hit.
      check_gradient([](const Inputs& in) { return clamp(in[0], -0.1, 0.7); }, {x});
      check_gradient([](const Inputs& in) { return clamp_min(in[0], 0.1); }, {x});
      check_gradient([](const Inputs& in) { return clamp_max(in[0], -0.1); }, {x});
    }
  }
}

BOOST_AUTO_TEST_CASE(relu_gradient_is_zero_at_zero) {
  Tensor x = from_vector({0.0, 1.0, -1.0}, {3}, kFloat64).requires_grad_();
  relu(x).backward(ones({3}, kFloat64));
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({0, 1, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unary_rejects_integer_and_undefined) {
  check_throws([] { tanh(zeros({2}, kInt64)); }, {"tanh", "int64"});
  check_throws([] { exp(Tensor()); }, {"exp", "undefined"});
  check_throws([] { clamp(zeros({2}), NAN, 1.0); }, {"clamp", "must not be NaN"});  // min > max is allowed (PyTorch)
}

BOOST_AUTO_TEST_CASE(scalar_and_unary_ops_reject_integer_and_undefined) {
  // The rest of the unary family: each names itself for an int64 input and for an undefined one,
  // rather than failing inside a kernel. The scalar-first forms (1 − x, 1 / x) promote an int64
  // tensor to float32 as torch::result_type does (a float scalar with an integer tensor).
  BOOST_TEST((1.0 - from_vector({1, 4}, {2}, kInt64)).to_vector() == std::vector<double>({0.0, -3.0}),
             boost::test_tools::per_element());
  BOOST_TEST((1.0 / from_vector({2, 4}, {2}, kInt64)).to_vector() == std::vector<double>({0.5, 0.25}),
             boost::test_tools::per_element());
  check_throws([] { 1.0 - Tensor(); }, {"rsub:", "undefined"});
  check_throws([] { 1.0 / Tensor(); }, {"rdiv:", "undefined"});
  struct Case {
    std::string op;
    std::function<Tensor(const Tensor&)> apply;
  };
  const std::vector<Case> cases = {
      {"pow", [](const Tensor& x) { return pow(x, 2.0); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"neg", [](const Tensor& x) { return -x; }},
      {"clamp_min", [](const Tensor& x) { return clamp_min(x, 0.0); }},
      {"clamp_max", [](const Tensor& x) { return clamp_max(x, 0.0); }},
  };
  for (const Case& c : cases)
    BOOST_TEST_CONTEXT(c.op) {
      check_throws([&] { c.apply(from_vector({1, 2}, {2}, kInt64)); }, {c.op + ":", "int64"});
      check_throws([&] { c.apply(Tensor()); }, {c.op + ":", "undefined"});
    }
}

BOOST_AUTO_TEST_CASE(composite_expression_gradient) {
  // A small expression mixing every family above, with shared subexpressions.
  Tensor a = leaf_away_from_zero({2, 3}, 21), b = leaf_away_from_zero({3}, 22);
  check_gradient(
      [](const Inputs& in) {
        Tensor h = tanh(in[0] * in[1] + 0.5);
        return sigmoid(h) * exp(-h) / (abs(in[1]) + 1.0) - maximum(h, in[0]);
      },
      {a, b});
}
