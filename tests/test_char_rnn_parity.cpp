#define BOOST_TEST_MODULE char_rnn_parity
// A char_rnn checkpoint means the same thing in PyTorch: weights written by PyTorch under the
// example model's names load strictly into examples/char_rnn's CharRNN, and the losses over two
// windows (hidden state carried) match what PyTorch computed (tools/make_char_rnn_fixture.py).
#include "test_helpers.hpp"

#include "../examples/char_rnn/model.hpp"

using namespace xg;

BOOST_AUTO_TEST_CASE(checkpoint_weights_give_pytorchs_losses) {
  const SafetensorsFile f = load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/char_rnn/checkpoint_parity.safetensors");
  auto meta = [&](const char* k) { return std::stoll(f.metadata.at(k)); };
  char_rnn::CharRNN model(meta("vocab"), meta("embed"), meta("hidden"), meta("layers"), 0.0);
  StateDict weights;
  for (const auto& [name, t] : f.tensors)
    if (name.rfind("window", 0) != 0 && name != "final_hidden") weights.insert(name, t);
  model.load_state_dict(weights);  // strict: every PyTorch name must exist in the C++ model
  model.eval();
  NoGradGuard no_grad;
  Tensor hidden;
  for (int w = 0; w < 2; ++w) {
    const std::string prefix = "window" + std::to_string(w) + ".";
    auto [logits, h_n] = model.forward(f.tensors.at(prefix + "tokens"), hidden);
    const double loss = cross_entropy(logits, f.tensors.at(prefix + "targets")).item();
    const double expected = f.tensors.at(prefix + "loss").item();
    // float32 on both sides: 1e-5 relative.
    BOOST_TEST(std::abs(loss - expected) <= 1e-5 * std::abs(expected), "window " << w << ": " << loss << " vs PyTorch " << expected);
    hidden = h_n;
  }
  xg::testing::check_close(hidden, f.tensors.at("final_hidden"), 1e-5, 1e-6);
}
