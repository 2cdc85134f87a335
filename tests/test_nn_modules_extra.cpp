#define BOOST_TEST_MODULE nn_modules_extra
// LayerNorm (and xg::layer_norm), the activation modules GELU, SiLU, LeakyReLU,
// ELU, Softplus, Hardtanh, LogSigmoid, and Flatten/Unflatten (and
// xg::unflatten). Parity: tests/fixtures/nn_extra/, written by
// tools/make_nn_extra_fixtures.py (PyTorch 1.13), float64, per element |ours −
// torch| ≤ 1e-12 + 1e-10·|torch| (tests/parity_harness.hpp). Gradient checks:
// float64 central differences, PyTorch's gradcheck tolerances (eps 1e-6, atol
// 1e-5, rtol 1e-3); gradcheck compares the full Jacobian, so no output
// reduction hides a wrong entry.
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

std::vector<std::int64_t> ints_of(const std::string& text) {
  std::vector<std::int64_t> out;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoll(item));
  return out;
}

parity::Built built(std::shared_ptr<nn::Module> m) {
  return {m, [m](const Named& i) { return Named{{"output", m->forward(i.at("input"))}}; }};
}

// The module a fixture case names, with the options the generator wrote.
std::shared_ptr<nn::Module> module_of(const parity::Case& c) {
  const std::string& type = c.option("module");
  auto real = [&](const char* key) { return std::stod(c.option(key)); };
  if (type == "LayerNorm")
    return std::make_shared<nn::LayerNorm>(nn::LayerNormOptions(ints_of(c.option("normalized_shape")))
                                               .eps(real("eps"))
                                               .elementwise_affine(c.flag("elementwise_affine")));
  if (type == "GELU") return std::make_shared<nn::GELU>(nn::GELUOptions().approximate(c.option("approximate")));
  if (type == "SiLU") return std::make_shared<nn::SiLU>();
  if (type == "LeakyReLU")
    return std::make_shared<nn::LeakyReLU>(nn::LeakyReLUOptions().negative_slope(real("negative_slope")));
  if (type == "ELU") return std::make_shared<nn::ELU>(nn::ELUOptions().alpha(real("alpha")));
  if (type == "Softplus")
    return std::make_shared<nn::Softplus>(nn::SoftplusOptions().beta(real("beta")).threshold(real("threshold")));
  if (type == "Hardtanh")
    return std::make_shared<nn::Hardtanh>(nn::HardtanhOptions().min_val(real("min_val")).max_val(real("max_val")));
  if (type == "LogSigmoid") return std::make_shared<nn::LogSigmoid>();
  if (type == "Flatten")
    return std::make_shared<nn::Flatten>(
        nn::FlattenOptions().start_dim(c.int_option("start_dim")).end_dim(c.int_option("end_dim")));
  if (type == "Unflatten")
    return std::make_shared<nn::Unflatten>(nn::UnflattenOptions(c.int_option("dim"), ints_of(c.option("sizes"))));
  throw std::runtime_error("unknown module " + type);
}

parity::Built build(const parity::Case& c, Dtype) { return built(module_of(c)); }

// A leaf with |x| in [0.36, 2.16) and random sign: ≥ 0.36 from the kink at 0 of
// leaky_relu/elu, and wide enough that Softplus(beta 2, threshold 2.5) sees
// both sides of its switch at x = 1.25.
Tensor input_away_from_kinks(const Shape& shape, std::uint64_t seed) {
  Tensor x = (testing::leaf_away_from_zero(shape, seed) * 1.8).detach();
  x.requires_grad_();
  return x;
}

}  // namespace

// ---- PyTorch parity
// ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(layer_norm_matches_pytorch) { parity::run_family("nn_extra", "layer_norm", {kFloat64}, build); }
BOOST_AUTO_TEST_CASE(activation_modules_match_pytorch) {
  parity::run_family("nn_extra", "activation", {kFloat64}, build);
}
BOOST_AUTO_TEST_CASE(flatten_and_unflatten_match_pytorch) {
  parity::run_family("nn_extra", "flatten", {kFloat64}, build);
}

BOOST_AUTO_TEST_CASE(layer_norm_parity_detects_a_perturbed_weight) {
  // Negative control: the same replay must fail when one weight moves by a
  // relative 1e-8.
  const auto cases = parity::load_cases("nn_extra", "layer_norm_float64.safetensors");
  BOOST_REQUIRE(cases.at(0).flag("elementwise_affine"));
  BOOST_TEST(parity::run_case(cases.at(0), kFloat64, build).failures.empty());
  BOOST_TEST(!parity::run_case(cases.at(0), kFloat64, build, 1e-8).failures.empty());
}

// ---- LayerNorm
// ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(layer_norm_parameters_value) {
  nn::LayerNorm norm(nn::LayerNormOptions({4, 5}));
  const auto named = norm.named_parameters();
  BOOST_REQUIRE(named.size() == 2u);
  BOOST_TEST(named[0].first == "weight");
  BOOST_TEST(named[1].first == "bias");
  BOOST_TEST(named[0].second.shape() == Shape({4, 5}));
  BOOST_TEST(named[1].second.shape() == Shape({4, 5}));
  BOOST_TEST(named[0].second.to_vector() == std::vector<double>(20, 1.0));
  BOOST_TEST(named[1].second.to_vector() == std::vector<double>(20, 0.0));
  BOOST_TEST(named[0].second.requires_grad());
  BOOST_TEST(nn::LayerNorm(nn::LayerNormOptions({5}).elementwise_affine(false)).parameters().empty());
}

BOOST_AUTO_TEST_CASE(layer_norm_value) {
  // Rows {1, 2, 3} and {0, 0, 6}: mean 2 and 2, biased variance 2/3 and 8; eps
  // 0 keeps it exact.
  const Tensor x = from_vector({1.0, 2.0, 3.0, 0.0, 0.0, 6.0}, {2, 3}, kFloat64);
  const Tensor y = layer_norm(x, {3}, {}, {}, 0.0);
  const double a = 1 / std::sqrt(2.0 / 3.0), b = 1 / std::sqrt(8.0);
  const std::vector<double> expected = {-a, 0.0, a, -2 * b, -2 * b, 4 * b};
  const auto got = y.to_vector();
  for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(got[i] == expected[i], boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(layer_norm_gradient) {
  // Two normalized dims, weight and bias: every input's full Jacobian.
  check_gradient(
      [](const Inputs& in) {
        return layer_norm(in[0], {3, 4}, in[1], in[2], 1e-3);
      },
      {leaf({2, 3, 4}, 1), leaf({3, 4}, 2), leaf({3, 4}, 3)});
  check_gradient([](const Inputs& in) { return layer_norm(in[0], {4}, {}, {}, 1e-5); }, {leaf({3, 4}, 4)});
}

BOOST_AUTO_TEST_CASE(layer_norm_gradgradcheck) {
  check_gradgrad(
      [](const Inputs& in) {
        return layer_norm(in[0], {3, 4}, in[1], in[2], 1e-3);
      },
      {leaf({2, 3, 4}, 5), leaf({3, 4}, 6), leaf({3, 4}, 7)});
}

BOOST_AUTO_TEST_CASE(layer_norm_module_gradient) {
  // The module's parameters as gradcheck inputs: forward reads them through the
  // module.
  auto norm = std::make_shared<nn::LayerNorm>(nn::LayerNormOptions({2, 3}).eps(1e-4));
  norm->to(kFloat64);
  check_gradient(
      [norm](const Inputs& in) {
        norm->weight = in[1];
        norm->bias = in[2];
        return norm->forward(in[0]);
      },
      {leaf({4, 2, 3}, 8), leaf({2, 3}, 9), leaf({2, 3}, 10)});
}

BOOST_AUTO_TEST_CASE(layer_norm_rejects_input_of_other_trailing_shape) {
  nn::LayerNorm norm(nn::LayerNormOptions({4, 5}));
  check_throws([&] { norm.forward(zeros({2, 5, 4})); }, {"layer_norm", "[4, 5]", "[2, 5, 4]"});
  check_throws([&] { norm.forward(zeros({5})); }, {"layer_norm", "[4, 5]", "[5]"});
}

BOOST_AUTO_TEST_CASE(layer_norm_rejects_weight_of_other_shape) {
  check_throws([] { layer_norm(zeros({2, 3}), {3}, ones({2})); }, {"layer_norm", "weight", "[3]", "[2]"});
  check_throws([] { layer_norm(zeros({2, 3}), {3}, ones({3}), zeros({3, 1})); }, {"layer_norm", "bias", "[3, 1]"});
}

BOOST_AUTO_TEST_CASE(layer_norm_rejects_empty_normalized_shape_and_integer_input) {
  check_throws([] { layer_norm(zeros({2, 3}), {}); }, {"layer_norm", "normalized_shape", "[]"});
  check_throws([] { layer_norm(zeros({2, 3}, kInt64), {3}); }, {"layer_norm", "int64"});
  check_throws([] { nn::LayerNorm(nn::LayerNormOptions({3, -2})); }, {"LayerNorm", "[3, -2]"});
}

// ---- activation modules
// ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(activation_modules_gradient) {
  const std::vector<std::shared_ptr<nn::Module>> modules = {
      std::make_shared<nn::GELU>(),
      std::make_shared<nn::GELU>(nn::GELUOptions().approximate("tanh")),
      std::make_shared<nn::SiLU>(),
      std::make_shared<nn::LeakyReLU>(nn::LeakyReLUOptions().negative_slope(0.3)),
      std::make_shared<nn::ELU>(nn::ELUOptions().alpha(0.6)),
      std::make_shared<nn::Softplus>(nn::SoftplusOptions().beta(2.0).threshold(2.5)),
      std::make_shared<nn::Hardtanh>(nn::HardtanhOptions().min_val(-0.7).max_val(1.5)),
      std::make_shared<nn::LogSigmoid>(),
  };
  for (const auto& m : modules) {
    BOOST_TEST_CONTEXT(m->type_name() << "(" << m->extra_repr() << ")") {
      check_gradient([m](const Inputs& in) { return m->forward(in[0]); }, {input_away_from_kinks({3, 4}, 11)});
    }
  }
}

BOOST_AUTO_TEST_CASE(activation_module_options_reach_the_op) {
  // Each option changes the output exactly as the functional op with that
  // option does.
  const Tensor x = from_vector({-2.0, -0.5, 0.25, 1.5, 3.0}, {5}, kFloat64);
  BOOST_TEST(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.3)).forward(x).to_vector() ==
             leaky_relu(x, 0.3).to_vector());
  BOOST_TEST(nn::ELU(nn::ELUOptions().alpha(0.6)).forward(x).to_vector() == elu(x, 0.6).to_vector());
  BOOST_TEST(nn::Softplus(nn::SoftplusOptions().beta(2.0).threshold(1.0)).forward(x).to_vector() ==
             softplus(x, 2.0, 1.0).to_vector());
  BOOST_TEST(nn::Hardtanh(nn::HardtanhOptions().min_val(-0.5).max_val(2.0)).forward(x).to_vector() ==
             std::vector<double>({-0.5, -0.5, 0.25, 1.5, 2.0}));
  BOOST_TEST(nn::GELU(nn::GELUOptions().approximate("tanh")).forward(x).to_vector() == gelu(x, "tanh").to_vector());
  BOOST_TEST(nn::GELU().forward(x).to_vector() != gelu(x, "tanh").to_vector());
}

BOOST_AUTO_TEST_CASE(hardtanh_rejects_min_val_not_below_max_val) {
  check_throws([] { nn::Hardtanh(nn::HardtanhOptions().min_val(2.0).max_val(-1.0)); },
               {"Hardtanh", "max_val", "min_val = 2.0", "max_val = -1.0"});
  check_throws([] { nn::Hardtanh(nn::HardtanhOptions().min_val(0.5).max_val(0.5)); }, {"Hardtanh", "0.5"});
}

BOOST_AUTO_TEST_CASE(gelu_rejects_unknown_approximate) {
  nn::GELU g(nn::GELUOptions().approximate("fast"));
  check_throws([&] { g.forward(zeros({2})); }, {"gelu", "fast"});
}

// ---- Flatten / Unflatten
// -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unflatten_value) {
  const Tensor x = arange(24, kFloat64).reshape({2, 12});
  const Tensor y = unflatten(x, 1, {3, -1});
  BOOST_TEST(y.shape() == Shape({2, 3, 4}));
  BOOST_TEST(y.to_vector() == x.to_vector());  // a view: row-major order unchanged
  BOOST_TEST(unflatten(x, -2, {1, 2}).shape() == Shape({1, 2, 12}));
}

BOOST_AUTO_TEST_CASE(flatten_and_unflatten_gradient) {
  nn::Flatten flatten_module(nn::FlattenOptions().start_dim(0).end_dim(1));
  nn::Unflatten unflatten_module(nn::UnflattenOptions(-1, {2, 2}));
  check_gradient([&](const Inputs& in) { return unflatten_module.forward(flatten_module.forward(in[0])); },
                 {leaf({2, 3, 4}, 12)});
}

BOOST_AUTO_TEST_CASE(unflatten_rejects_sizes_of_another_product) {
  nn::Unflatten m(nn::UnflattenOptions(1, {2, 2}));
  check_throws(
      [&] {
        m.forward(zeros({3, 6}));
      },
      {"unflatten", "[2, 2]", "multiply to 4", "size 6", "dim 1", "[3, 6]"});
  check_throws([] { unflatten(zeros({3, 6}), 1, {4, -1}); }, {"unflatten", "[4, -1]", "6"});
  check_throws([] { unflatten(zeros({3, 6}), 1, {-1, -1}); }, {"unflatten", "[-1, -1]"});
  check_throws([] { unflatten(zeros({3, 6}), 1, {}); }, {"unflatten", "[]"});
  check_throws([] { unflatten(zeros({3, 6}), 2, {6}); }, {"unflatten"});
}

BOOST_AUTO_TEST_CASE(flatten_rejects_start_dim_after_end_dim) {
  nn::Flatten m(nn::FlattenOptions().start_dim(2).end_dim(1));
  check_throws([&] { m.forward(zeros({2, 3, 4})); }, {"flatten", "start_dim 2", "end_dim 1", "[2, 3, 4]"});
}

// ---- in Sequential, repr
// -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(new_modules_compose_in_sequential) {
  auto linear = std::make_shared<nn::Linear>(6, 6);
  nn::Sequential seq{std::make_shared<nn::Flatten>(), linear,
                     std::make_shared<nn::LayerNorm>(nn::LayerNormOptions({6})), std::make_shared<nn::GELU>(),
                     std::make_shared<nn::Unflatten>(nn::UnflattenOptions(1, {2, 3}))};
  seq.to(kFloat64);
  const auto names = seq.named_parameters();
  BOOST_REQUIRE(names.size() == 4u);
  BOOST_TEST(names[2].first == "2.weight");
  BOOST_TEST(names[3].first == "2.bias");
  check_gradient([&](const Inputs& in) { return seq.forward(in[0]); }, {leaf({4, 2, 3}, 13)});
  BOOST_TEST(seq.forward(zeros({4, 2, 3}, kFloat64)).shape() == Shape({4, 2, 3}));
}

BOOST_AUTO_TEST_CASE(new_modules_repr_is_pytorch_like) {
  // The strings are what PyTorch 1.13 prints for the same modules.
  auto repr = [](const nn::Module& m) {
    std::ostringstream os;
    os << m;
    return os.str();
  };
  BOOST_TEST(repr(nn::LayerNorm(nn::LayerNormOptions({4, 5}))) ==
             "LayerNorm((4, 5), eps=1e-05, elementwise_affine=True)");
  BOOST_TEST(repr(nn::LayerNorm(nn::LayerNormOptions({5}).eps(0.1).elementwise_affine(false))) ==
             "LayerNorm((5,), eps=0.1, elementwise_affine=False)");
  BOOST_TEST(repr(nn::GELU(nn::GELUOptions().approximate("tanh"))) == "GELU(approximate='tanh')");
  BOOST_TEST(repr(nn::SiLU()) == "SiLU()");
  BOOST_TEST(repr(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2))) == "LeakyReLU(negative_slope=0.2)");
  BOOST_TEST(repr(nn::ELU()) == "ELU(alpha=1.0)");
  BOOST_TEST(repr(nn::Softplus(nn::SoftplusOptions().beta(2.0).threshold(3.0))) == "Softplus(beta=2.0, threshold=3.0)");
  BOOST_TEST(repr(nn::Hardtanh(nn::HardtanhOptions().min_val(-0.5).max_val(2.0))) ==
             "Hardtanh(min_val=-0.5, max_val=2.0)");
  BOOST_TEST(repr(nn::LogSigmoid()) == "LogSigmoid()");
  BOOST_TEST(repr(nn::Flatten()) == "Flatten(start_dim=1, end_dim=-1)");
  BOOST_TEST(repr(nn::Unflatten(nn::UnflattenOptions(1, {3, 4}))) == "Unflatten(dim=1, unflattened_size=(3, 4))");
}
