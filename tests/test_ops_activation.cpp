// Activations (autograd/ops_activation.hpp): values and gradients against PyTorch 1.13
// (tools/make_tensor_math_fixtures.py), including NaN/±inf inputs; float64 gradchecks; errors.
#define BOOST_TEST_MODULE test_ops_activation
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tensor_math_harness.hpp"

using namespace xg;
using xg::testing::check_gradgrad;
using xg::testing::check_gradient;
using xg::testing::check_parity;
using xg::testing::check_throws;
using xg::testing::leaf;
using xg::testing::leaf_away_from_zero;
using Inputs = std::vector<Tensor>;
using Unary = std::function<Tensor(const Tensor&)>;

namespace {

const char* kFile = "activations_float64.safetensors";

// Fixture case → the xgrad call that must reproduce it.
const std::vector<std::pair<std::string, Unary>>& cases() {
  static const std::vector<std::pair<std::string, Unary>> c = {
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softplus_beta2_threshold1", [](const Tensor& x) { return softplus(x, 2.0, 1.0); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, "tanh"); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"mish", [](const Tensor& x) { return mish(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
      {"leaky_relu_0.2", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"elu_alpha0.5", [](const Tensor& x) { return elu(x, 0.5); }},
      {"elu_scaled", [](const Tensor& x) { return elu(x, 0.7, 1.3, 0.8); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"hardtanh", [](const Tensor& x) { return hardtanh(x); }},
      {"hardtanh_-0.5_2", [](const Tensor& x) { return hardtanh(x, -0.5, 2.0); }},
      {"hardtanh_min_above_max", [](const Tensor& x) { return hardtanh(x, 1.0, -1.0); }},
      {"log_sigmoid", [](const Tensor& x) { return log_sigmoid(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
  };
  return c;
}

// Each case's parity: random inputs with a random upstream gradient, then NaN, ±inf, ±0 and the
// branch points with an all-ones gradient. Relative 1e-12: the kernels are xsimd's, PyTorch's are
// Sleef/libm; they agree to a few ulps in float64.
void check_case(const std::string& name) {
  for (const auto& [n, fn] : cases())
    if (n == name) return check_parity(kFile, n, [f = fn](const Inputs& in) { return f(in[0]); }, {"x"}, true);
  BOOST_FAIL("no case " << name);
}

}  // namespace

BOOST_AUTO_TEST_CASE(softplus_value) {
  check_case("softplus");
  check_case("softplus_beta2_threshold1");
  // the identity branch: exactly x above threshold/β
  BOOST_TEST(softplus(from_vector({30.0}, {1}, kFloat64)).item() == 30.0);
}
BOOST_AUTO_TEST_CASE(gelu_value) {
  check_case("gelu");
  check_case("gelu_tanh");
}
BOOST_AUTO_TEST_CASE(silu_value) { check_case("silu"); }
BOOST_AUTO_TEST_CASE(mish_value) { check_case("mish"); }
BOOST_AUTO_TEST_CASE(leaky_relu_value) {
  check_case("leaky_relu");
  check_case("leaky_relu_0.2");
}
BOOST_AUTO_TEST_CASE(elu_value) {
  check_case("elu");
  check_case("elu_alpha0.5");
  check_case("elu_scaled");
}
BOOST_AUTO_TEST_CASE(selu_value) { check_case("selu"); }
BOOST_AUTO_TEST_CASE(hardtanh_value) {
  check_case("hardtanh");
  check_case("hardtanh_-0.5_2");
  check_case("hardtanh_min_above_max");
}
BOOST_AUTO_TEST_CASE(log_sigmoid_value) { check_case("log_sigmoid"); }
BOOST_AUTO_TEST_CASE(relu_value) { check_case("relu"); }

BOOST_AUTO_TEST_CASE(activations_float32_value) {
  // float32 runs the float batch kernels: agreement with the float64 result to float precision.
  Tensor x64 = leaf({4, 7}, 5, -5.0, 5.0).detach();
  Tensor x32 = x64.to(kFloat32);
  for (const auto& [name, fn] : cases())
    BOOST_TEST_CONTEXT(name) { xg::testing::check_close(fn(x32).to(kFloat64), fn(x64), 1e-5, 1e-6); }
}

BOOST_AUTO_TEST_CASE(activations_gradient) {
  // Inputs away from the kinks at 0 (leaky_relu, elu) and, for hardtanh, off its bounds ±1 by
  // more than eps; softplus with threshold 1 is checked on both branches away from βx = 1.
  std::uint64_t seed = 100;
  for (const auto& [name, fn] : cases())
    BOOST_TEST_CONTEXT(name) {
      Tensor x = leaf_away_from_zero({3, 4}, seed++);
      if (name.rfind("hardtanh", 0) == 0 || name == "softplus_beta2_threshold1") x = mul(x.detach(), 1.7).requires_grad_();
      check_gradient([f = fn](const Inputs& in) { return f(in[0]); }, {x});
    }
  // gelu and mish over a wider range, where the tails matter
  Tensor wide = leaf({20}, 7, -6.0, 6.0);
  check_gradient([](const Inputs& in) { return gelu(in[0]); }, {wide});
  check_gradient([](const Inputs& in) { return gelu(in[0], "tanh"); }, {wide});
  check_gradient([](const Inputs& in) { return mish(in[0]); }, {wide});
}

BOOST_AUTO_TEST_CASE(gelu_rejects_unknown_approximate) {
  check_throws([] { gelu(ones({2}), "erf"); }, {"gelu", "approximate", "\"none\" or \"tanh\"", "erf"});
}

BOOST_AUTO_TEST_CASE(activations_reject_integer_input) {
  const Tensor i = arange(4.0, kInt64);
  for (const auto& [name, fn] : cases())
    BOOST_TEST_CONTEXT(name) { check_throws([&, f = fn] { f(i); }, {"int64"}); }
  check_throws([] { elu(Tensor()); }, {"elu", "undefined"});
}

BOOST_AUTO_TEST_CASE(activations_gradgradcheck) {
  // Second derivatives through the recorded backward closures (xg::gradgradcheck).
  std::uint64_t seed = 500;
  for (const auto& [name, fn] : cases())
    BOOST_TEST_CONTEXT(name) {
      check_gradgrad([f = fn](const Inputs& in) { return f(in[0]); }, {leaf_away_from_zero({6}, seed++)});
    }
}
