#define BOOST_TEST_MODULE reliability
// Reliability of the library under load: split BLAS products from several user threads and in a
// forked child, the autograd graph freed after every training step; and docs/errors.md citing
// only tests that exist.
#include "char_rnn_harness.hpp"
#include "test_helpers.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "autograd/detail/blas.hpp"
#include "examples/char_rnn/model.hpp"

using namespace xg;
using xg::testing::slurp;

namespace {
// Sets xgrad's thread count for a scope.
struct ScopedThreads {
  explicit ScopedThreads(int n) : saved(get_num_threads()) { set_num_threads(n); }
  ~ScopedThreads() { set_num_threads(saved); }
  int saved;
};
}  // namespace

BOOST_AUTO_TEST_CASE(split_products_from_two_user_threads_are_correct) {
  // xgrad has one helper thread; a second user thread that finds it busy must compute both
  // halves itself. Two threads hammer split gemms (2^19+ MACs) with pauses long enough for the
  // helper to fall asleep between bursts; every result must equal the single-threaded one.
  const ScopedThreads two(2);
  const std::int64_t m = 64, n = 128, k = 96;  // 786k MACs: cut in two
  std::vector<float> a(m * k), b(k * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 7919) % 97) / 97.0f - 0.5f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 104729) % 89) / 89.0f - 0.5f;
  std::vector<float> expected(m * n);
  {
    const ScopedThreads one(1);
    xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, expected.data(), n);
  }
  std::atomic<int> mismatches{0};
  auto user = [&] {
    std::vector<float> c(m * n);
    for (int iter = 0; iter < 300; ++iter) {
      xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);
      if (std::memcmp(c.data(), expected.data(), c.size() * sizeof(float)) != 0) ++mismatches;
      if (iter % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::thread t1(user), t2(user);
  t1.join();
  t2.join();
  BOOST_TEST(mismatches.load() == 0);
}

BOOST_AUTO_TEST_CASE(split_products_work_in_a_forked_child) {
  // fork() copies only the calling thread: a child that posted half a product to the parent's
  // helper thread would wait forever, and joining that thread at exit would hang. The child must
  // compute both halves itself and exit normally (static destructors included).
  const ScopedThreads two(2);
  const std::int64_t m = 64, n = 128, k = 96;  // cut in two
  std::vector<float> a(m * k, 0.25f), b(k * n, -0.5f), c(m * n, 0.0f);
  xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);  // helper now running
  const pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    std::vector<float> d(m * n, 1.0f);
    xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, d.data(), n);
    std::exit(d == c ? 0 : 3);  // exit(), not _exit(): runs the helper's destructor in the child
  }
  int status = -1;
  for (int waited_ms = 0; waited_ms < 30000; waited_ms += 10) {
    if (waitpid(child, &status, WNOHANG) == child) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (waitpid(child, &status, WNOHANG) == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    BOOST_FAIL("the forked child hung for 30 s");
  }
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

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

BOOST_AUTO_TEST_CASE(errors_md_names_only_existing_tests) {
  // docs/errors.md backs each rejected input with a test case named `test_<family>:<case>`.
  const std::string doc = slurp(std::string(XGRAD_SOURCE_DIR) + "/docs/errors.md");
  BOOST_TEST_REQUIRE(!doc.empty());
  std::size_t checked = 0;
  for (std::size_t at = doc.find("`test_"); at != std::string::npos; at = doc.find("`test_", at + 1)) {
    const std::size_t end = doc.find('`', at + 1);
    const std::string ref = doc.substr(at + 1, end - at - 1);
    const std::size_t colon = ref.find(':');
    if (colon == std::string::npos) continue;
    const std::string file = ref.substr(0, colon), name = ref.substr(colon + 1);
    const std::string source = slurp(std::string(XGRAD_SOURCE_DIR) + "/tests/" + file + ".cpp");
    BOOST_TEST(!source.empty(), "docs/errors.md cites missing file tests/" << file << ".cpp");
    const bool found = source.find("_TEST_CASE(" + name + ")") != std::string::npos ||
                       source.find("_TEST_CASE(" + name + ",") != std::string::npos;
    BOOST_TEST(found, "docs/errors.md cites " << ref << ", which is not a test case");
    ++checked;
  }
  BOOST_TEST(checked > 60u);
}
