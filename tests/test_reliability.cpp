#define BOOST_TEST_MODULE reliability
// The autograd graph is freed after every training step: the char_rnn model trained in process
// leaves only its parameters' gradient sinks alive between steps. (Split BLAS products under
// threads and fork: test_backend_threads; docs/errors.md's citations: test_docs.)
#include "test_helpers.hpp"

#include "examples/char_rnn/model.hpp"

using namespace xg;

BOOST_AUTO_TEST_CASE(live_node_count_returns_to_baseline_after_every_training_step) {
  // The char_rnn training step, in process: after each step only the parameters' AccumulateGrad
  // sinks (one per parameter, owned by the parameter) are alive; every graph node is freed; and
  // with the model gone the count is back where it started.
  const std::int64_t before = live_node_count();
  {
    manual_seed(3);
    const std::int64_t vocab = 11, seq = 6, batch = 3;
    auto model = std::make_shared<char_rnn::CharRNN>(vocab, 5, 7, 2, 0.2);
    const auto params = model->parameters();
    optim::Adam adam(params, optim::AdamOptions(0.01));
    Generator g(9);
    Tensor hidden;
    for (int step = 0; step < 12; ++step) {
      {
        const Tensor tokens = randint(0, vocab, {seq, batch}, g);
        const Tensor targets = randint(0, vocab, {seq * batch}, g);
        auto [logits, h_n] = model->forward(tokens, step % 5 == 4 ? Tensor() : hidden);
        Tensor loss = cross_entropy(logits, targets);
        adam.zero_grad();
        loss.backward();
        optim::clip_grad_norm_(params, 1.0);
        adam.step();
        hidden = h_n.detach();
        BOOST_TEST(live_node_count() > before + static_cast<std::int64_t>(params.size()));  // the graph is alive here
      }
      BOOST_TEST(live_node_count() == before + static_cast<std::int64_t>(params.size()), "after step " << step);
      {
        NoGradGuard no_grad;  // a validation pass records nothing
        model->eval();
        (void)model->forward(randint(0, vocab, {seq, batch}, g), hidden);
        model->train();
      }
      BOOST_TEST(live_node_count() == before + static_cast<std::int64_t>(params.size()), "after eval " << step);
    }
  }
  BOOST_TEST(live_node_count() == before);
}
