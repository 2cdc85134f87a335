#define BOOST_TEST_MODULE nn_module
#include "temp_dir.hpp"
#include "test_helpers.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using Inputs = std::vector<Tensor>;

// Gradient checks use PyTorch's gradcheck tolerances: eps 1e-6, atol 1e-5, rtol 1e-3, float64.

namespace {
// A user-written model, the way the README shows it.
struct Encoder : nn::Module {
  std::shared_ptr<nn::Embedding> embedding;
  std::shared_ptr<nn::RNN> rnn;
  Encoder() : Module("Encoder") {
    embedding = register_module("embedding", std::make_shared<nn::Embedding>(10, 3));
    rnn = register_module("rnn", std::make_shared<nn::RNN>(nn::RNNOptions(3, 4)));
    register_buffer("steps", zeros({1}, kInt64));
  }
};
struct Model : nn::Module {
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<nn::Linear> fc;
  Model() : Module("Model") {
    encoder = register_module("encoder", std::make_shared<Encoder>());
    fc = register_module("fc", std::make_shared<nn::Linear>(4, 10));
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(named_parameters_are_dotted_like_pytorch) {
  Model m;
  std::vector<std::string> names;
  for (auto& [name, p] : m.named_parameters()) names.push_back(name);
  const std::vector<std::string> expected = {"encoder.embedding.weight", "encoder.rnn.weight_ih_l0",
                                             "encoder.rnn.weight_hh_l0", "encoder.rnn.bias_ih_l0",
                                             "encoder.rnn.bias_hh_l0",   "fc.weight",
                                             "fc.bias"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(m.num_parameters() == 30 + 12 + 16 + 4 + 4 + 40 + 10);
  const auto sd = m.state_dict();
  BOOST_TEST(sd.contains("encoder.steps"));
  // PyTorch's order: each module's own parameters, then its own buffers, then its children.
  BOOST_TEST(sd.keys()[0] == "encoder.steps");
  BOOST_TEST(sd.keys()[1] == "encoder.embedding.weight");
  std::vector<std::string> modules;
  for (auto& [name, mod] : m.named_modules()) modules.push_back(name);
  BOOST_TEST(modules == std::vector<std::string>({"encoder", "encoder.embedding", "encoder.rnn", "fc"}),
             boost::test_tools::per_element());
  BOOST_TEST(m.children().size() == 2u);
}

BOOST_AUTO_TEST_CASE(register_rejects_bad_names) {
  nn::Linear l(2, 3);
  check_throws([&] { l.register_parameter("weight", zeros({1})); }, {"Linear", "'weight'", "already registered"});
  check_throws([&] { l.register_parameter("a.b", zeros({1})); }, {"Linear", "'a.b'"});
  check_throws([&] { l.register_buffer("", zeros({1})); }, {"Linear", "non-empty"});
  check_throws([&] { l.register_module("x", std::shared_ptr<nn::Module>()); }, {"Linear", "null"});
}

BOOST_AUTO_TEST_CASE(train_eval_recurse_and_zero_grad) {
  Model m;
  m.eval();
  BOOST_TEST(!m.is_training());
  BOOST_TEST(!m.encoder->rnn->is_training());
  m.train();
  BOOST_TEST(m.encoder->embedding->is_training());
  for (Tensor p : m.parameters()) p.set_grad(ones_like(p));
  m.zero_grad();
  for (const Tensor& p : m.parameters()) BOOST_TEST(!p.grad().defined());
}

BOOST_AUTO_TEST_CASE(to_converts_every_handle) {
  Model m;
  Tensor w = m.fc->weight;  // a handle taken before the conversion
  m.to(kFloat64);
  BOOST_TEST((w.dtype() == kFloat64));
  BOOST_TEST((m.encoder->rnn->parameters()[0].dtype() == kFloat64));
  BOOST_TEST((m.state_dict().at("encoder.steps").dtype() == kInt64));  // integer buffers stay
}

BOOST_AUTO_TEST_CASE(to_rejects_integer_dtypes) {
  // PyTorch: "nn.Module.to only accepts floating point or complex dtypes, but got desired
  // dtype=torch.int64". The rejected call converts nothing.
  Model m;
  check_throws([&] { m.to(kInt64); }, {"Model.to:", "floating point", "got int64"});
  for (const auto& [name, p] : m.named_parameters()) BOOST_TEST((p.dtype() == kFloat32), name);
  nn::Linear linear(2, 3);
  check_throws([&] { linear.to(kInt64); }, {"Linear.to:", "got int64"});
}

BOOST_AUTO_TEST_CASE(load_state_dict_copies_and_reports_problems) {
  manual_seed(1);
  Model a;
  manual_seed(2);
  Model b;
  b.load_state_dict(a.state_dict());
  BOOST_TEST(b.fc->weight.to_vector() == a.fc->weight.to_vector());
  BOOST_TEST(b.fc->weight.raw_data() != a.fc->weight.raw_data());  // copied, not aliased

  StateDict broken;
  for (const auto& [name, t] : a.state_dict())
    if (name != "fc.bias" && name != "fc.weight") broken.insert(name, t);
  broken.insert("fc.weight", zeros({3, 3}));
  broken.insert("extra.thing", zeros({1}));
  const auto before = b.encoder->embedding->weight.to_vector();
  check_throws<std::runtime_error>([&] { b.load_state_dict(broken); },
                                   {"Model", "fc.weight", "[3, 3]", "[10, 4]", "Missing key(s): fc.bias",
                                    "Unexpected key(s): extra.thing"});
  BOOST_TEST(b.encoder->embedding->weight.to_vector() == before);  // nothing half-loaded
  StateDict partial;
  partial.insert("fc.bias", zeros({10}));
  b.load_state_dict(partial, /*strict=*/false);
  BOOST_TEST(b.fc->bias.to_vector() == std::vector<double>(10, 0.0));
}

BOOST_AUTO_TEST_CASE(save_and_load_round_trip_bit_exact) {
  manual_seed(5);
  Model a;
  manual_seed(6);
  Model b;
  const xg::testing::TempDir dir("xgrad_module");
  const std::string path = dir.file("model.safetensors");
  a.save(path, {{"note", "test"}});
  b.load(path);
  for (std::size_t i = 0; i < a.parameters().size(); ++i)
    BOOST_TEST(a.parameters()[i].to_vector() == b.parameters()[i].to_vector());
  BOOST_TEST(load_safetensors(path).metadata.at("note") == "test");
}

BOOST_AUTO_TEST_CASE(module_repr_is_pytorch_like) {
  Model m;
  std::ostringstream os;
  os << m;
  const std::string expected =
      "Model(\n"
      "  (encoder): Encoder(\n"
      "    (embedding): Embedding(10, 3)\n"
      "    (rnn): RNN(3, 4)\n"
      "  )\n"
      "  (fc): Linear(in_features=4, out_features=10, bias=True)\n"
      ")";
  BOOST_TEST(os.str() == expected);
}

// ---- Linear ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(linear_value_and_init) {
  manual_seed(0);
  nn::Linear l(400, 3);
  const double bound = 1 / std::sqrt(400.0);
  double lo = 1, hi = -1;
  for (double v : l.weight.to_vector()) lo = std::min(lo, v), hi = std::max(hi, v);
  BOOST_TEST((lo >= -bound && hi <= bound && lo < -0.95 * bound && hi > 0.95 * bound));
  nn::Linear small(2, 1);
  small.to(kFloat64);
  {
    NoGradGuard no_grad;  // parameters are leaves that require grad: written only without recording
    copy_(small.weight, from_vector({2.0, -1.0}, {1, 2}, kFloat64));
    copy_(small.bias, from_vector({0.5}, {1}, kFloat64));
  }
  Tensor y = small.forward(from_vector({1.0, 3.0, 4.0, 2.0}, {2, 2}, kFloat64));
  BOOST_TEST(y.to_vector() == std::vector<double>({-0.5, 6.5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(linear_gradient) {
  for (bool bias : {true, false}) {
    manual_seed(3);
    nn::Linear l(nn::LinearOptions(3, 2).bias(bias));
    l.to(kFloat64);
    for (const Shape& s : {Shape{4, 3}, Shape{2, 5, 3}, Shape{3}}) {
      Tensor x = leaf(s, 4);
      Inputs inputs{x};
      for (const Tensor& p : l.parameters()) inputs.push_back(p);
      check_gradient([&](const Inputs& in) { return l.forward(in[0]); }, inputs);
    }
  }
}

BOOST_AUTO_TEST_CASE(linear_rejects_bad_sizes_and_input) {
  check_throws([] { nn::Linear(0, 3); }, {"Linear", "in_features = 0"});
  nn::Linear l(4, 3);
  check_throws([&] { l.forward(zeros({2, 5})); }, {"linear", "5", "[3, 4]"});
}

// ---- Embedding -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(embedding_value_padding_and_gradient) {
  manual_seed(1);
  nn::Embedding e(nn::EmbeddingOptions(5, 3).padding_idx(-1));  // −1 means the last row, as in PyTorch
  BOOST_TEST(e.padding_idx == 4);
  for (std::int64_t j = 0; j < 3; ++j) BOOST_TEST(e.weight.at({4, j}) == 0.0);
  Tensor idx = from_vector({1, 4, 1, 0}, {2, 2}, kInt64);
  Tensor out = e.forward(idx);
  BOOST_TEST(shape_str(out.shape()) == "[2, 2, 3]");
  BOOST_TEST(out.at({1, 0, 2}) == e.weight.at({1, 2}));
  e.to(kFloat64);
  // The padding row's gradient is zero by definition, so gradcheck looks up only other rows.
  Tensor no_padding = from_vector({1, 3, 1, 0}, {2, 2}, kInt64);
  check_gradient([&](const Inputs&) { return e.forward(no_padding); }, {e.weight});
  e.forward(idx).backward(ones({2, 2, 3}, kFloat64));
  BOOST_TEST(e.weight.grad().at({1, 0}) == 2.0);  // index 1 appears twice
  BOOST_TEST(e.weight.grad().at({4, 0}) == 0.0);  // padding row gets no gradient
}

BOOST_AUTO_TEST_CASE(embedding_rejects_bad_arguments) {
  check_throws([] { nn::Embedding(0, 3); }, {"Embedding", "positive"});
  check_throws([] { nn::Embedding(nn::EmbeddingOptions(5, 3).padding_idx(5)); }, {"Embedding", "padding_idx 5"});
  nn::Embedding e(5, 3);
  check_throws([&] { e.forward(from_vector({7}, {1}, kInt64)); }, {"embedding", "7"});
  check_throws([&] { e.forward(zeros({2})); }, {"embedding", "int64"});
}

// ---- activations, dropout, sequential, losses ------------------------------------------

BOOST_AUTO_TEST_CASE(activation_modules_match_functions) {
  Tensor x = randn({3, 4}, kFloat64);
  BOOST_TEST(nn::Softmax(1).forward(x).to_vector() == softmax(x, 1).to_vector());
  BOOST_TEST(nn::LogSoftmax(-1).forward(x).to_vector() == log_softmax(x, -1).to_vector());
  BOOST_TEST(nn::Tanh().forward(x).to_vector() == tanh(x).to_vector());
  BOOST_TEST(nn::ReLU().forward(x).to_vector() == relu(x).to_vector());
  BOOST_TEST(nn::Sigmoid().forward(x).to_vector() == sigmoid(x).to_vector());
  BOOST_TEST(nn::Identity().forward(x).same(x));
  Tensor s = nn::Softmax(0).forward(x);
  for (std::int64_t j = 0; j < 4; ++j) BOOST_TEST(std::abs(s.at({0, j}) + s.at({1, j}) + s.at({2, j}) - 1.0) < 1e-12);
}

BOOST_AUTO_TEST_CASE(activation_modules_reject_bad_input) {
  // The modules pass their function's rejection through unchanged: bad dim, int64, undefined.
  Tensor x = zeros({2, 3}), ints = zeros({2, 3}, kInt64);
  check_throws([&] { nn::Softmax(2).forward(x); }, {"softmax:", "dim 2", "rank 2"});
  check_throws([&] { nn::LogSoftmax(-3).forward(x); }, {"log_softmax:", "dim -3"});
  check_throws([&] { nn::Softmax(1).forward(ints); }, {"softmax:", "int64"});
  check_throws([&] { nn::LogSoftmax(1).forward(ints); }, {"log_softmax:", "int64"});
  struct Case {
    std::string op;
    std::shared_ptr<nn::Module> module;
  };
  const std::vector<Case> elementwise = {
      {"relu", std::make_shared<nn::ReLU>()}, {"tanh", std::make_shared<nn::Tanh>()},
      {"sigmoid", std::make_shared<nn::Sigmoid>()}};
  for (const Case& c : elementwise)
    BOOST_TEST_CONTEXT(c.module->type_name()) {
      check_throws([&] { c.module->forward(ints); }, {c.op + ":", "int64"});
      check_throws([&] { c.module->forward(Tensor()); }, {c.op + ":", "undefined"});
    }
}

BOOST_AUTO_TEST_CASE(dropout_module_respects_mode) {
  nn::Dropout d(0.5);
  Tensor x = ones({1000});
  Tensor y = d.forward(x);
  std::int64_t zeros_seen = 0;
  for (double v : y.to_vector()) {
    BOOST_TEST((v == 0.0 || v == 2.0));
    zeros_seen += v == 0.0;
  }
  BOOST_TEST((zeros_seen > 400 && zeros_seen < 600));
  d.eval();
  BOOST_TEST(d.forward(x).to_vector() == x.to_vector());
  check_throws([] { nn::Dropout(-0.1); }, {"Dropout", "-0.1"});
}

BOOST_AUTO_TEST_CASE(sequential_composes_and_checks_gradient) {
  manual_seed(2);
  auto seq = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(3, 5), std::make_shared<nn::Tanh>(),
                                              std::make_shared<nn::Linear>(5, 2), std::make_shared<nn::LogSoftmax>(1));
  seq->to(kFloat64);
  BOOST_TEST(seq->named_parameters()[0].first == "0.weight");
  BOOST_TEST(seq->named_parameters()[2].first == "2.weight");
  Tensor x = leaf({4, 3}, 1);
  Inputs inputs{x};
  for (const Tensor& p : seq->parameters()) inputs.push_back(p);
  check_gradient([&](const Inputs& in) { return seq->forward(in[0]); }, inputs);
  check_throws<std::out_of_range>([&] { (*seq)[9]; }, {"Sequential", "9"});
  // A braced list of handles of any module type builds the same thing.
  auto lin1 = std::make_shared<nn::Linear>(3, 5);
  auto tanh = std::make_shared<nn::Tanh>();
  nn::Sequential braced{lin1, tanh, std::make_shared<nn::Linear>(5, 2)};
  BOOST_TEST(braced.size() == 3u);
  BOOST_TEST(braced[0] == lin1);
  BOOST_TEST(braced.named_parameters()[2].first == "2.weight");
  auto with_rnn = std::make_shared<nn::Sequential>();
  with_rnn->push_back(std::make_shared<nn::RNN>(nn::RNNOptions(3, 3)));
  check_throws<std::logic_error>([&] { with_rnn->forward(zeros({2, 3})); }, {"RNN", "forward"});
}

BOOST_AUTO_TEST_CASE(loss_modules_match_functions) {
  Tensor logits = randn({4, 3}, kFloat64);
  Tensor target = from_vector({0, 2, 1, 2}, {4}, kInt64);
  nn::CrossEntropyLoss ce(CrossEntropyOptions().label_smoothing(0.1));
  BOOST_TEST(ce.forward(logits, target).item() ==
             cross_entropy(logits, target, CrossEntropyOptions().label_smoothing(0.1)).item());
  nn::NLLLoss nll;
  BOOST_TEST(nll.forward(log_softmax(logits, 1), target).item() == nll_loss(log_softmax(logits, 1), target).item());
  nn::MSELoss mse(Reduction::Sum);
  BOOST_TEST(mse.forward(logits, zeros({4, 3}, kFloat64)).item() == mse_loss(logits, zeros({4, 3}, kFloat64), Reduction::Sum).item());
  nn::CrossEntropyLoss weighted(CrossEntropyOptions().weight(ones({3}, kFloat64)));
  BOOST_TEST(weighted.state_dict().contains("weight"));
}

BOOST_AUTO_TEST_CASE(loss_modules_reject_bad_input) {
  // The loss modules check what their functions check: target shape and class range, dtypes,
  // and (for CrossEntropyLoss) the class weight and label smoothing given in the options.
  Tensor x = zeros({2, 3}), ints = zeros({2, 3}, kInt64);
  Tensor target = from_vector(std::vector<std::int64_t>{0, 2}, {2});
  nn::CrossEntropyLoss ce;
  check_throws([&] { ce.forward(x, from_vector(std::vector<std::int64_t>{0, 1, 2}, {3})); },
               {"cross_entropy:", "[2, 3]", "[3]"});
  check_throws([&] { ce.forward(x, from_vector(std::vector<std::int64_t>{0, 3}, {2})); },
               {"cross_entropy:", "target 3", "3 classes"});
  check_throws([&] { ce.forward(ints, target); }, {"cross_entropy:", "input", "int64"});
  check_throws([&] { ce.forward(x, zeros({2})); }, {"cross_entropy:", "target", "int64"});
  check_throws([&] { nn::CrossEntropyLoss(CrossEntropyOptions().weight(ones({4}))).forward(x, target); },
               {"cross_entropy:", "weight [4]"});
  check_throws([&] { nn::CrossEntropyLoss(CrossEntropyOptions().label_smoothing(1.5)).forward(x, target); },
               {"cross_entropy:", "label_smoothing", "1.5"});
  nn::NLLLoss nll;
  check_throws([&] { nll.forward(x, from_vector(std::vector<std::int64_t>{0}, {1})); }, {"nll_loss:", "[2, 3]", "[1]"});
  check_throws([&] { nll.forward(x, from_vector(std::vector<std::int64_t>{0, -2}, {2})); }, {"nll_loss:", "target -2"});
  check_throws([&] { nll.forward(ints, target); }, {"nll_loss:", "int64"});
  nn::MSELoss mse;
  check_throws([&] { mse.forward(x, zeros({3, 2})); }, {"mse_loss:", "[2, 3]", "[3, 2]"});
  check_throws([&] { mse.forward(x, zeros({2, 3}, kFloat64)); }, {"mse_loss:", "float32", "float64"});
  check_throws([&] { mse.forward(ints, ints); }, {"mse_loss:", "int64"});
}
