#pragma once
// Shared by every test executable: gradient-check and error-message assertions.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "xgrad.hpp"

namespace xg::testing {

/// A float64 leaf that requires grad, uniform in [low, high).
inline Tensor leaf(const Shape& shape, std::uint64_t seed, double low = -1.0, double high = 1.0) {
  Generator g(seed);
  Tensor t = uniform(shape, low, high, g, kFloat64);
  t.requires_grad_();
  return t;
}

/// A float64 leaf whose entries have |x| in [0.2, 1.2) with random sign: away from the kinks of
/// relu/abs/clamp at 0 and from division by ~0.
inline Tensor leaf_away_from_zero(const Shape& shape, std::uint64_t seed) {
  Generator g(seed);
  Tensor t = uniform(shape, 0.2, 1.2, g, kFloat64);
  double* p = t.data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i)
    if (g.uniform() < 0.5) p[i] = -p[i];
  t.requires_grad_();
  return t;
}

/// Runs xg::gradcheck with the given tolerances and fails the test case with its report.
inline void check_gradient(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                           const std::vector<Tensor>& inputs, const GradcheckOptions& options = {}) {
  const GradcheckResult r = gradcheck(fn, inputs, options);
  BOOST_TEST(r.checked_elements > 0, "gradcheck checked no element");
  BOOST_TEST(r.ok, r.message);
}

inline void check_gradient_multi(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& fn,
                                 const std::vector<Tensor>& inputs, const GradcheckOptions& options = {}) {
  const GradcheckResult r = gradcheck(fn, inputs, options);
  BOOST_TEST(r.checked_elements > 0, "gradcheck checked no element");
  BOOST_TEST(r.ok, r.message);
}

/// Asserts that `fn` throws Exception whose what() contains every fragment.
template <typename Exception = std::invalid_argument>
void check_throws(const std::function<void()>& fn, std::initializer_list<std::string> fragments) {
  try {
    fn();
  } catch (const Exception& e) {
    const std::string message = e.what();
    for (const std::string& f : fragments)
      BOOST_TEST(message.find(f) != std::string::npos, "message '" << message << "' lacks '" << f << "'");
    return;
  } catch (const std::exception& e) {
    BOOST_FAIL("threw the wrong exception type: " << e.what());
  }
  BOOST_FAIL("did not throw");
}

/// Element-wise |a − b| ≤ atol + rtol·|b| over two tensors of equal shape.
inline void check_close(const Tensor& actual, const Tensor& expected, double rtol = 1e-6, double atol = 1e-7) {
  BOOST_TEST_REQUIRE(shape_str(actual.shape()) == shape_str(expected.shape()));
  const auto a = actual.to_vector();
  const auto b = expected.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i)
    BOOST_TEST(std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]),
               "element " << i << ": " << a[i] << " vs expected " << b[i]);
}

/// A tensor's elements as doubles, row-major (for comparisons in BOOST_TEST).
inline std::vector<double> values(const Tensor& t) { return t.to_vector(); }

}  // namespace xg::testing
