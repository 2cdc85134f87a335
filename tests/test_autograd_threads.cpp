#define BOOST_TEST_MODULE autograd_threads
// The engine across threads: graphs recorded on several threads, backward passes running
// concurrently over shared parameters and shared retained graphs, passes that throw midway,
// and generators shared between threads. Also run under ThreadSanitizer (scripts/test.sh --tsan).
#include "test_helpers.hpp"

#include "autograd/ops_recurrent.hpp"

#include <atomic>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace xg;
using xg::testing::check_throws;

namespace {

// Runs fn(0) and fn(1) on two threads started together.
template <typename Fn>
void on_two_threads(Fn fn) {
  std::atomic<int> arrived{0};
  auto body = [&](int id) {
    arrived.fetch_add(1);
    while (arrived.load() < 2) std::this_thread::yield();  // start both at once
    fn(id);
  };
  std::thread a(body, 0), b(body, 1);
  a.join();
  b.join();
}

std::vector<double> grad_values(const Tensor& t) { return t.grad().to_vector(); }

// A two-layer network's first and second halves.
Tensor first_half(const Tensor& x, const Tensor& w1, const Tensor& b1) { return tanh(matmul(x, w1) + b1); }
Tensor second_half(const Tensor& h, const Tensor& w2, const Tensor& w_rec) {
  std::vector<Tensor> rows = unbind(sigmoid(matmul(h, w2)), 0);  // a hub node
  RecurrentWeight rec(w_rec);                                   // another hub
  Tensor state = zeros({1, w_rec.size(0)}, kFloat64);
  for (const Tensor& r : rows) state = tanh(rec.add_product(r.reshape({1, -1}), state));
  return sum(state * state);
}

}  // namespace

BOOST_AUTO_TEST_CASE(graph_recorded_on_two_threads_matches_single_thread) {
  Tensor x = xg::testing::leaf({4, 3}, 1);
  Tensor w1 = xg::testing::leaf({3, 5}, 2), b1 = xg::testing::leaf({5}, 3);
  Tensor w2 = xg::testing::leaf({5, 5}, 4), w_rec = xg::testing::leaf({5, 5}, 5);
  second_half(first_half(x, w1, b1), w2, w_rec).backward();
  std::vector<std::vector<double>> expected;
  for (const Tensor* p : {&x, &w1, &b1, &w2, &w_rec}) expected.push_back(grad_values(*p));
  for (Tensor* p : {&x, &w1, &b1, &w2, &w_rec}) p->set_grad(Tensor());

  // First half on this thread (which has recorded many nodes), second half on a fresh thread,
  // backward on a third: a per-thread recording order would run the halves in the wrong order.
  for (int i = 0; i < 1000; ++i) (void)(x * 2.0);
  Tensor h = first_half(x, w1, b1);
  Tensor loss;
  std::thread([&] { loss = second_half(h, w2, w_rec); }).join();
  std::thread([&] { loss.backward(); }).join();
  int k = 0;
  for (const Tensor* p : {&x, &w1, &b1, &w2, &w_rec})
    BOOST_TEST(grad_values(*p) == expected[k++], boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(two_threads_backward_into_shared_parameters_matches_sequential) {
  // Every gradient is an exact small integer, so a lost or doubled accumulation shows exactly.
  const Tensor w = zeros({64}, kFloat64).requires_grad_();
  const int steps = 300;
  on_two_threads([&](int id) {
    const Tensor c = full({64}, id + 1.0, kFloat64);
    for (int s = 0; s < steps; ++s) sum(w * c + w).backward();
  });
  // Thread 0 adds 2 per step, thread 1 adds 3.
  BOOST_TEST(grad_values(w) == std::vector<double>(64, steps * 5.0), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(two_threads_backward_through_one_retained_graph_match_sequential) {
  // Both passes run through the same nodes, hubs included (unbind, RecurrentWeight).
  const Tensor x = xg::testing::leaf({4, 3}, 11);
  const Tensor w1 = xg::testing::leaf({3, 5}, 12), b1 = xg::testing::leaf({5}, 13);
  const Tensor w2 = xg::testing::leaf({5, 5}, 14), w_rec = xg::testing::leaf({5, 5}, 15);
  Tensor loss = second_half(first_half(x, w1, b1), w2, w_rec);
  loss.backward(Tensor(), /*retain_graph=*/true);
  const std::vector<double> once = grad_values(w_rec), once_x = grad_values(x);
  const int passes = 50;
  on_two_threads([&](int) {
    for (int s = 0; s < passes; ++s) loss.backward(Tensor(), /*retain_graph=*/true);
  });
  const std::vector<double> total = grad_values(w_rec), total_x = grad_values(x);
  for (std::size_t i = 0; i < once.size(); ++i)
    BOOST_TEST(std::abs(total[i] - (2 * passes + 1) * once[i]) <= 1e-9 * (1 + std::abs(total[i])));
  for (std::size_t i = 0; i < once_x.size(); ++i)
    BOOST_TEST(std::abs(total_x[i] - (2 * passes + 1) * once_x[i]) <= 1e-9 * (1 + std::abs(total_x[i])));
}

BOOST_AUTO_TEST_CASE(two_threads_training_two_models_match_sequential_runs) {
  auto train = [](nn::LSTM& lstm, nn::Linear& head, int seed) {
    Generator g(static_cast<std::uint64_t>(seed));
    std::vector<Tensor> params = lstm.parameters();
    for (const Tensor& p : head.parameters()) params.push_back(p);
    optim::SGD sgd(params, optim::SGDOptions(0.05));
    for (int step = 0; step < 5; ++step) {
      const Tensor input = randn({6, 2, 3}, g);
      const Tensor target = randn({6, 2, 2}, g);
      sgd.zero_grad();
      Tensor out = head.forward(lstm.forward(input, {}).first);
      mse_loss(out, target).backward();
      sgd.step();
    }
  };
  auto make = [](std::uint64_t seed, std::unique_ptr<nn::LSTM>& lstm, std::unique_ptr<nn::Linear>& head) {
    manual_seed(seed);
    lstm = std::make_unique<nn::LSTM>(nn::LSTMOptions(3, 4));
    head = std::make_unique<nn::Linear>(4, 2);
  };
  std::unique_ptr<nn::LSTM> la, lb, sa, sb;
  std::unique_ptr<nn::Linear> ha, hb, sha, shb;
  make(1, la, ha);
  make(2, lb, hb);
  make(1, sa, sha);
  make(2, sb, shb);
  train(*sa, *sha, 7);  // sequential reference
  train(*sb, *shb, 8);
  on_two_threads([&](int id) {
    if (id == 0) train(*la, *ha, 7);
    else train(*lb, *hb, 8);
  });
  auto same = [](nn::Module& a, nn::Module& b) {
    std::vector<Tensor> pa = a.parameters(), pb = b.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i)
      BOOST_TEST(pa[i].to_vector() == pb[i].to_vector(), boost::test_tools::per_element());
  };
  same(*la, *sa);
  same(*ha, *sha);
  same(*lb, *sb);
  same(*hb, *shb);
}

BOOST_AUTO_TEST_CASE(backward_that_throws_midway_can_be_retried_with_retain_graph) {
  Tensor x = xg::testing::leaf({3, 4}, 21);
  bool fail = true;
  auto build = [&] {
    std::vector<Tensor> rows = unbind(x * 3.0, 0);  // the hub gathers the rows' gradients in the pass
    Tensor tripwire = rows[1] * 1.0;
    record(tripwire, "tripwire", {rows[1]}, [&fail](const Tensor& g) {
      if (fail) throw std::runtime_error("tripwire: failing on purpose");
      return std::vector<Tensor>{g};
    });
    return sum(rows[0] * rows[0]) + sum(tripwire) + sum(rows[2]);
  };
  Tensor reference_loss = build();
  fail = false;
  reference_loss.backward();
  const std::vector<double> expected = grad_values(x);
  x.set_grad(Tensor());

  fail = true;
  Tensor loss = build();
  check_throws<std::runtime_error>([&] { loss.backward(Tensor(), /*retain_graph=*/true); }, {"tripwire"});
  BOOST_TEST(!x.grad().defined());  // nothing reached the leaf
  fail = false;
  loss.backward();
  BOOST_TEST(grad_values(x) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(backward_that_throws_midway_without_retain_graph_leaves_a_released_graph) {
  const Tensor x = xg::testing::leaf({3}, 22);
  Tensor y = tanh(x);
  Tensor tripwire = y * 1.0;
  record(tripwire, "tripwire", {y}, [](const Tensor&) -> std::vector<Tensor> {
    throw std::runtime_error("tripwire: failing on purpose");
  });
  Tensor loss = sum(tripwire * 2.0);
  check_throws<std::runtime_error>([&] { loss.backward(); }, {"tripwire"});
  // The nodes that ran were released; a retry says so instead of computing half a gradient.
  check_throws<std::runtime_error>([&] { loss.backward(); }, {"second time", "retain_graph"});
  BOOST_TEST(!x.grad().defined());
}

BOOST_AUTO_TEST_CASE(default_generator_shared_by_two_threads_hands_out_whole_fills) {
  manual_seed(99);
  const std::vector<double> sequential = randn({2000}, kFloat64).to_vector();
  manual_seed(99);
  std::vector<double> drawn[2];
  on_two_threads([&](int id) { drawn[id] = randn({1000}, kFloat64).to_vector(); });
  // Each fill holds the generator's lock, so each thread got one contiguous half of the stream.
  const std::vector<double> first(sequential.begin(), sequential.begin() + 1000);
  const std::vector<double> second(sequential.begin() + 1000, sequential.end());
  const bool a_first = drawn[0] == first && drawn[1] == second;
  const bool b_first = drawn[1] == first && drawn[0] == second;
  BOOST_TEST((a_first || b_first));
}
