#define BOOST_TEST_MODULE nn_lstm_gru
#include "parity_harness.hpp"

#include <cmath>
#include <functional>
#include <map>
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
  bool batch_first, bidirectional, bias;
};

std::string describe(const Config& c) {
  std::ostringstream os;
  os << "layers=" << c.layers << " batch_first=" << c.batch_first << " bidirectional=" << c.bidirectional
     << " bias=" << c.bias;
  return os.str();
}

// {1, 2 layers} × batch_first × bidirectional; bias alternates so both settings are covered.
std::vector<Config> all_configs() {
  std::vector<Config> out;
  bool bias = true;
  for (std::int64_t layers : {1, 2})
    for (bool bf : {false, true})
      for (bool bi : {false, true}) {
        out.push_back({layers, bf, bi, bias});
        bias = !bias;
      }
  return out;
}

double sigmoid_d(double v) { return 1 / (1 + std::exp(-v)); }

// Loads one (layer, direction) of a sequence module into a cell of the same kind.
template <typename Weights>
void copy_weights(const Weights& w, nn::Module& cell) {
  StateDict sd;
  sd.insert("weight_ih", w.weight_ih);
  sd.insert("weight_hh", w.weight_hh);
  sd.insert("bias_ih", w.bias_ih);
  sd.insert("bias_hh", w.bias_hh);
  cell.load_state_dict(sd);
}

// gradcheck over the option grid: BPTT over 5 steps w.r.t. the input, the `states` initial state
// tensors (h0, and c0 for the LSTM) and every parameter. `run` maps (module, inputs) to outputs.
template <typename Module, typename Options, typename Run>
void check_gradient_over_option_grid(std::uint64_t seed, int states, Run run) {
  const std::int64_t L = 5, N = 2, Hin = 3, H = 3;
  for (const Config& c : all_configs()) {
    BOOST_TEST_CONTEXT(describe(c)) {
      manual_seed(seed++);
      auto module = std::make_shared<Module>(
          Options(Hin, H).num_layers(c.layers).batch_first(c.batch_first).bidirectional(c.bidirectional).bias(c.bias));
      module->to(kFloat64);
      const std::int64_t D = c.bidirectional ? 2 : 1;
      Inputs inputs{leaf(c.batch_first ? Shape{N, L, Hin} : Shape{L, N, Hin}, seed++)};
      for (int k = 0; k < states; ++k) inputs.push_back(leaf({D * c.layers, N, H}, seed++, -0.5, 0.5));
      for (const Tensor& p : module->parameters()) inputs.push_back(p);
      check_gradient_multi([&](const Inputs& in) { return run(*module, in); }, inputs);
    }
  }
}
}  // namespace

// ---- LSTM ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(lstm_gradient_over_option_grid) {
  check_gradient_over_option_grid<nn::LSTM, nn::LSTMOptions>(100, 2, [](nn::LSTM& lstm, const Inputs& in) {
    auto [out, state] = lstm.forward(in[0], {in[1], in[2]});
    return Inputs{out, state.first, state.second};
  });
}

BOOST_AUTO_TEST_CASE(lstm_unbatched_gradient_and_default_state) {
  manual_seed(3);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true));
  lstm->to(kFloat64);
  Inputs inputs{leaf({6, 3}, 5)};
  for (const Tensor& p : lstm->parameters()) inputs.push_back(p);
  check_gradient_multi(
      [&](const Inputs& in) {
        auto [out, state] = lstm->forward(in[0]);
        return Inputs{out, state.first, state.second};
      },
      inputs);
  // Unbatched with a given (D·layers, H) state.
  Inputs with_state{leaf({5, 3}, 6), leaf({4, 4}, 7, -0.5, 0.5), leaf({4, 4}, 8, -0.5, 0.5)};
  check_gradient_multi(
      [&](const Inputs& in) {
        auto [out, state] = lstm->forward(in[0], {in[1], in[2]});
        return Inputs{out, state.first, state.second};
      },
      with_state);
}

BOOST_AUTO_TEST_CASE(lstm_output_shapes) {
  manual_seed(0);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(3, 5).num_layers(2).bidirectional(true).batch_first(true));
  auto [out, state] = lstm->forward(zeros({4, 7, 3}));  // (N, L, H_in)
  BOOST_TEST(shape_str(out.shape()) == "[4, 7, 10]");
  BOOST_TEST(shape_str(state.first.shape()) == "[4, 4, 5]");  // batch_first never applies to the state
  BOOST_TEST(shape_str(state.second.shape()) == "[4, 4, 5]");
  auto [uo, us] = lstm->forward(zeros({7, 3}));
  BOOST_TEST(shape_str(uo.shape()) == "[7, 10]");
  BOOST_TEST(shape_str(us.first.shape()) == "[4, 5]");
  BOOST_TEST(shape_str(us.second.shape()) == "[4, 5]");
}

BOOST_AUTO_TEST_CASE(lstm_cell_value) {
  // c' = f c + i g, h' = o tanh(c') computed by hand from the weights, gate blocks i, f, g, o.
  manual_seed(4);
  nn::LSTMCell cell(2, 2);
  cell.to(kFloat64);
  const double xs[2] = {0.5, -1.0}, hs[2] = {0.25, 0.75}, cs[2] = {-0.3, 0.6};
  Tensor x = from_vector({xs[0], xs[1]}, {2}, kFloat64), h = from_vector({hs[0], hs[1]}, {2}, kFloat64);
  Tensor c = from_vector({cs[0], cs[1]}, {2}, kFloat64);
  auto [h1, c1] = cell.forward(x, {h, c});
  for (std::int64_t j = 0; j < 2; ++j) {
    double pre[4];
    for (std::int64_t gate = 0; gate < 4; ++gate) {
      const std::int64_t row = gate * 2 + j;
      pre[gate] = cell.bias_ih.at({row}) + cell.bias_hh.at({row});
      for (std::int64_t k = 0; k < 2; ++k)
        pre[gate] += cell.weight_ih.at({row, k}) * xs[k] + cell.weight_hh.at({row, k}) * hs[k];
    }
    const double c_expected = sigmoid_d(pre[1]) * cs[j] + sigmoid_d(pre[0]) * std::tanh(pre[2]);
    const double h_expected = sigmoid_d(pre[3]) * std::tanh(c_expected);
    BOOST_TEST(std::abs(c1.at({j}) - c_expected) < 1e-12);
    BOOST_TEST(std::abs(h1.at({j}) - h_expected) < 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(lstm_matches_cell_unrolled) {
  // A 1-layer LSTM equals its LSTMCell applied step by step with the same weights.
  manual_seed(9);
  const std::int64_t L = 4, N = 2, Hin = 3, H = 2;
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(Hin, H));
  nn::LSTMCell cell(Hin, H);
  lstm->to(kFloat64);
  cell.to(kFloat64);
  const auto& w = lstm->weights(0, 0);
  copy_weights(w, cell);
  Generator g(1);
  Tensor x = randn({L, N, Hin}, g, kFloat64);
  Tensor h0 = randn({1, N, H}, g, kFloat64), c0 = randn({1, N, H}, g, kFloat64);
  auto [out, state] = lstm->forward(x, {h0, c0});
  Tensor h = select(h0, 0, 0), c = select(c0, 0, 0);
  for (std::int64_t t = 0; t < L; ++t) {
    std::tie(h, c) = cell.forward(select(x, 0, t), {h, c});
    xg::testing::check_close(select(out, 0, t), h, 1e-12, 1e-12);
  }
  xg::testing::check_close(select(state.first, 0, 0), h, 1e-12, 1e-12);
  xg::testing::check_close(select(state.second, 0, 0), c, 1e-12, 1e-12);
}

BOOST_AUTO_TEST_CASE(lstm_parameter_names_shapes_and_init) {
  manual_seed(0);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(3, 16).num_layers(2).bidirectional(true));
  const std::vector<std::string> expected = {
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse",
      "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"};
  const auto named = lstm->named_parameters();
  BOOST_TEST_REQUIRE(named.size() == expected.size());
  for (std::size_t i = 0; i < named.size(); ++i) BOOST_TEST(named[i].first == expected[i]);
  BOOST_TEST(shape_str(named[0].second.shape()) == "[64, 3]");
  BOOST_TEST(shape_str(named[1].second.shape()) == "[64, 16]");
  BOOST_TEST(shape_str(named[2].second.shape()) == "[64]");
  BOOST_TEST(shape_str(named[8].second.shape()) == "[64, 32]");  // D·H inputs
  const double bound = 1.0 / std::sqrt(16.0);
  double lo = 1, hi = -1;
  for (const Tensor& p : lstm->parameters())
    for (double v : p.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  BOOST_TEST(lo >= -bound);
  BOOST_TEST(hi <= bound);
  BOOST_TEST(lo < -0.9 * bound);
  BOOST_TEST(hi > 0.9 * bound);
  auto no_bias = std::make_shared<nn::LSTM>(nn::LSTMOptions(3, 4).bias(false));
  BOOST_TEST(no_bias->named_parameters().size() == 2u);
}

BOOST_AUTO_TEST_CASE(lstm_dropout_only_in_training_and_between_layers) {
  manual_seed(0);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(3, 8).num_layers(2).dropout(0.5));
  Tensor x = randn({5, 2, 3});
  lstm->eval();
  auto [a, sa] = lstm->forward(x);
  auto [b, sb] = lstm->forward(x);
  BOOST_TEST(a.to_vector() == b.to_vector());
  lstm->train();
  auto [c, sc] = lstm->forward(x);
  double largest_change = 0;
  for (std::size_t i = 0; i < a.to_vector().size(); ++i)
    largest_change = std::max(largest_change, std::abs(c.to_vector()[i] - a.to_vector()[i]));
  BOOST_TEST(largest_change > 1e-2);
}

BOOST_AUTO_TEST_CASE(lstm_rejects_wrong_state) {
  manual_seed(0);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(4, 6).num_layers(2));
  Tensor x = zeros({5, 3, 4});
  check_throws([&] { lstm->forward(x, {zeros({1, 3, 6}), zeros({2, 3, 6})}); },
               {"LSTM: expected h_0 of shape [2, 3, 6]", "got [1, 3, 6]"});
  check_throws([&] { lstm->forward(x, {zeros({2, 3, 6}), zeros({2, 2, 6})}); },
               {"LSTM: expected c_0 of shape [2, 3, 6]", "got [2, 2, 6]"});
  check_throws([&] { lstm->forward(x, {zeros({2, 3, 6}), Tensor()}); },
               {"LSTM: h_0 and c_0 must both be given or both be omitted"});
  check_throws([&] { lstm->forward(x, {Tensor(), zeros({2, 3, 6})}); },
               {"LSTM: h_0 and c_0 must both be given or both be omitted"});
  check_throws([&] { lstm->forward(zeros({5, 4}), {zeros({2, 1, 6}), zeros({2, 1, 6})}); },
               {"LSTM", "h_0", "[2, 6]", "[2, 1, 6]"});
  check_throws([&] { lstm->forward(x, {zeros({2, 3, 6}, kFloat64), zeros({2, 3, 6}, kFloat64)}); },
               {"LSTM", "h_0", "float64", "float32"});
}

BOOST_AUTO_TEST_CASE(lstm_rejects_bad_input) {
  manual_seed(0);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(10, 4).num_layers(2).bidirectional(true));
  check_throws([&] { lstm->forward(zeros({5, 2, 5})); }, {"LSTM", "expected input size 10, got 5"});
  check_throws([&] { lstm->forward(zeros({5})); }, {"LSTM", "2-D", "3-D", "[5]"});
  check_throws([&] { lstm->forward(zeros({0, 2, 10})); }, {"LSTM", "zero time steps"});
}

BOOST_AUTO_TEST_CASE(lstm_rejects_bad_options) {
  check_throws([] { nn::LSTM(nn::LSTMOptions(0, 4)); }, {"LSTM", "input_size", "0"});
  check_throws([] { nn::LSTM(nn::LSTMOptions(3, -1)); }, {"LSTM", "hidden_size", "-1"});
  check_throws([] { nn::LSTM(nn::LSTMOptions(3, 4).num_layers(0)); }, {"LSTM", "num_layers", "0"});
  check_throws([] { nn::LSTM(nn::LSTMOptions(3, 4).dropout(1.5)); }, {"LSTM", "dropout", "1.5"});
  check_throws([] { nn::LSTM(nn::LSTMOptions(3, 4).proj_size(4)); }, {"LSTM: proj_size (4)", "smaller than hidden_size"});
  check_throws([] { nn::LSTM(nn::LSTMOptions(3, 4).proj_size(-1)); }, {"LSTM", "proj_size", "-1"});
  check_throws([] { nn::LSTMCell(3, 0); }, {"LSTMCell", "hidden_size", "0"});
}

BOOST_AUTO_TEST_CASE(lstm_cell_gradient) {
  for (bool bias : {true, false}) {
    manual_seed(4);
    auto cell = std::make_shared<nn::LSTMCell>(nn::LSTMCellOptions(3, 5).bias(bias));
    cell->to(kFloat64);
    Inputs inputs{leaf({2, 3}, 8), leaf({2, 5}, 9), leaf({2, 5}, 10)};
    for (const Tensor& p : cell->parameters()) inputs.push_back(p);
    check_gradient_multi(
        [&](const Inputs& in) {
          auto [h, c] = cell->forward(in[0], {in[1], in[2]});
          return Inputs{h, c};
        },
        inputs);
    check_gradient_multi(
        [&](const Inputs& in) {
          auto [h, c] = cell->forward(in[0], {});
          return Inputs{h, c};
        },
        {leaf({3}, 11)});
  }
}

BOOST_AUTO_TEST_CASE(lstm_cell_rejects_bad_input) {
  nn::LSTMCell cell(3, 4);
  check_throws([&] { cell.forward(zeros({2, 5})); }, {"LSTMCell", "expected input size 3, got 5"});
  check_throws([&] { cell.forward(zeros({2, 3}), {zeros({3, 4}), zeros({2, 4})}); }, {"LSTMCell", "h", "[2, 4]", "[3, 4]"});
  check_throws([&] { cell.forward(zeros({2, 3}), {zeros({2, 4}), zeros({2, 5})}); }, {"LSTMCell", "c", "[2, 4]", "[2, 5]"});
  check_throws([&] { cell.forward(zeros({2, 3}), {zeros({2, 4}), Tensor()}); }, {"LSTMCell", "both"});
  check_throws([&] { cell.forward(zeros({1, 2, 3})); }, {"LSTMCell", "[1, 2, 3]"});
}

// ---- GRU -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gru_gradient_over_option_grid) {
  check_gradient_over_option_grid<nn::GRU, nn::GRUOptions>(200, 1, [](nn::GRU& gru, const Inputs& in) {
    auto [out, hn] = gru.forward(in[0], in[1]);
    return Inputs{out, hn};
  });
}

BOOST_AUTO_TEST_CASE(gru_unbatched_gradient_and_default_h0) {
  manual_seed(3);
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(3, 4).num_layers(2).bidirectional(true));
  gru->to(kFloat64);
  Inputs inputs{leaf({6, 3}, 5)};
  for (const Tensor& p : gru->parameters()) inputs.push_back(p);
  check_gradient_multi(
      [&](const Inputs& in) {
        auto [out, hn] = gru->forward(in[0]);
        return Inputs{out, hn};
      },
      inputs);
}

BOOST_AUTO_TEST_CASE(gru_output_shapes) {
  manual_seed(0);
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(3, 5).num_layers(2).bidirectional(true).batch_first(true));
  auto [out, hn] = gru->forward(zeros({4, 7, 3}));
  BOOST_TEST(shape_str(out.shape()) == "[4, 7, 10]");
  BOOST_TEST(shape_str(hn.shape()) == "[4, 4, 5]");
  auto [uo, uh] = gru->forward(zeros({7, 3}));
  BOOST_TEST(shape_str(uo.shape()) == "[7, 10]");
  BOOST_TEST(shape_str(uh.shape()) == "[4, 5]");
}

BOOST_AUTO_TEST_CASE(gru_cell_value) {
  // n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 − z) n + z h, blocks r, z, n — by hand.
  manual_seed(4);
  nn::GRUCell cell(2, 2);
  cell.to(kFloat64);
  const double xs[2] = {0.5, -1.0}, hs[2] = {0.25, 0.75};
  Tensor out = cell.forward(from_vector({xs[0], xs[1]}, {2}, kFloat64), from_vector({hs[0], hs[1]}, {2}, kFloat64));
  for (std::int64_t j = 0; j < 2; ++j) {
    double xi[3], hh[3];
    for (std::int64_t gate = 0; gate < 3; ++gate) {
      const std::int64_t row = gate * 2 + j;
      xi[gate] = cell.bias_ih.at({row});
      hh[gate] = cell.bias_hh.at({row});
      for (std::int64_t k = 0; k < 2; ++k) {
        xi[gate] += cell.weight_ih.at({row, k}) * xs[k];
        hh[gate] += cell.weight_hh.at({row, k}) * hs[k];
      }
    }
    const double r = sigmoid_d(xi[0] + hh[0]), z = sigmoid_d(xi[1] + hh[1]);
    const double n = std::tanh(xi[2] + r * hh[2]);
    BOOST_TEST(std::abs(out.at({j}) - ((1 - z) * n + z * hs[j])) < 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(gru_matches_cell_unrolled) {
  manual_seed(9);
  const std::int64_t L = 4, N = 2, Hin = 3, H = 2;
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(Hin, H).bidirectional(true));
  nn::GRUCell cell(Hin, H);
  gru->to(kFloat64);
  cell.to(kFloat64);
  const auto& w = gru->weights(0, 1);  // the reverse direction
  copy_weights(w, cell);
  Generator g(1);
  Tensor x = randn({L, N, Hin}, g, kFloat64), h0 = randn({2, N, H}, g, kFloat64);
  auto [out, hn] = gru->forward(x, h0);
  Tensor h = select(h0, 0, 1);
  for (std::int64_t t = L - 1; t >= 0; --t) {
    h = cell.forward(select(x, 0, t), h);
    xg::testing::check_close(narrow(select(out, 0, t), 1, H, H), h, 1e-12, 1e-12);
  }
  xg::testing::check_close(select(hn, 0, 1), h, 1e-12, 1e-12);
}

BOOST_AUTO_TEST_CASE(gru_parameter_names_shapes_and_init) {
  manual_seed(0);
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(3, 16).num_layers(2));
  const std::vector<std::string> expected = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                             "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"};
  const auto named = gru->named_parameters();
  BOOST_TEST_REQUIRE(named.size() == expected.size());
  for (std::size_t i = 0; i < named.size(); ++i) BOOST_TEST(named[i].first == expected[i]);
  BOOST_TEST(shape_str(named[0].second.shape()) == "[48, 3]");
  BOOST_TEST(shape_str(named[1].second.shape()) == "[48, 16]");
  BOOST_TEST(shape_str(named[3].second.shape()) == "[48]");
  BOOST_TEST(shape_str(named[4].second.shape()) == "[48, 16]");
  const double bound = 1.0 / std::sqrt(16.0);
  double lo = 1, hi = -1;
  for (const Tensor& p : gru->parameters())
    for (double v : p.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  BOOST_TEST(lo >= -bound);
  BOOST_TEST(hi <= bound);
  BOOST_TEST(lo < -0.9 * bound);
  BOOST_TEST(hi > 0.9 * bound);
}

BOOST_AUTO_TEST_CASE(gru_rejects_wrong_state) {
  manual_seed(0);
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(4, 6).num_layers(2));
  check_throws([&] { gru->forward(zeros({5, 3, 4}), zeros({1, 3, 6})); },
               {"GRU: expected h_0 of shape [2, 3, 6]", "got [1, 3, 6]"});
  check_throws([&] { gru->forward(zeros({5, 4}), zeros({2, 1, 6})); }, {"GRU", "h_0", "[2, 6]", "[2, 1, 6]"});
  check_throws([&] { gru->forward(zeros({5, 3, 4}), zeros({2, 3, 6}, kFloat64)); }, {"GRU", "h_0", "float64"});
}

BOOST_AUTO_TEST_CASE(gru_rejects_bad_input_and_options) {
  manual_seed(0);
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(10, 4));
  check_throws([&] { gru->forward(zeros({5, 2, 5})); }, {"GRU", "expected input size 10, got 5"});
  check_throws([&] { gru->forward(zeros({5})); }, {"GRU", "2-D", "3-D", "[5]"});
  check_throws([&] { gru->forward(zeros({0, 2, 10})); }, {"GRU", "zero time steps"});
  check_throws([] { nn::GRU(nn::GRUOptions(0, 4)); }, {"GRU", "input_size", "0"});
  check_throws([] { nn::GRU(nn::GRUOptions(3, 4).num_layers(0)); }, {"GRU", "num_layers", "0"});
  check_throws([] { nn::GRU(nn::GRUOptions(3, 4).dropout(-0.5)); }, {"GRU", "dropout", "-0.5"});
  nn::GRUCell cell(3, 4);
  check_throws([&] { cell.forward(zeros({2, 5})); }, {"GRUCell", "expected input size 3, got 5"});
  check_throws([&] { cell.forward(zeros({2, 3}), zeros({3, 4})); }, {"GRUCell", "[2, 4]", "[3, 4]"});
}

BOOST_AUTO_TEST_CASE(gru_cell_gradient) {
  for (bool bias : {true, false}) {
    manual_seed(4);
    auto cell = std::make_shared<nn::GRUCell>(nn::GRUCellOptions(3, 5).bias(bias));
    cell->to(kFloat64);
    Inputs inputs{leaf({2, 3}, 8), leaf({2, 5}, 9)};
    for (const Tensor& p : cell->parameters()) inputs.push_back(p);
    check_gradient([&](const Inputs& in) { return cell->forward(in[0], in[1]); }, inputs);
    check_gradient([&](const Inputs& in) { return cell->forward(in[0]); }, {leaf({3}, 10)});
  }
}

// ---- Bad options and inputs, for both families ------------------------------------------
// The same checks as test_nn_rnn's rnn_rejects_bad_options / rnn_rejects_bad_input /
// rnn_cell_rejects_bad_input, run over LSTM and GRU through adapters: every message names the
// module and the offending option, shape or dtype.

namespace {
// Sequence modules built as (10 → 4, num_layers 2, bidirectional): h0 (and c0) are (4, N, 4).
using SequenceForward = std::function<void(const Tensor& input, const Tensor& h0)>;
// Cells built as (3 → 4): h (and c) are (N, 4), or (4) unbatched.
using CellForward = std::function<void(const Tensor& input, const Tensor& h)>;

template <typename Module, typename Options>
void check_bad_options(const std::string& name) {
  const std::string m = name + ": ";
  check_throws([] { Module(Options(0, 4)); }, {m, "input_size = 0"});
  check_throws([] { Module(Options(3, -1)); }, {m, "hidden_size = -1"});
  check_throws([] { Module(Options(3, 4).num_layers(0)); }, {m, "num_layers", "got 0"});
  check_throws([] { Module(Options(3, 4).num_layers(-2)); }, {m, "num_layers", "got -2"});
  check_throws([] { Module(Options(3, 4).dropout(1.5)); }, {m, "dropout", "1.5"});
  check_throws([] { Module(Options(3, 4).dropout(-0.5)); }, {m, "dropout", "-0.5"});
  check_throws([] { Module(Options(3, 4).dropout(NAN)); }, {m, "dropout", "nan"});
  Module(Options(3, 4).dropout(1.0));  // the bounds themselves are valid, as in PyTorch
}

void check_bad_sequence_input(const std::string& name, const SequenceForward& forward) {
  const std::string m = name + ": ";
  check_throws([&] { forward(zeros({5, 2, 5}), {}); }, {m + "expected input size 10, got 5"});
  check_throws([&] { forward(zeros({5}), {}); }, {m, "2-D", "3-D", "[5]"});
  check_throws([&] { forward(zeros({5, 2, 1, 10}), {}); }, {m, "4-D", "[5, 2, 1, 10]"});
  check_throws([&] { forward(zeros({0, 2, 10}), {}); }, {m, "zero time steps"});
  check_throws([&] { forward(zeros({5, 2, 10}), zeros({2, 2, 4})); }, {m, "h_0", "[4, 2, 4]", "got [2, 2, 4]"});
  check_throws([&] { forward(zeros({5, 2, 10}), zeros({4, 3, 4})); }, {m, "h_0", "[4, 2, 4]", "got [4, 3, 4]"});
  check_throws([&] { forward(zeros({5, 10}), zeros({4, 1, 4})); }, {m, "h_0", "[4, 4]", "got [4, 1, 4]"});
  check_throws([&] { forward(zeros({5, 2, 10}, kFloat64), {}); }, {m, "input is float64", "parameters are float32"});
  check_throws([&] { forward(zeros({5, 2, 10}, kInt64), {}); }, {m, "input is int64"});
  check_throws([&] { forward(zeros({5, 2, 10}), zeros({4, 2, 4}, kFloat64)); }, {m, "h_0 is float64", "input is float32"});
  check_throws([&] { forward(Tensor(), {}); }, {m, "input is undefined"});
}

void check_bad_cell_input(const std::string& name, const std::string& state, const CellForward& forward) {
  const std::string m = name + ": ";
  check_throws([&] { forward(zeros({2, 5}), {}); }, {m + "expected input size 3, got 5"});
  check_throws([&] { forward(zeros({1, 2, 3}), {}); }, {m, "1-D or 2-D", "[1, 2, 3]"});
  check_throws([&] { forward(scalar_tensor(1.0), {}); }, {m, "1-D or 2-D", "[]"});
  check_throws([&] { forward(zeros({2, 3}), zeros({3, 4})); }, {m, state, "[2, 4]", "got [3, 4]"});
  check_throws([&] { forward(zeros({3}), zeros({1, 4})); }, {m, state, "[4]", "got [1, 4]"});
  check_throws([&] { forward(zeros({2, 3}, kFloat64), {}); }, {m, "input is float64", "parameters are float32"});
  check_throws([&] { forward(zeros({2, 3}, kInt64), {}); }, {m, "input is int64"});
  check_throws([&] { forward(zeros({2, 3}), zeros({2, 4}, kFloat64)); }, {m, state + " is float64", "input is float32"});
  check_throws([&] { forward(Tensor(), {}); }, {m, "input is undefined"});
}
}  // namespace

BOOST_AUTO_TEST_CASE(lstm_and_gru_reject_bad_options) {
  check_bad_options<nn::LSTM, nn::LSTMOptions>("LSTM");
  check_bad_options<nn::GRU, nn::GRUOptions>("GRU");
  check_throws([] { nn::LSTM(nn::LSTMOptions(3, 4).proj_size(5)); }, {"LSTM: proj_size (5)", "hidden_size (4)"});
  check_throws([] { nn::LSTMCell(0, 4); }, {"LSTMCell: ", "input_size = 0"});
  check_throws([] { nn::LSTMCell(3, -4); }, {"LSTMCell: ", "hidden_size = -4"});
  check_throws([] { nn::GRUCell(0, 4); }, {"GRUCell: ", "input_size = 0"});
  check_throws([] { nn::GRUCell(3, -4); }, {"GRUCell: ", "hidden_size = -4"});
}

BOOST_AUTO_TEST_CASE(lstm_and_gru_reject_bad_input) {
  manual_seed(0);
  auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(10, 4).num_layers(2).bidirectional(true));
  auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(10, 4).num_layers(2).bidirectional(true));
  // The LSTM gets a c0 like h0, so the h0 checks apply; its c0 checks follow.
  check_bad_sequence_input("LSTM", [&](const Tensor& x, const Tensor& h0) {
    lstm->forward(x, {h0, h0.defined() ? zeros_like(h0) : Tensor()});
  });
  check_bad_sequence_input("GRU", [&](const Tensor& x, const Tensor& h0) { gru->forward(x, h0); });
  Tensor x = zeros({5, 2, 10}), h0 = zeros({4, 2, 4});
  check_throws([&] { lstm->forward(zeros({5, 10}), {zeros({4, 4}), zeros({4, 1, 4})}); },
               {"LSTM: ", "c_0", "[4, 4]", "got [4, 1, 4]"});
  check_throws([&] { lstm->forward(x, {h0, zeros({4, 2, 4}, kFloat64)}); }, {"LSTM: ", "c_0 is float64"});
  // batch_first applies to the input only: x read as (N=5, L=2, ·) needs h0 (4, 5, 4).
  auto first = std::make_shared<nn::GRU>(nn::GRUOptions(10, 4).num_layers(2).bidirectional(true).batch_first(true));
  check_throws([&] { first->forward(x, h0); }, {"GRU: ", "h_0", "[4, 5, 4]", "got [4, 2, 4]"});
}

BOOST_AUTO_TEST_CASE(lstm_and_gru_cells_reject_bad_input) {
  manual_seed(0);
  nn::LSTMCell lstm(3, 4);
  nn::GRUCell gru(3, 4);
  check_bad_cell_input("LSTMCell", "h", [&](const Tensor& x, const Tensor& h) {
    lstm.forward(x, {h, h.defined() ? zeros_like(h) : Tensor()});
  });
  check_bad_cell_input("GRUCell", "hidden", [&](const Tensor& x, const Tensor& h) { gru.forward(x, h); });
  check_throws([&] { lstm.forward(zeros({3}), {zeros({4}), zeros({1, 4})}); }, {"LSTMCell: ", "c", "[4]", "got [1, 4]"});
  check_throws([&] { lstm.forward(zeros({2, 3}), {zeros({2, 4}), zeros({2, 4}, kFloat64)}); },
               {"LSTMCell: ", "c is float64", "input is float32"});
  check_throws([&] { lstm.forward(zeros({2, 3}), {Tensor(), zeros({2, 4})}); }, {"LSTMCell: ", "both", "only c"});
}

// ---- Parity with PyTorch ---------------------------------------------------------------
// Replays tests/fixtures/nn_lstm_gru/*.safetensors, written by tools/make_lstm_gru_fixtures.py, with
// the shared harness (tests/parity_harness.hpp: layout and tolerances are described there).

namespace {
namespace parity = xg::testing::parity;
using parity::Named;
using parity::optional_input;

parity::Built build(const parity::Case& c, Dtype) {
  const std::string& type = c.option("module");
  const std::int64_t in = c.int_option("input_size"), hidden = c.int_option("hidden_size");
  if (type == "LSTMCell") {
    auto m = std::make_shared<nn::LSTMCell>(nn::LSTMCellOptions(in, hidden).bias(c.flag("bias")));
    return {m, [m](const Named& i) {
              auto [h, cc] = m->forward(i.at("input"), {optional_input(i, "h0"), optional_input(i, "c0")});
              return Named{{"h", h}, {"c", cc}};
            }};
  }
  if (type == "GRUCell") {
    auto m = std::make_shared<nn::GRUCell>(nn::GRUCellOptions(in, hidden).bias(c.flag("bias")));
    return {m, [m](const Named& i) { return Named{{"output", m->forward(i.at("input"), optional_input(i, "h0"))}}; }};
  }
  if (type == "LSTM") {
    auto m = std::make_shared<nn::LSTM>(nn::LSTMOptions(in, hidden)
                                            .num_layers(c.int_option("num_layers"))
                                            .bias(c.flag("bias"))
                                            .batch_first(c.flag("batch_first"))
                                            .bidirectional(c.flag("bidirectional"))
                                            .dropout(std::stod(c.option("dropout"))));
    m->train(c.flag("training"));
    return {m, [m](const Named& i) {
              auto [out, state] = m->forward(i.at("input"), {optional_input(i, "h0"), optional_input(i, "c0")});
              return Named{{"output", out}, {"h_n", state.first}, {"c_n", state.second}};
            }};
  }
  if (type == "GRU") {
    auto m = std::make_shared<nn::GRU>(nn::GRUOptions(in, hidden)
                                           .num_layers(c.int_option("num_layers"))
                                           .bias(c.flag("bias"))
                                           .batch_first(c.flag("batch_first"))
                                           .bidirectional(c.flag("bidirectional"))
                                           .dropout(std::stod(c.option("dropout"))));
    m->train(c.flag("training"));
    return {m, [m](const Named& i) {
              auto [out, hn] = m->forward(i.at("input"), optional_input(i, "h0"));
              return Named{{"output", out}, {"h_n", hn}};
            }};
  }
  throw std::runtime_error(c.name + ": unknown module " + type);
}

void run_family(const std::string& family) { parity::run_family("nn_lstm_gru", family, {kFloat32, kFloat64}, build); }
}  // namespace

BOOST_AUTO_TEST_CASE(lstm_cell_matches_pytorch) { run_family("lstm_cell"); }

BOOST_AUTO_TEST_CASE(lstm_matches_pytorch) {
  // {1, 2 layers} × batch_first × bidirectional × bias with given (h0, c0), then default state,
  // unbatched input and inter-layer dropout switched off by eval().
  run_family("lstm");
}

BOOST_AUTO_TEST_CASE(gru_cell_matches_pytorch) { run_family("gru_cell"); }

BOOST_AUTO_TEST_CASE(gru_matches_pytorch) { run_family("gru"); }

BOOST_AUTO_TEST_CASE(parity_detects_a_perturbed_weight) {
  // Negative control: one weight scaled by (1 + δ) must be reported (1e-4 float32, 1e-8 float64).
  for (const auto& [file, dtype, delta] :
       {std::make_tuple("lstm_float32.safetensors", kFloat32, 1e-4), std::make_tuple("lstm_float64.safetensors", kFloat64, 1e-8),
        std::make_tuple("gru_float64.safetensors", kFloat64, 1e-8)}) {
    const parity::Case c = parity::load_cases("nn_lstm_gru", file).at(0);
    BOOST_TEST(parity::run_case(c, dtype, build).failures.empty(), file << " case0 must pass unperturbed");
    BOOST_TEST(!parity::run_case(c, dtype, build, delta).failures.empty(),
               file << " case0 perturbed by " << delta << " passed");
  }
}
