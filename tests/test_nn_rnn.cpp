#define BOOST_TEST_MODULE nn_rnn
#include "test_helpers.hpp"

#include <cmath>
#include <sstream>

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_gradient_multi;
using xg::testing::check_throws;
using xg::testing::leaf;
using Inputs = std::vector<Tensor>;

// Gradient checks use PyTorch's gradcheck tolerances: eps 1e-6, atol 1e-5, rtol 1e-3, float64.

namespace {
struct Config {
  std::int64_t layers;
  nn::Nonlinearity nl;
  bool batch_first, bidirectional, bias;
};

std::string describe(const Config& c) {
  std::ostringstream os;
  os << "layers=" << c.layers << " nl=" << (c.nl == nn::kTanh ? "tanh" : "relu") << " batch_first=" << c.batch_first
     << " bidirectional=" << c.bidirectional << " bias=" << c.bias;
  return os.str();
}

std::vector<Config> all_configs() {
  std::vector<Config> out;
  for (std::int64_t layers : {1, 2})
    for (auto nl : {nn::kTanh, nn::kReLU})
      for (bool bf : {false, true})
        for (bool bi : {false, true})
          for (bool bias : {true, false}) out.push_back({layers, nl, bf, bi, bias});
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(rnn_gradient_over_option_grid) {
  // BPTT over 5 steps w.r.t. input, h0 and every parameter, for every option combination.
  const std::int64_t L = 5, N = 2, Hin = 3, H = 4;
  std::uint64_t seed = 1;
  for (const Config& c : all_configs()) {
    BOOST_TEST_CONTEXT(describe(c)) {
      manual_seed(seed++);
      auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(Hin, H)
                                               .num_layers(c.layers)
                                               .nonlinearity(c.nl)
                                               .batch_first(c.batch_first)
                                               .bidirectional(c.bidirectional)
                                               .bias(c.bias));
      rnn->to(kFloat64);
      const std::int64_t D = c.bidirectional ? 2 : 1;
      Tensor x = leaf(c.batch_first ? Shape{N, L, Hin} : Shape{L, N, Hin}, seed++);
      Tensor h0 = leaf({D * c.layers, N, H}, seed++, -0.5, 0.5);
      Inputs inputs{x, h0};
      for (const Tensor& p : rnn->parameters()) inputs.push_back(p);
      check_gradient_multi(
          [&](const Inputs& in) {
            auto [out, hn] = rnn->forward(in[0], in[1]);
            return Inputs{out, hn};
          },
          inputs);
    }
  }
}

BOOST_AUTO_TEST_CASE(rnn_unbatched_gradient_and_default_h0) {
  manual_seed(3);
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(3, 4).num_layers(2).bidirectional(true));
  rnn->to(kFloat64);
  Tensor x = leaf({6, 3}, 5);
  Inputs inputs{x};
  for (const Tensor& p : rnn->parameters()) inputs.push_back(p);
  check_gradient_multi(
      [&](const Inputs& in) {
        auto [out, hn] = rnn->forward(in[0]);
        return Inputs{out, hn};
      },
      inputs);
}

BOOST_AUTO_TEST_CASE(rnn_output_shapes) {
  manual_seed(0);
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(3, 5).num_layers(2).bidirectional(true).batch_first(true));
  auto [out, hn] = rnn->forward(zeros({4, 7, 3}));  // (N, L, H_in)
  BOOST_TEST(shape_str(out.shape()) == "[4, 7, 10]");
  BOOST_TEST(shape_str(hn.shape()) == "[4, 4, 5]");  // batch_first never applies to h_n
  auto [uo, uh] = rnn->forward(zeros({7, 3}));
  BOOST_TEST(shape_str(uo.shape()) == "[7, 10]");
  BOOST_TEST(shape_str(uh.shape()) == "[4, 5]");
}

BOOST_AUTO_TEST_CASE(rnn_matches_hand_unrolled_recurrence) {
  // 2 layers, bidirectional: compare with the defining equations written out with plain ops.
  manual_seed(9);
  const std::int64_t L = 4, N = 2, Hin = 3, H = 2;
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(Hin, H).num_layers(2).bidirectional(true));
  rnn->to(kFloat64);
  Generator g(1);
  Tensor x = randn({L, N, Hin}, g, kFloat64);
  Tensor h0 = randn({4, N, H}, g, kFloat64);
  auto [out, hn] = rnn->forward(x, h0);
  Tensor layer_in = x;
  for (std::int64_t layer = 0; layer < 2; ++layer) {
    std::vector<Tensor> dir_outputs;
    for (std::int64_t dir = 0; dir < 2; ++dir) {
      const auto& w = rnn->weights(layer, dir);
      Tensor h = select(h0, 0, layer * 2 + dir);
      std::vector<Tensor> steps(L);
      for (std::int64_t i = 0; i < L; ++i) {
        const std::int64_t t = dir ? L - 1 - i : i;
        Tensor xt = select(layer_in, 0, t);
        h = tanh(matmul(xt, transpose(w.weight_ih, 0, 1)) + w.bias_ih + matmul(h, transpose(w.weight_hh, 0, 1)) +
                 w.bias_hh);
        steps[t] = h;
      }
      xg::testing::check_close(select(hn, 0, layer * 2 + dir), h, 1e-12, 1e-12);
      dir_outputs.push_back(stack(steps, 0));
    }
    layer_in = cat(dir_outputs, 2);
  }
  xg::testing::check_close(out, layer_in, 1e-12, 1e-12);
}

BOOST_AUTO_TEST_CASE(rnn_parameter_names_shapes_and_init) {
  manual_seed(0);
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(3, 16).num_layers(2).bidirectional(true));
  const std::vector<std::string> expected = {
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse",
      "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  const auto named = rnn->named_parameters();
  BOOST_TEST_REQUIRE(named.size() == expected.size());
  for (std::size_t i = 0; i < named.size(); ++i) BOOST_TEST(named[i].first == expected[i]);
  BOOST_TEST(shape_str(rnn->named_parameters()[0].second.shape()) == "[16, 3]");
  BOOST_TEST(shape_str(rnn->named_parameters()[8].second.shape()) == "[16, 32]");  // D·H inputs
  const double bound = 1.0 / std::sqrt(16.0);
  double lo = 1, hi = -1;
  for (const Tensor& p : rnn->parameters())
    for (double v : p.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  BOOST_TEST(lo >= -bound);
  BOOST_TEST(hi <= bound);
  BOOST_TEST(lo < -0.9 * bound);  // actually spread over the range
  BOOST_TEST(hi > 0.9 * bound);
}

BOOST_AUTO_TEST_CASE(rnn_dropout_only_in_training_and_between_layers) {
  manual_seed(0);
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(3, 8).num_layers(2).dropout(0.5));
  Tensor x = randn({5, 2, 3});
  rnn->eval();
  auto [a, ha] = rnn->forward(x);
  auto [b, hb] = rnn->forward(x);
  BOOST_TEST(a.to_vector() == b.to_vector());  // eval: no dropout, and bitwise deterministic
  rnn->train();
  auto [c, hc] = rnn->forward(x);
  double largest_change = 0;
  for (std::size_t i = 0; i < a.to_vector().size(); ++i)
    largest_change = std::max(largest_change, std::abs(c.to_vector()[i] - a.to_vector()[i]));
  BOOST_TEST(largest_change > 1e-2);  // training: layer 0's output was dropped and rescaled
  // A single layer never drops (dropout applies between layers only).
  manual_seed(0);
  auto one = std::make_shared<nn::RNN>(nn::RNNOptions(3, 8).dropout(0.5));
  auto [d, hd] = one->forward(x);
  one->eval();
  auto [e, he] = one->forward(x);
  BOOST_TEST(d.to_vector() == e.to_vector());
}

BOOST_AUTO_TEST_CASE(rnn_rejects_bad_input) {
  manual_seed(0);
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(10, 4).num_layers(2).bidirectional(true));
  check_throws([&] { rnn->forward(zeros({5, 2, 5})); }, {"RNN", "expected input size 10, got 5"});
  check_throws([&] { rnn->forward(zeros({5})); }, {"RNN", "2-D", "3-D", "[5]"});
  check_throws([&] { rnn->forward(zeros({5, 2, 10}), zeros({2, 2, 4})); }, {"RNN", "h_0", "[4, 2, 4]", "[2, 2, 4]"});
  check_throws([&] { rnn->forward(zeros({5, 10}), zeros({4, 1, 4})); }, {"RNN", "[4, 4]", "[4, 1, 4]"});
  check_throws([&] { rnn->forward(zeros({0, 2, 10})); }, {"RNN", "zero time steps"});
  check_throws([&] { rnn->forward(zeros({5, 2, 10}, kFloat64)); }, {"RNN: input is float64", "parameters are float32"});
  check_throws([&] { rnn->forward(zeros({5, 2, 10}, kInt64)); }, {"RNN: input is int64"});
}

BOOST_AUTO_TEST_CASE(rnn_rejects_bad_options) {
  check_throws([] { nn::RNN(nn::RNNOptions(0, 4)); }, {"RNN", "input_size", "0"});
  check_throws([] { nn::RNN(nn::RNNOptions(3, -1)); }, {"RNN", "hidden_size", "-1"});
  check_throws([] { nn::RNN(nn::RNNOptions(3, 4).num_layers(0)); }, {"RNN", "num_layers", "0"});
  check_throws([] { nn::RNN(nn::RNNOptions(3, 4).dropout(1.5)); }, {"RNN", "dropout", "1.5"});
  check_throws([] { nn::RNN(nn::RNNOptions(3, 4).nonlinearity(static_cast<nn::Nonlinearity>(7))); },
               {"RNN", "nonlinearity"});
}

// ---- RNNCell ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rnn_cell_gradient) {
  for (bool bias : {true, false})
    for (auto nl : {nn::kTanh, nn::kReLU}) {
      manual_seed(4);
      auto cell = std::make_shared<nn::RNNCell>(nn::RNNCellOptions(3, 5).bias(bias).nonlinearity(nl));
      cell->to(kFloat64);
      Tensor x = leaf({2, 3}, 8), h = leaf({2, 5}, 9);
      Inputs inputs{x, h};
      for (const Tensor& p : cell->parameters()) inputs.push_back(p);
      check_gradient([&](const Inputs& in) { return cell->forward(in[0], in[1]); }, inputs);
      Tensor xu = leaf({3}, 10);
      check_gradient([&](const Inputs& in) { return cell->forward(in[0]); }, {xu});
    }
}

BOOST_AUTO_TEST_CASE(rnn_cell_value) {
  manual_seed(4);
  nn::RNNCell cell(2, 2);
  cell.to(kFloat64);
  Tensor x = from_vector({0.5, -1.0}, {2}, kFloat64), h = from_vector({0.25, 0.75}, {2}, kFloat64);
  Tensor out = cell.forward(x, h);
  for (std::int64_t i = 0; i < 2; ++i) {
    double pre = cell.bias_ih.at({i}) + cell.bias_hh.at({i});
    for (std::int64_t j = 0; j < 2; ++j) pre += cell.weight_ih.at({i, j}) * x.at({j}) + cell.weight_hh.at({i, j}) * h.at({j});
    BOOST_TEST(std::abs(out.at({i}) - std::tanh(pre)) < 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(rnn_cell_rejects_bad_input) {
  nn::RNNCell cell(3, 4);
  check_throws([&] { cell.forward(zeros({2, 5})); }, {"RNNCell", "expected input size 3, got 5"});
  check_throws([&] { cell.forward(zeros({2, 3}), zeros({3, 4})); }, {"RNNCell", "[2, 4]", "[3, 4]"});
  check_throws([&] { cell.forward(zeros({1, 2, 3})); }, {"RNNCell", "[1, 2, 3]"});
  check_throws([&] { cell.forward(zeros({2, 3}, kFloat64)); }, {"RNNCell: input is float64", "parameters are float32"});
}

// The hidden state's dtype is checked by the cell (it used to reach `linear`, which named itself).
BOOST_AUTO_TEST_CASE(rnn_cell_rejects_hidden_of_other_dtype) {
  nn::RNNCell cell(3, 4);
  check_throws([&] { cell.forward(zeros({2, 3}), zeros({2, 4}, kFloat64)); },
               {"RNNCell: hidden is float64", "input is float32"});
  check_throws([&] { cell.forward(zeros({3}), zeros({4}, kFloat64)); }, {"RNNCell: hidden is float64"});
}

BOOST_AUTO_TEST_CASE(composed_model_gradient) {
  // Embedding → RNN → Linear → CrossEntropy, the char-RNN's shape, gradient-checked end to end.
  manual_seed(12);
  auto emb = std::make_shared<nn::Embedding>(7, 3);
  auto rnn = std::make_shared<nn::RNN>(nn::RNNOptions(3, 4).num_layers(2));
  auto fc = std::make_shared<nn::Linear>(4, 7);
  for (nn::Module* m : std::initializer_list<nn::Module*>{emb.get(), rnn.get(), fc.get()}) m->to(kFloat64);
  Tensor tokens = from_vector({1, 4, 2, 6, 0, 3, 5, 1, 2, 2}, {5, 2}, kInt64);
  Tensor targets = from_vector({4, 2, 6, 0, 3, 5, 1, 2, 2, 0}, {10}, kInt64);
  Tensor h0 = leaf({2, 2, 4}, 13, -0.5, 0.5);
  Inputs inputs{h0};
  for (auto* m : std::initializer_list<nn::Module*>{emb.get(), rnn.get(), fc.get()})
    for (const Tensor& p : m->parameters()) inputs.push_back(p);
  check_gradient(
      [&](const Inputs& in) {
        auto [out, hn] = rnn->forward(emb->forward(tokens), in[0]);
        Tensor logits = fc->forward(reshape(out, {10, 4}));
        return cross_entropy(logits, targets);
      },
      inputs);
}
