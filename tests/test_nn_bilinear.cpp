#define BOOST_TEST_MODULE nn_bilinear
// Bilinear and xg::bilinear. Parity: tests/fixtures/nn_extra/bilinear_float64.safetensors,
// written by tools/make_nn_extra_fixtures.py (PyTorch 1.13), per element |ours − torch| ≤
// 1e-12 + 1e-10·|torch| (tests/parity_harness.hpp). Gradient checks: float64 central
// differences, eps 1e-6, atol 1e-5, rtol 1e-3 (GradcheckOptions' defaults), full Jacobians.
#include <cmath>
#include <sstream>

#include "gradgrad_helpers.hpp"
#include "parity_harness.hpp"

using namespace xg;
using xg::testing::check_gradgrad;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using Inputs = std::vector<Tensor>;

namespace {
namespace parity = xg::testing::parity;
using parity::Named;

parity::Built build(const parity::Case& c, Dtype) {
  auto m = std::make_shared<nn::Bilinear>(nn::BilinearOptions(c.int_option("in1_features"),
                                                              c.int_option("in2_features"),
                                                              c.int_option("out_features"))
                                              .bias(c.flag("bias")));
  return {m, [m](const Named& i) { return Named{{"output", m->forward(i.at("input1"), i.at("input2"))}}; }};
}

}  // namespace

BOOST_AUTO_TEST_CASE(bilinear_matches_pytorch) { parity::run_family("nn_extra", "bilinear", {kFloat64}, build); }

BOOST_AUTO_TEST_CASE(bilinear_parity_detects_a_perturbed_weight) {
  // Negative control: the same replay fails when one weight moves by a relative 1e-8.
  const auto cases = parity::load_cases("nn_extra", "bilinear_float64.safetensors");
  BOOST_TEST(parity::run_case(cases.at(0), kFloat64, build).failures.empty());
  BOOST_TEST(!parity::run_case(cases.at(0), kFloat64, build, 1e-8).failures.empty());
}

BOOST_AUTO_TEST_CASE(bilinear_value) {
  // out 0: A = [[1, 2], [3, 4]] (in1 = 2, in2 = 2), x1 = (1, 2), x2 = (3, −1):
  // x1ᵀ A x2 = [1, 2]·[1·3 − 2, 3·3 − 4] = 1 + 10 = 11, plus bias 0.5.
  // out 1: A = identity → x1·x2 = 3 − 2 = 1, plus bias −1.
  const Tensor w = from_vector({1.0, 2.0, 3.0, 4.0, 1.0, 0.0, 0.0, 1.0}, {2, 2, 2}, kFloat64);
  const Tensor b = from_vector({0.5, -1.0}, {2}, kFloat64);
  const Tensor x1 = from_vector({1.0, 2.0}, {2}, kFloat64);
  const Tensor x2 = from_vector({3.0, -1.0}, {2}, kFloat64);
  BOOST_TEST(bilinear(x1, x2, w, b).to_vector() == std::vector<double>({11.5, 0.0}));
  BOOST_TEST(bilinear(x1, x2, w).to_vector() == std::vector<double>({11.0, 1.0}));
  // Leading dims are kept: a (2, 1, 2) batch of the same pair gives (2, 1, 2).
  const Tensor y = bilinear(from_vector({1.0, 2.0, 1.0, 2.0}, {2, 1, 2}, kFloat64),
                            from_vector({3.0, -1.0, 3.0, -1.0}, {2, 1, 2}, kFloat64), w, b);
  BOOST_TEST(y.shape() == Shape({2, 1, 2}));
  BOOST_TEST(y.to_vector() == std::vector<double>({11.5, 0.0, 11.5, 0.0}));
}

BOOST_AUTO_TEST_CASE(bilinear_gradient) {
  // Every operand's full Jacobian, with and without batch dims and bias.
  check_gradient([](const Inputs& in) { return bilinear(in[0], in[1], in[2], in[3]); },
                 {leaf({2, 3, 4}, 1), leaf({2, 3, 5}, 2), leaf({6, 4, 5}, 3), leaf({6}, 4)});
  check_gradient([](const Inputs& in) { return bilinear(in[0], in[1], in[2]); },
                 {leaf({4}, 5), leaf({3}, 6), leaf({2, 4, 3}, 7)});
}

BOOST_AUTO_TEST_CASE(bilinear_gradgradcheck) {
  check_gradgrad([](const Inputs& in) { return bilinear(in[0], in[1], in[2], in[3]); },
                 {leaf({3, 4}, 8), leaf({3, 2}, 9), leaf({5, 4, 2}, 10), leaf({5}, 11)});
}

BOOST_AUTO_TEST_CASE(bilinear_module_parameters_value) {
  // weight (out, in1, in2) and bias (out), both within PyTorch's ±1/√in1.
  nn::Bilinear m(nn::BilinearOptions(4, 3, 5));
  const auto named = m.named_parameters();
  BOOST_REQUIRE(named.size() == 2u);
  BOOST_TEST(named[0].first == "weight");
  BOOST_TEST(named[1].first == "bias");
  BOOST_TEST(m.weight.shape() == Shape({5, 4, 3}));
  BOOST_TEST(m.bias.shape() == Shape({5}));
  double largest = 0;
  for (const Tensor& p : {m.weight, m.bias})
    for (double v : p.to_vector()) largest = std::max(largest, std::abs(v));
  BOOST_TEST(largest <= 0.5);   // 1/√4
  BOOST_TEST(largest > 0.35);   // 65 draws from U(−0.5, 0.5): not a narrower range
  BOOST_TEST(nn::Bilinear(nn::BilinearOptions(4, 3, 5).bias(false)).parameters().size() == 1u);
  std::ostringstream os;
  os << m;
  BOOST_TEST(os.str() == "Bilinear(in1_features=4, in2_features=3, out_features=5, bias=True)");
}

BOOST_AUTO_TEST_CASE(bilinear_module_gradient) {
  auto m = std::make_shared<nn::Bilinear>(3, 2, 4);
  m->to(kFloat64);
  check_gradient(
      [m](const Inputs& in) {
        m->weight = in[2];
        m->bias = in[3];
        return m->forward(in[0], in[1]);
      },
      {leaf({5, 3}, 12), leaf({5, 2}, 13), leaf({4, 3, 2}, 14), leaf({4}, 15)});
}

BOOST_AUTO_TEST_CASE(bilinear_rejects_mismatched_feature_sizes) {
  const Tensor w = zeros({5, 3, 4});
  check_throws([&] { bilinear(zeros({2, 6}), zeros({2, 4}), w); },
               {"bilinear", "input1 [2, 6]", "6 features", "[5, 3, 4]", "in1_features = 3"});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({2, 5}), w); },
               {"bilinear", "input2 [2, 5]", "5 features", "[5, 3, 4]", "in2_features = 4"});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({2, 4}), w, zeros({4})); },
               {"bilinear", "bias [4]", "[5, 3, 4]", "expected [5]"});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({2, 4}), zeros({3, 4})); }, {"bilinear", "3-D", "[3, 4]"});
  nn::Bilinear m(3, 4, 5);
  check_throws([&] { m.forward(zeros({2, 4}), zeros({2, 3})); }, {"bilinear", "input1 [2, 4]", "in1_features = 3"});
  check_throws([] { nn::Bilinear(3, 0, 5); }, {"Bilinear", "positive", "0"});
}

BOOST_AUTO_TEST_CASE(bilinear_rejects_mismatched_batch_dims) {
  const Tensor w = zeros({5, 3, 4});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({6, 4}), w); },
               {"bilinear", "input1 [2, 3]", "input2 [6, 4]", "batch dims"});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({1, 4}), w); }, {"bilinear", "[1, 4]", "no broadcasting"});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({1, 2, 4}), w); }, {"bilinear", "[2, 3]", "[1, 2, 4]"});
  check_throws([&] { bilinear(zeros({}), zeros({4}), w); }, {"bilinear", "at least 1-D", "[]"});
}

BOOST_AUTO_TEST_CASE(bilinear_rejects_mixed_or_integer_dtypes) {
  const Tensor w = zeros({5, 3, 4});
  check_throws([&] { bilinear(zeros({2, 3}, kFloat64), zeros({2, 4}), w); },
               {"bilinear", "float64 [2, 3]", "float32 [2, 4]"});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({2, 4}), w.to(kFloat64)); }, {"bilinear", "float64 [5, 3, 4]"});
  check_throws([&] { bilinear(zeros({2, 3}), zeros({2, 4}), w, zeros({5}, kFloat64)); }, {"bilinear", "float64 [5]"});
  check_throws([&] { bilinear(zeros({2, 3}, kInt64), zeros({2, 4}), w); }, {"bilinear", "input1", "int64"});
}
