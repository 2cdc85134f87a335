#define BOOST_TEST_MODULE nn_parity
#include "parity_harness.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

using namespace xg;

// Parity with PyTorch 1.13: replays tests/fixtures/nn/*.safetensors, written by
// tools/make_nn_fixtures.py, with the shared harness (tests/parity_harness.hpp:
// layout and tolerances are described there).

namespace {

using namespace xg::testing::parity;
using Inputs = Named;
using Outputs = Named;

nn::Nonlinearity nonlinearity(const Case &c) {
  const std::string &s = c.option("nonlinearity");
  if (s == "tanh")
    return nn::kTanh;
  if (s == "relu")
    return nn::kReLU;
  throw std::runtime_error(c.name + ": unknown nonlinearity " + s);
}

Reduction reduction(const Case &c) {
  const std::string &s = c.option("reduction");
  if (s == "none")
    return Reduction::None;
  if (s == "mean")
    return Reduction::Mean;
  if (s == "sum")
    return Reduction::Sum;
  throw std::runtime_error(c.name + ": unknown reduction " + s);
}

Built build(const Case &c, Dtype dtype) {
  const std::string &type = c.option("module");
  if (type == "Linear") {
    auto m = std::make_shared<nn::Linear>(
        nn::LinearOptions(c.int_option("in_features"), c.int_option("out_features"))
            .bias(c.flag("bias")));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"))}};
            }};
  }
  if (type == "RNNCell") {
    auto m = std::make_shared<nn::RNNCell>(
        nn::RNNCellOptions(c.int_option("input_size"), c.int_option("hidden_size"))
            .bias(c.flag("bias"))
            .nonlinearity(nonlinearity(c)));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"),
                                                   optional_input(in, "h0"))}};
            }};
  }
  if (type == "RNN") {
    auto m = std::make_shared<nn::RNN>(
        nn::RNNOptions(c.int_option("input_size"), c.int_option("hidden_size"))
            .num_layers(c.int_option("num_layers"))
            .nonlinearity(nonlinearity(c))
            .bias(c.flag("bias"))
            .batch_first(c.flag("batch_first"))
            .bidirectional(c.flag("bidirectional"))
            .dropout(std::stod(c.option("dropout"))));
    m->train(c.flag("training"));
    return {m, [m](const Inputs &in) {
              auto [output, h_n] =
                  m->forward(in.at("input"), optional_input(in, "h0"));
              return Outputs{{"output", output}, {"h_n", h_n}};
            }};
  }
  if (type == "Embedding") {
    const std::string &p = c.option("padding_idx");
    std::optional<std::int64_t> padding;
    if (p != "none")
      padding = std::stoll(p);
    auto m = std::make_shared<nn::Embedding>(
        nn::EmbeddingOptions(c.int_option("num_embeddings"), c.int_option("embedding_dim"))
            .padding_idx(padding));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"))}};
            }};
  }
  if (type == "Softmax" || type == "LogSoftmax") {
    std::shared_ptr<nn::Module> m;
    if (type == "Softmax")
      m = std::make_shared<nn::Softmax>(c.int_option("dim"));
    else
      m = std::make_shared<nn::LogSoftmax>(c.int_option("dim"));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"))}};
            }};
  }
  if (type == "CrossEntropyLoss") {
    CrossEntropyOptions o;
    o.reduction(reduction(c))
        .ignore_index(c.int_option("ignore_index"))
        .label_smoothing(std::stod(c.option("label_smoothing")));
    // The class weight is a buffer named "weight", as in PyTorch: it arrives
    // with load_state_dict.
    if (c.flag("weight"))
      o.weight(zeros({c.int_option("classes")}, dtype));
    auto m = std::make_shared<nn::CrossEntropyLoss>(o);
    return {m, [m](const Inputs &in) {
              return Outputs{
                  {"output", m->forward(in.at("input"), in.at("target"))}};
            }};
  }
  throw std::runtime_error(c.name + ": unknown module " + type);
}

void run_family(const std::string &family, std::initializer_list<Dtype> dtypes) {
  xg::testing::parity::run_family("nn", family, dtypes, build);
}

} // namespace

BOOST_AUTO_TEST_CASE(linear_matches_pytorch) {
  run_family("linear", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(rnn_cell_matches_pytorch) {
  run_family("rnn_cell", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(rnn_matches_pytorch) {
  // {1, 2 layers} × {tanh, relu} × batch_first × bidirectional × bias with a
  // given h0, then default h0, unbatched input and inter-layer dropout switched
  // off by eval().
  run_family("rnn", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(embedding_matches_pytorch) {
  run_family("embedding", {kFloat64});
}

BOOST_AUTO_TEST_CASE(softmax_log_softmax_match_pytorch) {
  run_family("softmax", {kFloat64});
}

BOOST_AUTO_TEST_CASE(cross_entropy_matches_pytorch) {
  run_family("cross_entropy", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(parity_detects_a_perturbed_weight) {
  // Negative control: the same replay with one weight scaled by (1 + δ) must
  // report mismatches, for δ far below what a real bug would cause (1e-4 in
  // float32, 1e-8 in float64).
  for (const auto &[file, dtype, delta] :
       {std::make_tuple("rnn_float32.safetensors", kFloat32, 1e-4),
        std::make_tuple("rnn_float64.safetensors", kFloat64, 1e-8),
        std::make_tuple("linear_float64.safetensors", kFloat64, 1e-8)}) {
    const Case c = load_cases("nn", file).at(0);
    BOOST_TEST(run_case(c, dtype, build).failures.empty(),
               file << " case0 must pass unperturbed");
    const Report r = run_case(c, dtype, build, delta);
    BOOST_TEST(!r.failures.empty(), file << " case0 with weight scaled by 1+"
                                         << delta << " was not caught");
  }
}

// Prints the totals per dtype once every selected case has run (also to stdout,
// so the numbers show with --log_level=message and in ctest's verbose output).
struct ParitySummary {
  void setup() {}
  void teardown() {
    for (const auto &[dtype, r] : totals()) {
      const Tolerance tol = tolerance_for(dtype);
      std::ostringstream os;
      os << "nn parity " << dtype_name(dtype) << ": " << r.cases << " cases, "
         << r.elements << " values, largest relative error " << r.max_rel
         << " at " << r.max_rel_where << " (tolerance rtol " << tol.rtol
         << ", atol " << tol.atol << "), largest absolute error " << r.max_abs
         << ", " << r.failures.size() << " mismatches";
      BOOST_TEST_MESSAGE(os.str());
      std::cout << os.str() << std::endl;
    }
  }
};
BOOST_TEST_GLOBAL_FIXTURE(ParitySummary);
