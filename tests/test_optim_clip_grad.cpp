#define BOOST_TEST_MODULE optim_clip_grad
#include "optim_test_helpers.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unistd.h>

#include "autograd/serialization.hpp"
#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"
#include "optim/lr_scheduler.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"

using namespace xg;
using namespace xg::optim;

using namespace xg::testing;

// Gradient clipping (clip_grad_norm_, clip_grad_value_).

BOOST_AUTO_TEST_CASE(clip_grad_norm_value) {
  // Gradients (3, 4) and (12): ‖·‖₂ = 13, ‖·‖₁ = 19, ‖·‖∞ = 12.
  Tensor a = zeros({2}, kFloat64).requires_grad_();
  Tensor b = zeros({1}, kFloat64).requires_grad_();
  Tensor none = zeros({3}, kFloat64).requires_grad_();  // no gradient: ignored
  auto reset = [&] {
    a.set_grad(from_vector({3.0, 4.0}, {2}, kFloat64));
    b.set_grad(from_vector({12.0}, {1}, kFloat64));
  };
  reset();
  BOOST_TEST(clip_grad_norm_({a, b, none}, 6.5) == 13.0);
  const double coef = 6.5 / (13.0 + 1e-6);
  BOOST_TEST(std::abs(a.grad().at({0}) - 3.0 * coef) < 1e-15);
  BOOST_TEST(std::abs(a.grad().at({1}) - 4.0 * coef) < 1e-15);
  BOOST_TEST(std::abs(b.grad().at({0}) - 12.0 * coef) < 1e-15);
  BOOST_TEST(!none.grad().defined());

  reset();
  const double inf = std::numeric_limits<double>::infinity();
  BOOST_TEST(clip_grad_norm_({a, b}, 6.0, inf) == 12.0);
  BOOST_TEST(std::abs(b.grad().at({0}) - 12.0 * 6.0 / (12.0 + 1e-6)) < 1e-15);

  reset();
  BOOST_TEST(std::abs(clip_grad_norm_({a, b}, 1.0, 1.0) - 19.0) < 1e-12);
  BOOST_TEST(std::abs(a.grad().at({0}) - 3.0 / (19.0 + 1e-6)) < 1e-15);

  // Below max_norm: untouched, still returns the norm.
  reset();
  BOOST_TEST(clip_grad_norm_({a, b}, 20.0) == 13.0);
  BOOST_TEST(a.grad().to_vector() == std::vector<double>({3.0, 4.0}), boost::test_tools::per_element());
  BOOST_TEST(b.grad().at({0}) == 12.0);

  BOOST_TEST(clip_grad_norm_({none}, 1.0) == 0.0);

  // float32 gradients are scaled in float32.
  Tensor f = zeros({2}).requires_grad_();
  f.set_grad(from_vector({3.0, 4.0}, {2}));
  BOOST_TEST(std::abs(clip_grad_norm_({f}, 1.0) - 5.0) < 1e-6);
  BOOST_TEST(std::abs(f.grad().at({1}) - 0.8) < 1e-6);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_rejects_nonfinite) {
  Tensor a = zeros({2}, kFloat64).requires_grad_();
  a.set_grad(from_vector({1.0, std::numeric_limits<double>::infinity()}, {2}, kFloat64));
  check_throws<std::runtime_error>([&] { clip_grad_norm_({a}, 1.0, 2.0, true); },
                                   {"clip_grad_norm_", "total norm of order 2", "non-finite"});
  BOOST_TEST(a.grad().at({0}) == 1.0);  // untouched when it throws
  a.set_grad(from_vector({1.0, std::nan("")}, {2}, kFloat64));
  check_throws<std::runtime_error>([&] { clip_grad_norm_({a}, 1.0, std::numeric_limits<double>::infinity(), true); },
                                   {"order inf", "non-finite"});
  // Without the flag, PyTorch scales by max_norm / (inf + 1e-6) = 0, so inf·0 = NaN and 1·0 = 0.
  a.set_grad(from_vector({1.0, std::numeric_limits<double>::infinity()}, {2}, kFloat64));
  BOOST_TEST(std::isinf(clip_grad_norm_({a}, 1.0)));
  BOOST_TEST(a.grad().at({0}) == 0.0);
  BOOST_TEST(std::isnan(a.grad().at({1})));
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_rejects_bad_arguments) {
  Tensor a = zeros({2}, kFloat64).requires_grad_();
  a.set_grad(ones({2}, kFloat64));
  check_throws([&] { clip_grad_norm_({a}, -1.0); }, {"clip_grad_norm_", "max_norm", "-1"});
  check_throws([&] { clip_grad_norm_({a}, 1.0, 0.0); }, {"clip_grad_norm_", "norm_type 0"});
  check_throws([&] { clip_grad_norm_({a, Tensor()}, 1.0); }, {"clip_grad_norm_", "parameter 1", "undefined"});
}

BOOST_AUTO_TEST_CASE(clip_grad_value_value) {
  Tensor a = zeros({4}, kFloat64).requires_grad_();
  Tensor b = zeros({1}).requires_grad_();
  Tensor none = zeros({1}).requires_grad_();
  a.set_grad(from_vector({-3.0, 0.5, 2.0, -1.0}, {4}, kFloat64));
  b.set_grad(from_vector({-0.25}, {1}));
  clip_grad_value_({a, b, none}, 1.0);
  BOOST_TEST(a.grad().to_vector() == std::vector<double>({-1.0, 0.5, 1.0, -1.0}), boost::test_tools::per_element());
  BOOST_TEST(b.grad().at({0}) == -0.25);
  BOOST_TEST(!none.grad().defined());
  check_throws([&] { clip_grad_value_({a}, -0.5); }, {"clip_grad_value_", "-0.5"});
}
