#define BOOST_TEST_MODULE autograd_hooks
// Tensor hooks, post-accumulate-grad hooks and queue_callback.
#include "test_helpers.hpp"

#include <stdexcept>
#include <vector>

using namespace xg;
using xg::testing::check_throws;

BOOST_AUTO_TEST_CASE(register_hook_value_on_a_leaf_and_removal) {
  Tensor w = from_vector({1.0, -2.0, 3.0}, {3}, kFloat64).requires_grad_();
  const unsigned h = w.register_hook([](const Tensor& g) { return g * 3.0; });
  sum(w * w).backward();  // d/dw = 2w, tripled by the hook before accumulation
  BOOST_TEST(w.grad().to_vector() == std::vector<double>({6.0, -12.0, 18.0}), boost::test_tools::per_element());
  w.remove_hook(h);
  w.set_grad({});
  sum(w * w).backward();
  BOOST_TEST(w.grad().to_vector() == std::vector<double>({2.0, -4.0, 6.0}), boost::test_tools::per_element());
  check_throws<std::invalid_argument>([&] { w.remove_hook(h); }, {"remove_hook: no hook with handle"});
}

BOOST_AUTO_TEST_CASE(register_hook_on_an_intermediate_changes_what_flows_upstream) {
  Tensor w = from_vector({0.5, -0.25}, {2}, kFloat64).requires_grad_();
  Tensor z = w * 2.0;
  std::vector<double> seen;
  z.register_hook([&seen](const Tensor& g) {
    seen = g.to_vector();
    return Tensor();  // undefined: keep the gradient as it is
  });
  z.register_hook([](const Tensor& g) { return g * 0.0 + 1.0; });  // replace by ones
  sum(tanh(z)).backward();
  BOOST_TEST(seen.size() == 2u);
  BOOST_TEST(seen[0] == 1.0 - std::tanh(1.0) * std::tanh(1.0), boost::test_tools::tolerance(1e-14));
  BOOST_TEST(w.grad().to_vector() == std::vector<double>({2.0, 2.0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(register_hook_rejects_a_replacement_of_another_shape) {
  Tensor w = from_vector({1.0, 2.0}, {2}, kFloat64).requires_grad_();
  w.register_hook([](const Tensor&) { return zeros({3}, kFloat64); });
  check_throws<std::invalid_argument>([&] { sum(w * w).backward(); },
                                      {"hook:", "returned float64 [3]", "the gradient is float64 [2]"});
}

BOOST_AUTO_TEST_CASE(register_hook_rejects_tensors_without_grad) {
  Tensor c = zeros({2});
  check_throws<std::invalid_argument>([&] { c.register_hook([](const Tensor& g) { return g; }); },
                                      {"register_hook: cannot register a hook on a tensor that doesn't require gradient"});
}

BOOST_AUTO_TEST_CASE(post_accumulate_grad_hook_sees_the_final_grad_once_per_pass) {
  Tensor w = from_vector({1.0, 2.0}, {2}, kFloat64).requires_grad_();
  Tensor a = from_vector({3.0, 4.0}, {2}, kFloat64), b = from_vector({10.0, 20.0}, {2}, kFloat64);
  int calls = 0;
  std::vector<double> seen;
  w.register_post_accumulate_grad_hook([&](const Tensor& leaf) {
    ++calls;
    BOOST_TEST(leaf.same(w));
    seen = leaf.grad().to_vector();
  });
  sum(w * a + w * b).backward();  // two paths into w: the hook runs after both are summed
  BOOST_TEST(calls == 1);
  BOOST_TEST(seen == std::vector<double>({13.0, 24.0}), boost::test_tools::per_element());
  sum(w * a).backward();  // a second pass accumulates: the hook sees the running total
  BOOST_TEST(calls == 2);
  BOOST_TEST(seen == std::vector<double>({16.0, 28.0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(post_accumulate_grad_hook_rejects_non_leaves) {
  Tensor w = from_vector({1.0}, {1}, kFloat64).requires_grad_();
  Tensor y = w * 2.0;
  check_throws<std::invalid_argument>([&] { y.register_post_accumulate_grad_hook([](const Tensor&) {}); },
                                      {"post accumulate grad hooks cannot be registered on non-leaf tensors"});
}

BOOST_AUTO_TEST_CASE(queue_callback_runs_after_every_leaf_has_its_grad) {
  Tensor w1 = from_vector({1.0}, {1}, kFloat64).requires_grad_();
  Tensor w2 = from_vector({2.0}, {1}, kFloat64).requires_grad_();
  bool queued = false;
  std::vector<double> at_end;
  w1.register_post_accumulate_grad_hook([&](const Tensor&) {
    if (queued) return;
    queued = true;
    autograd::queue_callback([&] { at_end = {w1.grad().item(), w2.grad().item()}; });
  });
  sum(w1 * w2 * 5.0).backward();
  BOOST_TEST(at_end == std::vector<double>({10.0, 5.0}), boost::test_tools::per_element());
  check_throws<std::logic_error>([] { autograd::queue_callback([] {}); },
                                 {"queue_callback: called outside a backward pass"});
}
