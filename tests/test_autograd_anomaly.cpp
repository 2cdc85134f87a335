#define BOOST_TEST_MODULE autograd_anomaly
// Anomaly mode that points at the forward: under AnomalyGuard every recorded node keeps its op
// name and the call stack of its forward, and a NaN/Inf or an exception in its backward reports
// both. Without the guard nothing is recorded. (This executable is linked with -rdynamic so the
// trace shows function names, as the docs advise.)
#include "test_helpers.hpp"

#include <stdexcept>
#include <string>

using namespace xg;
using xg::testing::check_throws;
using xg::testing::leaf;

// Named functions with external linkage, so -rdynamic exports them to the trace.
namespace anomaly_test {
// sqrt at 0 is finite, its derivative 1/(2·sqrt(0)) is not: the NaN/Inf appears only in backward.
[[gnu::noinline]] Tensor forward_with_sqrt_at_zero(const Tensor& x) { return sum(sqrt(x * 0.0)); }

[[gnu::noinline]] Tensor forward_with_tripwire(const Tensor& x) {
  Tensor y = x * 1.0;
  Tensor out = y * 1.0;
  record(out, "tripwire", {y}, [](const Tensor&) -> std::vector<Tensor> {
    throw std::invalid_argument("tripwire: failing on purpose");
  });
  return sum(out);
}
}  // namespace anomaly_test
using anomaly_test::forward_with_sqrt_at_zero;
using anomaly_test::forward_with_tripwire;

BOOST_AUTO_TEST_CASE(anomaly_names_the_op_and_its_forward_call_site) {
  const Tensor x = leaf({3}, 1);
  AnomalyGuard anomaly;
  const Tensor loss = forward_with_sqrt_at_zero(x);
  check_throws<std::runtime_error>([&] { loss.backward(); },
                                   {"sqrt: backward produced Inf in input 0 (anomaly detection)",
                                    "the forward of 'sqrt' that backward failed in was recorded at (anomaly mode):",
                                    "#0 xg::sqrt(", "forward_with_sqrt_at_zero"});
}

BOOST_AUTO_TEST_CASE(anomaly_keeps_the_exception_type_of_a_failing_backward) {
  const Tensor x = leaf({3}, 2);
  AnomalyGuard anomaly;
  const Tensor loss = forward_with_tripwire(x);
  check_throws<std::invalid_argument>([&] { loss.backward(); },
                                      {"tripwire: failing on purpose", "the forward of 'tripwire'",
                                       "forward_with_tripwire"});
}

BOOST_AUTO_TEST_CASE(anomaly_off_records_no_trace) {
  const Tensor x = leaf({3}, 3);
  const Tensor y = tanh(x);
  BOOST_TEST(y.grad_fn()->forward_trace.empty());
  AnomalyGuard anomaly;
  const Tensor z = tanh(x);
  BOOST_TEST(!z.grad_fn()->forward_trace.empty());
  // Without the guard the same failure names the op only.
}

BOOST_AUTO_TEST_CASE(anomaly_off_error_has_no_trace) {
  const Tensor x = leaf({3}, 4);
  const Tensor loss = forward_with_tripwire(x);
  try {
    loss.backward();
    BOOST_FAIL("backward should have thrown");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()) == "tripwire: failing on purpose");
  }
}
