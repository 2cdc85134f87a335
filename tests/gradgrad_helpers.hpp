#pragma once
// gradgradcheck assertions shared by the double-backward test files.
#include "test_helpers.hpp"

namespace xg::testing {

/// Runs xg::autograd::gradgradcheck (random N(0,1) grad_outputs; float64 central differences;
/// tolerances GradcheckOptions' defaults unless given: eps 1e-6, atol 1e-5, rtol 1e-3) and fails
/// the test case with its report.
inline void check_gradgrad(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                           const std::vector<Tensor>& inputs, const GradcheckOptions& options = {}) {
  const GradcheckResult r = autograd::gradgradcheck(fn, inputs, {}, options);
  BOOST_TEST(r.checked_elements > 0, "gradgradcheck checked no element");
  BOOST_TEST(r.ok, r.message);
}

inline void check_gradgrad_multi(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& fn,
                                 const std::vector<Tensor>& inputs, const GradcheckOptions& options = {}) {
  const GradcheckResult r = autograd::gradgradcheck(fn, inputs, {}, options);
  BOOST_TEST(r.checked_elements > 0, "gradgradcheck checked no element");
  BOOST_TEST(r.ok, r.message);
}

}  // namespace xg::testing
