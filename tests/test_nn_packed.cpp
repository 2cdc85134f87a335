#define BOOST_TEST_MODULE nn_packed
// Packed sequences (nn/packed_sequence.hpp), RNN/LSTM/GRU on them, and LSTM proj_size.
// Parity fixtures: tests/fixtures/nn_packed/, written by tools/make_packed_fixtures.py.
// Gradient checks: float64, PyTorch's gradcheck tolerances (eps 1e-6, atol 1e-5, rtol 1e-3).
#include "parity_harness.hpp"

#include <sstream>

using namespace xg;
using namespace xg::nn::utils::rnn;
using xg::testing::check_gradient;
using xg::testing::check_gradient_multi;
using xg::testing::check_throws;
using xg::testing::leaf;
using Inputs = std::vector<Tensor>;

namespace {
namespace parity = xg::testing::parity;
using parity::Named;
using parity::optional_input;

Tensor lengths_of(const std::vector<std::int64_t>& v) { return from_vector(v, {static_cast<std::int64_t>(v.size())}); }

std::vector<std::int64_t> parse_lengths(const std::string& text) {
  std::vector<std::int64_t> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoll(item));
  return out;
}

void check_equal(const Tensor& actual, const Tensor& expected, const std::string& what) {
  BOOST_TEST_REQUIRE(actual.defined(), what << " is undefined");
  BOOST_TEST_REQUIRE(shape_str(actual.shape()) == shape_str(expected.shape()), what);
  BOOST_TEST((actual.to_vector() == expected.to_vector()), what << " differs from PyTorch's");
}

// Builds RNN/LSTM/GRU from a case's options; the forward packs "input" (or not, "packed" = 0), runs
// the module and pads the output back.
parity::Built build(const parity::Case& c, Dtype) {
  const std::string& type = c.option("module");
  const std::int64_t in = c.int_option("input_size"), hidden = c.int_option("hidden_size");
  const bool bf = c.flag("batch_first"), packed = c.flag("packed"), sorted = c.flag("enforce_sorted");
  const Tensor lengths = lengths_of(parse_lengths(c.option("lengths")));
  const std::int64_t total = c.int_option("total_length");
  const std::optional<std::int64_t> total_length = total < 0 ? std::nullopt : std::optional<std::int64_t>(total);
  auto pack = [=](const Tensor& x) { return pack_padded_sequence(x, lengths, bf, sorted); };
  auto pad = [=](const PackedSequence& p) { return std::get<0>(pad_packed_sequence(p, bf, 0.0, total_length)); };
  auto configure = [&](auto options) {
    return options.num_layers(c.int_option("num_layers"))
        .bias(c.flag("bias"))
        .batch_first(bf)
        .bidirectional(c.flag("bidirectional"))
        .dropout(std::stod(c.option("dropout")));
  };
  parity::Built built;
  if (type == "LSTM") {
    auto m = std::make_shared<nn::LSTM>(configure(nn::LSTMOptions(in, hidden)).proj_size(c.int_option("proj_size")));
    built = {m, [=](const Named& i) {
               const nn::LSTM::State state{optional_input(i, "h0"), optional_input(i, "c0")};
               if (!packed) {
                 auto [out, s] = m->forward(i.at("input"), state);
                 return Named{{"output", out}, {"h_n", s.first}, {"c_n", s.second}};
               }
               auto [out, s] = m->forward(pack(i.at("input")), state);
               return Named{{"output", pad(out)}, {"h_n", s.first}, {"c_n", s.second}};
             }};
  } else if (type == "GRU") {
    auto m = std::make_shared<nn::GRU>(configure(nn::GRUOptions(in, hidden)));
    built = {m, [=](const Named& i) {
               auto [out, h_n] = m->forward(pack(i.at("input")), optional_input(i, "h0"));
               return Named{{"output", pad(out)}, {"h_n", h_n}};
             }};
  } else if (type == "RNN") {
    auto m = std::make_shared<nn::RNN>(configure(nn::RNNOptions(in, hidden))
                                           .nonlinearity(c.option("nonlinearity") == "relu" ? nn::kReLU : nn::kTanh));
    built = {m, [=](const Named& i) {
               auto [out, h_n] = m->forward(pack(i.at("input")), optional_input(i, "h0"));
               return Named{{"output", pad(out)}, {"h_n", h_n}};
             }};
  } else {
    throw std::runtime_error(c.name + ": unknown module " + type);
  }
  built.module->train(c.flag("training"));
  return built;
}

void run_family(const std::string& family) { parity::run_family("nn_packed", family, {kFloat32, kFloat64}, build); }

}  // namespace

// ---- pack / pad ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pack_padded_sequence_value) {
  // Both layouts × sorted, unsorted (with ties), equal and repeated lengths × total_length and
  // padding_value: the packed data, batch sizes, indices and the padded result equal PyTorch's.
  const auto cases = parity::load_cases("nn_packed", "pack_float64.safetensors");
  BOOST_TEST_REQUIRE(cases.size() > 0u);
  for (const parity::Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name << " " << c.describe()) {
      const bool bf = c.flag("batch_first");
      const PackedSequence p =
          pack_padded_sequence(c.tensors.at("input"), c.tensors.at("lengths"), bf, c.flag("enforce_sorted"));
      check_equal(p.data(), c.tensors.at("data"), "data");
      check_equal(p.batch_sizes(), c.tensors.at("batch_sizes"), "batch_sizes");
      BOOST_TEST(p.sorted_indices().defined() == c.has("sorted_indices"));
      if (c.has("sorted_indices")) {
        check_equal(p.sorted_indices(), c.tensors.at("sorted_indices"), "sorted_indices");
        check_equal(p.unsorted_indices(), c.tensors.at("unsorted_indices"), "unsorted_indices");
      }
      const std::int64_t total = c.int_option("total_length");
      auto [padded, lengths] = pad_packed_sequence(p, bf, std::stod(c.option("padding_value")),
                                                   total < 0 ? std::nullopt : std::optional<std::int64_t>(total));
      check_equal(padded, c.tensors.at("padded"), "padded");
      check_equal(lengths, c.tensors.at("lengths"), "lengths");
    }
  }
}

BOOST_AUTO_TEST_CASE(pack_padded_sequence_gradient) {
  // pack → pad and pack alone, both layouts, unsorted lengths (the padded steps get zero gradient).
  for (bool bf : {false, true}) {
    const Tensor lengths = lengths_of({2, 4, 1});
    check_gradient(
        [&](const Inputs& in) { return pack_padded_sequence(in[0], lengths, bf, false).data(); },
        {leaf(bf ? Shape{3, 4, 2} : Shape{4, 3, 2}, 1)});
    check_gradient(
        [&](const Inputs& in) {
          return std::get<0>(pad_packed_sequence(pack_padded_sequence(in[0], lengths, bf, false), bf, 0.5, 6));
        },
        {leaf(bf ? Shape{3, 4, 2} : Shape{4, 3, 2}, 2)});
  }
  Tensor x = zeros({3, 2}, kFloat64).requires_grad_();
  pack_padded_sequence(x, lengths_of({2, 1})).data().backward(ones({3}, kFloat64));
  BOOST_TEST((x.grad().to_vector() == std::vector<double>{1, 1, 1, 0, 0, 0}));  // step 2 of seq 1 is padding
}

BOOST_AUTO_TEST_CASE(pad_sequence_value) {
  const Tensor a = arange(1, 7, 1, kFloat64).reshape({3, 2}), b = arange(7, 9, 1, kFloat64).reshape({1, 2});
  const Tensor t = pad_sequence({a, b}, false, -1.0);  // (3, 2, 2)
  BOOST_TEST(shape_str(t.shape()) == "[3, 2, 2]");
  BOOST_TEST((t.to_vector() == std::vector<double>{1, 2, 7, 8, 3, 4, -1, -1, 5, 6, -1, -1}));
  const Tensor f = pad_sequence({a, b}, true);
  BOOST_TEST((f.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0}));
  // pack_sequence = pack_padded_sequence of the padded batch with the sequences' lengths.
  const PackedSequence p = pack_sequence({b, a}, false);
  BOOST_TEST((p.data().to_vector() == std::vector<double>{1, 2, 7, 8, 3, 4, 5, 6}));
  BOOST_TEST((p.batch_sizes().to_vector() == std::vector<double>{2, 1, 1}));
  BOOST_TEST((p.sorted_indices().to_vector() == std::vector<double>{1, 0}));
}

BOOST_AUTO_TEST_CASE(pad_sequence_gradient) {
  check_gradient([](const Inputs& in) { return pad_sequence({in[0], in[1], in[2]}, true, 3.0); },
                 {leaf({2, 3}, 3), leaf({4, 3}, 4), leaf({1, 3}, 5)});
  check_gradient([](const Inputs& in) { return pack_sequence({in[0], in[1]}, false).data(); },
                 {leaf({2, 3}, 6), leaf({3, 3}, 7)});
}

BOOST_AUTO_TEST_CASE(pack_padded_sequence_rejects_bad_lengths) {
  const Tensor x = zeros({4, 3, 2});
  check_throws([&] { pack_padded_sequence(x, lengths_of({2, 3, 1})); },
               {"pack_padded_sequence", "[2, 3, 1]", "decreasing", "enforce_sorted = false"});
  check_throws([&] { pack_padded_sequence(x, lengths_of({2, 1})); }, {"pack_padded_sequence", "got 2", "batch_size=3"});
  check_throws([&] { pack_padded_sequence(x, lengths_of({4, 2})); },
               {"pack_padded_sequence", "batch_size=3", "time-major"});
  check_throws([&] { pack_padded_sequence(x, lengths_of({3, 0, 0}), false, false); }, {"[1, 4]", "[3, 0, 0]"});
  check_throws([&] { pack_padded_sequence(x, lengths_of({5, 1, 1})); }, {"[1, 4]", "[5, 1, 1]"});
  check_throws([&] { pack_padded_sequence(x, from_vector({2.5, 1, 1}, {3})); }, {"lengths", "integers", "2.5"});
  check_throws([&] { pack_padded_sequence(x, zeros({3, 1})); }, {"lengths", "1-D", "[3, 1]"});
  check_throws([&] { pack_padded_sequence(zeros({4}), lengths_of({4})); }, {"at least 2 dims", "[4]"});
  check_throws([&] { pack_padded_sequence(Tensor(), lengths_of({4})); }, {"pack_padded_sequence", "undefined"});
}

BOOST_AUTO_TEST_CASE(pad_packed_sequence_rejects_short_total_length) {
  const PackedSequence p = pack_padded_sequence(zeros({4, 2, 1}), lengths_of({3, 2}));
  check_throws([&] { pad_packed_sequence(p, false, 0.0, 2); }, {"pad_packed_sequence", "total_length (2)", "(3)"});
  check_throws([&] { pad_packed_sequence(PackedSequence()); }, {"pad_packed_sequence", "empty"});
}

BOOST_AUTO_TEST_CASE(pad_sequence_rejects_mismatched_sequences) {
  check_throws([] { pad_sequence({zeros({2, 3}), zeros({2, 4})}); }, {"pad_sequence", "sequence 1", "[2, 4]", "[2, 3]"});
  check_throws([] { pad_sequence({zeros({2, 3}), zeros({2, 3}, kFloat64)}); }, {"sequence 1", "float64"});
  check_throws([] { pad_sequence({}); }, {"pad_sequence", "non-empty"});
  check_throws([] { pad_sequence({scalar_tensor(1)}); }, {"sequence 0", "at least one dim"});
}

BOOST_AUTO_TEST_CASE(packed_sequence_rejects_inconsistent_parts) {
  const Tensor data = zeros({5, 2});
  check_throws([&] { PackedSequence(data, from_vector(std::vector<std::int64_t>{2, 2}, {2})); },
               {"PackedSequence", "[2, 2]", "add up to 4", "[5, 2]"});
  check_throws([&] { PackedSequence(data, from_vector(std::vector<std::int64_t>{2, 3}, {2})); }, {"non-increasing"});
  check_throws([&] { PackedSequence(data, from_vector({3, 2}, {2})); }, {"batch_sizes must be int64", "float32"});
  const Tensor sizes = from_vector(std::vector<std::int64_t>{3, 2}, {2});
  check_throws([&] { PackedSequence(data, sizes, from_vector(std::vector<std::int64_t>{0, 1, 2}, {3})); },
               {"both be given"});
  check_throws([&] {
    PackedSequence(data, sizes, from_vector(std::vector<std::int64_t>{0, 1, 1}, {3}),
                   from_vector(std::vector<std::int64_t>{0, 1, 2}, {3}));
  }, {"inverse permutations", "[0, 1, 1]"});
  check_throws([] { invert_permutation(from_vector(std::vector<std::int64_t>{0, 0}, {2})); }, {"not a permutation"});
}

// ---- Recurrent modules on packed batches ---------------------------------------------

BOOST_AUTO_TEST_CASE(rnn_packed_matches_pytorch) {
  // {1, 2 layers} × batch_first × bidirectional, sorted and unsorted (tied) lengths, given and
  // zero states; then equal lengths, a sequence of length 1, total_length, eval-mode dropout, relu.
  run_family("rnn");
}
BOOST_AUTO_TEST_CASE(lstm_packed_matches_pytorch) { run_family("lstm"); }
BOOST_AUTO_TEST_CASE(gru_packed_matches_pytorch) { run_family("gru"); }
BOOST_AUTO_TEST_CASE(lstm_proj_size_matches_pytorch) {
  // proj_size 2 (one layer) and 3 (two layers), uni- and bidirectional, padded and packed input.
  run_family("lstm_proj");
}

BOOST_AUTO_TEST_CASE(packed_parity_detects_a_perturbed_weight) {
  for (const char* file : {"lstm_float64.safetensors", "gru_float64.safetensors", "lstm_proj_float64.safetensors"}) {
    const parity::Case c = parity::load_cases("nn_packed", file).at(1);
    BOOST_TEST(parity::run_case(c, kFloat64, build).failures.empty(), file << " case1 must pass unperturbed");
    BOOST_TEST(!parity::run_case(c, kFloat64, build, 1e-8).failures.empty(), file << " case1 perturbed passed");
  }
}

namespace {
// gradcheck of a packed forward w.r.t. the padded input, the initial states and every parameter.
template <typename Module, typename Options, typename Run>
void check_packed_gradient(const Options& options, int states, std::int64_t state_size, Run run) {
  auto m = std::make_shared<Module>(options);
  m->to(kFloat64);
  const std::int64_t D = options.bidirectional() ? 2 : 1, B = 3, T = 4;
  Inputs inputs{leaf(options.batch_first() ? Shape{B, T, options.input_size()} : Shape{T, B, options.input_size()}, 11)};
  for (int k = 0; k < states; ++k)
    inputs.push_back(leaf({D * options.num_layers(), B, k == 0 ? state_size : options.hidden_size()}, 12 + k, -0.5, 0.5));
  for (const Tensor& p : m->parameters()) inputs.push_back(p);
  const Tensor lengths = lengths_of({2, 4, 1});
  check_gradient_multi(
      [&](const Inputs& in) {
        const PackedSequence x = pack_padded_sequence(in[0], lengths, options.batch_first(), false);
        auto [out, finals] = run(*m, x, in);
        finals.insert(finals.begin(), std::get<0>(pad_packed_sequence(out, options.batch_first())));
        return finals;
      },
      inputs);
}
}  // namespace

BOOST_AUTO_TEST_CASE(rnn_packed_gradient) {
  for (bool bidirectional : {false, true})
    check_packed_gradient<nn::RNN>(nn::RNNOptions(2, 3).num_layers(2).bidirectional(bidirectional), 1, 3,
                                   [](nn::RNN& m, const PackedSequence& x, const Inputs& in) {
                                     auto [out, h] = m.forward(x, in[1]);
                                     return std::make_pair(out, Inputs{h});
                                   });
}

BOOST_AUTO_TEST_CASE(lstm_packed_gradient) {
  for (std::int64_t proj : {0, 2})
    check_packed_gradient<nn::LSTM>(nn::LSTMOptions(2, 3).num_layers(2).bidirectional(true).batch_first(true).proj_size(proj),
                                    2, proj ? proj : 3, [](nn::LSTM& m, const PackedSequence& x, const Inputs& in) {
                                      auto [out, s] = m.forward(x, {in[1], in[2]});
                                      return std::make_pair(out, Inputs{s.first, s.second});
                                    });
}

BOOST_AUTO_TEST_CASE(gru_packed_gradient) {
  check_packed_gradient<nn::GRU>(nn::GRUOptions(2, 3).num_layers(2).bidirectional(true).bias(false), 1, 3,
                                 [](nn::GRU& m, const PackedSequence& x, const Inputs& in) {
                                   auto [out, h] = m.forward(x, in[1]);
                                   return std::make_pair(out, Inputs{h});
                                 });
}

BOOST_AUTO_TEST_CASE(lstm_packed_equals_each_sequence_alone) {
  // Packing must be invisible: each sequence of a packed batch gets exactly the output and final
  // states it gets when run alone (no padding leaks in, in either direction).
  manual_seed(21);
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true));
  lstm.to(kFloat64);
  const std::vector<std::int64_t> lengths{3, 5, 1};
  Generator g(5);
  const Tensor padded = randn({5, 3, 3}, g, kFloat64);
  auto [out, state] = lstm.forward(pack_padded_sequence(padded, lengths_of(lengths), false, false));
  const Tensor output = std::get<0>(pad_packed_sequence(out));
  for (std::int64_t b = 0; b < 3; ++b) {
    const std::int64_t len = lengths[static_cast<std::size_t>(b)];
    auto [alone, alone_state] = lstm.forward(narrow(select(padded, 1, b), 0, 0, len));
    xg::testing::check_close(narrow(select(output, 1, b), 0, 0, len), alone, 1e-12, 1e-14);
    xg::testing::check_close(select(state.first, 1, b), alone_state.first, 1e-12, 1e-14);
    xg::testing::check_close(select(state.second, 1, b), alone_state.second, 1e-12, 1e-14);
  }
}

BOOST_AUTO_TEST_CASE(rnn_packed_rejects_bad_input) {
  nn::GRU gru(nn::GRUOptions(2, 3).num_layers(2));
  const PackedSequence x = pack_padded_sequence(zeros({4, 3, 2}), lengths_of({4, 2, 1}));
  check_throws([&] { gru.forward(x, zeros({2, 2, 3})); }, {"GRU: ", "h_0", "[2, 3, 3]", "got [2, 2, 3]"});
  check_throws([&] { gru.forward(pack_padded_sequence(zeros({4, 3, 5}), lengths_of({4, 2, 1}))); },
               {"GRU: ", "input size 2", "got 5"});
  check_throws([&] { gru.forward(PackedSequence()); }, {"GRU: ", "empty"});
  nn::LSTM lstm(nn::LSTMOptions(2, 3));
  check_throws([&] { lstm.forward(x, {zeros({1, 3, 3}, kFloat64), zeros({1, 3, 3}, kFloat64)}); },
               {"LSTM: ", "h_0 is float64"});
}

BOOST_AUTO_TEST_CASE(lstm_rejects_bad_proj_size) {
  check_throws([] { nn::LSTM(nn::LSTMOptions(2, 3).proj_size(3)); }, {"LSTM: ", "proj_size (3)", "hidden_size (3)"});
  check_throws([] { nn::LSTM(nn::LSTMOptions(2, 3).proj_size(-1)); }, {"LSTM: ", "proj_size", "got -1"});
  nn::LSTM lstm(nn::LSTMOptions(2, 4).proj_size(2));
  BOOST_TEST(shape_str(lstm.weights(0, 0).weight_hr.shape()) == "[2, 4]");
  BOOST_TEST(shape_str(lstm.weights(0, 0).weight_hh.shape()) == "[16, 2]");
  // h_0 has proj_size, c_0 hidden_size: the message names the size that was expected.
  check_throws([&] { lstm.forward(zeros({5, 1, 2}), {zeros({1, 1, 4}), zeros({1, 1, 4})}); },
               {"LSTM: ", "h_0", "[1, 1, 2]", "proj_size 2"});
  check_throws([&] { lstm.forward(zeros({5, 1, 2}), {zeros({1, 1, 2}), zeros({1, 1, 2})}); },
               {"LSTM: ", "c_0", "[1, 1, 4]", "hidden 4"});
}
