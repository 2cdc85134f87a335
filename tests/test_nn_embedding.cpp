#define BOOST_TEST_MODULE nn_embedding
// Embedding's libtorch options (max_norm, norm_type, scale_grad_by_freq, sparse, _weight),
// Embedding::from_pretrained and xg::embedding_renorm_. Parity: tests/fixtures/nn_extra/
// embedding_options_float64.safetensors, written by tools/make_nn_extra_fixtures.py (PyTorch
// 1.13): outputs, weight gradients and the weight after the forward, per element |ours − torch|
// ≤ 1e-12 + 1e-10·|torch| (tests/parity_harness.hpp). Gradient checks: float64 central
// differences, eps 1e-6, atol 1e-5, rtol 1e-3.
#include <cmath>
#include <sstream>

#include "parity_harness.hpp"

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using Inputs = std::vector<Tensor>;

namespace {
namespace parity = xg::testing::parity;
using parity::Named;

nn::EmbeddingOptions options_of(const parity::Case& c) {
  nn::EmbeddingOptions o(c.int_option("num_embeddings"), c.int_option("embedding_dim"));
  if (c.option("padding_idx") != "none") o.padding_idx(c.int_option("padding_idx"));
  if (c.option("max_norm") != "none") o.max_norm(std::stod(c.option("max_norm")));
  return o.norm_type(std::stod(c.option("norm_type"))).scale_grad_by_freq(c.flag("scale_grad_by_freq"));
}

Tensor long_tensor(std::vector<double> values, const Shape& shape) { return from_vector(values, shape, kInt64); }

}  // namespace

BOOST_AUTO_TEST_CASE(embedding_options_match_pytorch) {
  // The harness compares outputs and weight gradients; the weight after the forward (max_norm's
  // in-place renormalisation) is compared here, from the module the builder made.
  std::shared_ptr<nn::Embedding> last;
  const parity::Builder build = [&last](const parity::Case& c, Dtype) -> parity::Built {
    last = c.options.count("from_pretrained")
               ? nn::Embedding::from_pretrained(c.tensors.at("param.weight").detach().clone(),
                                                nn::EmbeddingFromPretrainedOptions().freeze(false).max_norm(
                                                    std::stod(c.option("max_norm"))))
               : std::make_shared<nn::Embedding>(options_of(c));
    auto m = last;
    return {m, [m](const Named& i) { return Named{{"output", m->forward(i.at("input"))}}; }};
  };
  parity::Report total;
  int renormalised = 0;
  for (const parity::Case& c : parity::load_cases("nn_extra", "embedding_options_float64.safetensors")) {
    BOOST_TEST_CONTEXT(c.name << " " << c.describe()) {
      parity::Report r = parity::run_case(c, kFloat64, build);
      parity::compare(c.name + " after.weight", last->weight, c.tensors.at("after.weight"), r);
      if (c.tensors.at("after.weight").to_vector() != c.tensors.at("param.weight").to_vector()) ++renormalised;
      for (const std::string& f : r.failures) BOOST_ERROR(f);
      total.merge(r);
    }
  }
  BOOST_TEST(total.cases == 15);
  BOOST_TEST(renormalised >= 10);  // the max_norm cases do rescale rows
  BOOST_TEST_MESSAGE("embedding_options: " << total.elements << " values compared, largest relative error "
                                           << total.max_rel << " (" << total.max_rel_where << ")");
}

BOOST_AUTO_TEST_CASE(embedding_options_parity_detects_a_perturbed_max_norm) {
  // Negative control: the max_norm case (L2, 2.5) replayed with max_norm moved by a relative
  // 1e-8 must fail (the renormalised rows then differ by that much). Perturbing weight[0, 0], as
  // the other families' controls do, would show nothing: row 0 is never looked up.
  const auto cases = parity::load_cases("nn_extra", "embedding_options_float64.safetensors");
  const parity::Case& c = cases.at(1);
  BOOST_REQUIRE(c.option("max_norm") == "2.5");
  for (double scale : {1.0, 1.0 + 1e-8}) {
    const parity::Builder build = [scale](const parity::Case& k, Dtype) -> parity::Built {
      auto m = std::make_shared<nn::Embedding>(options_of(k).max_norm(2.5 * scale));
      return {m, [m](const Named& i) { return Named{{"output", m->forward(i.at("input"))}}; }};
    };
    BOOST_TEST(parity::run_case(c, kFloat64, build).failures.empty() == (scale == 1.0), "max_norm scale " << scale);
  }
}

BOOST_AUTO_TEST_CASE(embedding_renorm_value) {
  // Row 1 = (3, 4): L2 norm 5 > 2 → scaled by 2 / (5 + 1e-7); row 0 (never looked up) and row 2
  // (norm 1 ≤ 2) stay. L1 with max_norm 5: row 1's L1 norm 7 → scaled by 5 / (7 + 1e-7).
  Tensor w = from_vector({10.0, 0.0, 3.0, 4.0, 0.6, 0.8}, {3, 2}, kFloat64);
  const std::uint32_t version = w._version();
  embedding_renorm_(w, long_tensor({1, 2, 1}, {3}), 2.0, 2.0);
  const double s = 2.0 / (5.0 + 1e-7);
  BOOST_TEST(w.to_vector() == std::vector<double>({10.0, 0.0, 3.0 * s, 4.0 * s, 0.6, 0.8}));
  BOOST_TEST(w._version() > version);
  Tensor v = from_vector({3.0, 4.0}, {1, 2}, kFloat64);
  embedding_renorm_(v, long_tensor({0}, {1}), 5.0, 1.0);
  const double t = 5.0 / (7.0 + 1e-7);
  BOOST_TEST(v.to_vector() == std::vector<double>({3.0 * t, 4.0 * t}));
  // Nothing above max_norm: no write, no version bump.
  const std::uint32_t unchanged = v._version();
  embedding_renorm_(v, long_tensor({0}, {1}), 100.0, 2.0);
  BOOST_TEST(v._version() == unchanged);
}

BOOST_AUTO_TEST_CASE(embedding_max_norm_value) {
  // The forward returns the renormalised rows and leaves them in the weight.
  nn::Embedding e(nn::EmbeddingOptions(3, 2).max_norm(1.0));
  {
    NoGradGuard no_grad;
    e.weight.copy_(from_vector({0.0, 2.0, 3.0, 4.0, 0.3, 0.4}, {3, 2}));
  }
  const Tensor out = e.forward(long_tensor({1, 1}, {2}));
  const float s = static_cast<float>(1.0 / (5.0 + 1e-7));
  const std::vector<double> row1 = {static_cast<double>(3.0f * s), static_cast<double>(4.0f * s)};
  BOOST_TEST(out.to_vector() == std::vector<double>({row1[0], row1[1], row1[0], row1[1]}));
  BOOST_TEST(e.weight.to_vector() == std::vector<double>({0.0, 2.0, row1[0], row1[1], 0.3f, 0.4f}));
}

BOOST_AUTO_TEST_CASE(embedding_gradient) {
  // The lookup with max_norm above every looked-up row's norm is the plain lookup: full Jacobian
  // with respect to the weight (padding_idx is left out: its zero gradient is by definition not
  // the derivative).
  auto e = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(5, 3).max_norm(10.0).norm_type(3.0));
  e->to(kFloat64);
  const Tensor indices = long_tensor({4, 0, 4, 2}, {2, 2});
  check_gradient(
      [e, indices](const Inputs& in) {
        e->weight = in[0];
        return e->forward(indices);
      },
      {leaf({5, 3}, 1)});
}

BOOST_AUTO_TEST_CASE(embedding_scale_grad_by_freq_value) {
  // Row 1 is looked up twice, row 2 once: with L = Σ out, row 1's gradient is (1 + 1)/2, row
  // 2's is 1, rows 0 and 3 get 0. Without the option row 1 gets 2.
  for (bool by_freq : {true, false}) {
    nn::Embedding e(nn::EmbeddingOptions(4, 2).scale_grad_by_freq(by_freq));
    const Tensor out = e.forward(long_tensor({1, 2, 1}, {3}));
    out.sum().backward();
    const double row1 = by_freq ? 1.0 : 2.0;
    BOOST_TEST(e.weight.grad().to_vector() == std::vector<double>({0, 0, row1, row1, 1, 1, 0, 0}));
    BOOST_TEST(out.to_vector() == index_select(e.weight, 0, long_tensor({1, 2, 1}, {3})).to_vector());
  }
}

BOOST_AUTO_TEST_CASE(embedding_scale_grad_by_freq_double_backward) {
  // The scaled backward is a recorded mul, so the weight gradient, as a function of the incoming
  // gradient v (create_graph), is differentiable again: gradcheck of v ↦ ∂⟨out, v⟩/∂weight against
  // central differences, and its value: row r of the gradient is Σ_{positions of r} v / count(r).
  // (gradgradcheck in the weight does not apply: by design the scaled gradient is not the
  // derivative of the forward.)
  auto e = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(4, 3).scale_grad_by_freq(true));
  e->to(kFloat64);
  const Tensor indices = long_tensor({3, 1, 3, 3, 0}, {5});
  auto weight_gradient = [e, indices](const Inputs& in) {
    AutoGradMode grad_mode(true);  // gradcheck evaluates the numeric side under no_grad
    return autograd::grad({e->forward(indices)}, {e->weight}, {in[0]}, std::nullopt, /*create_graph=*/true)[0];
  };
  check_gradient(weight_gradient, {leaf({5, 3}, 3)});
  const Tensor v = from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {5, 3}, kFloat64);
  const auto g = weight_gradient({v}).to_vector();
  // Row 0 ← position 4, row 1 ← position 1, row 3 ← (v0 + v2 + v3)/3 = (18, 21, 24)/3.
  const std::vector<double> expected = {13, 14, 15, 4, 5, 6, 0, 0, 0, 6, 7, 8};
  for (std::size_t i = 0; i < g.size(); ++i) BOOST_TEST(g[i] == expected[i], boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(embedding_from_pretrained_value) {
  Tensor pretrained = from_vector({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {3, 2}, kFloat64);
  auto frozen = nn::Embedding::from_pretrained(pretrained);
  BOOST_TEST(!frozen->weight.requires_grad());
  BOOST_TEST(frozen->weight.dtype() == kFloat64);
  BOOST_TEST(frozen->forward(long_tensor({2, 0}, {2})).to_vector() == std::vector<double>({5, 6, 1, 2}));
  // The weight shares the given storage, as PyTorch's Parameter(embeddings) does.
  pretrained.set({0, 0}, -1.0);
  BOOST_TEST(frozen->weight.at({0, 0}) == -1.0);
  // freeze(false) trains; padding_idx keeps the given row (no zeroing) and blocks its gradient.
  auto trainable = nn::Embedding::from_pretrained(
      from_vector({1.0, 2.0, 3.0, 4.0}, {2, 2}), nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(1));
  BOOST_TEST(trainable->weight.requires_grad());
  BOOST_TEST(trainable->padding_idx == 1);
  const Tensor out = trainable->forward(long_tensor({1, 0}, {2}));
  BOOST_TEST(out.to_vector() == std::vector<double>({3, 4, 1, 2}));
  out.sum().backward();
  BOOST_TEST(trainable->weight.grad().to_vector() == std::vector<double>({1, 1, 0, 0}));
}

BOOST_AUTO_TEST_CASE(embedding_options_repr_is_pytorch_like) {
  auto repr = [](const nn::Module& m) {
    std::ostringstream os;
    os << m;
    return os.str();
  };
  BOOST_TEST(repr(nn::Embedding(nn::EmbeddingOptions(7, 4).padding_idx(3).max_norm(2.5).norm_type(1.0)
                                    .scale_grad_by_freq(true))) ==
             "Embedding(7, 4, padding_idx=3, max_norm=2.5, norm_type=1.0, scale_grad_by_freq=True)");
  BOOST_TEST(repr(nn::Embedding(nn::EmbeddingOptions(7, 4).max_norm(1.0))) == "Embedding(7, 4, max_norm=1.0)");
}

BOOST_AUTO_TEST_CASE(embedding_rejects_sparse) {
  check_throws([] { nn::Embedding(nn::EmbeddingOptions(5, 3).sparse(true)); },
               {"Embedding", "sparse", "not supported"});
  check_throws([] { nn::Embedding::from_pretrained(zeros({5, 3}), nn::EmbeddingFromPretrainedOptions().sparse(true)); },
               {"Embedding", "sparse"});
}

BOOST_AUTO_TEST_CASE(embedding_rejects_pretrained_of_wrong_shape) {
  check_throws([] { nn::Embedding::from_pretrained(zeros({5})); }, {"from_pretrained", "2-D", "[5]"});
  check_throws([] { nn::Embedding::from_pretrained(zeros({5, 3}, kInt64)); }, {"Embedding", "_weight", "int64"});
  check_throws([] { nn::Embedding(nn::EmbeddingOptions(5, 3)._weight(zeros({3, 5}))); },
               {"Embedding", "_weight [3, 5]", "[5, 3]"});
}

BOOST_AUTO_TEST_CASE(embedding_renorm_rejects_bad_indices) {
  nn::Embedding e(nn::EmbeddingOptions(5, 3).max_norm(1.0));
  const std::vector<double> before = e.weight.to_vector();
  check_throws([&] { e.forward(long_tensor({1, 7}, {2})); }, {"embedding_renorm_", "index 7", "[5, 3]"});
  check_throws([&] { e.forward(long_tensor({-1}, {1})); }, {"embedding_renorm_", "index -1"});
  check_throws([&] { e.forward(zeros({2})); }, {"embedding_renorm_", "int64"});
  BOOST_TEST(e.weight.to_vector() == before);  // nothing renormalised before the refusal
  check_throws([] { embedding_renorm_(zeros({5}), long_tensor({0}, {1}), 1.0, 2.0); },
               {"embedding_renorm_", "2-D", "[5]"});
}
