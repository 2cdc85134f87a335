#define BOOST_TEST_MODULE type_promotion
// Type promotion as torch::result_type at the binary ops, int64 arithmetic, floor_divide and
// remainder, to(dtype) between every pair of dtypes; gradients through a promotion (float64
// gradcheck, default tolerances).
#include "test_helpers.hpp"

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector(); }
}  // namespace

BOOST_AUTO_TEST_CASE(result_type_value) {
  const Tensor f32 = ones({2}), f64 = ones({2}, kFloat64), i64 = ones({2}, kInt64), b = ones({2}, kBool);
  BOOST_TEST(result_type(f32, f64) == kFloat64);
  BOOST_TEST(result_type(i64, f32) == kFloat32);
  BOOST_TEST(result_type(b, i64) == kInt64);
  BOOST_TEST(result_type(b, b) == kBool);
  BOOST_TEST(result_type(f32, ones({}, kFloat64)) == kFloat32);  // a 0-dim tensor does not promote within its category
  BOOST_TEST(result_type(i64, ones({}, kFloat64)) == kFloat64);  // ... but does across categories
  BOOST_TEST(result_type(f32, 2.5) == kFloat32);
  BOOST_TEST(result_type(i64, 2.5) == kFloat32);
  BOOST_TEST(promote_types(kFloat32, kFloat64) == kFloat64);
}

BOOST_AUTO_TEST_CASE(promoted_arithmetic_value) {
  const Tensor f32 = from_vector({1.5, 2.5}, {2}), f64 = from_vector({1, 2}, {2}, kFloat64);
  const Tensor i64 = from_vector(std::vector<std::int64_t>{7, -7}, {2});
  BOOST_TEST((f32 + f64).dtype() == kFloat64);
  BOOST_TEST(values(f32 + f64) == (std::vector<double>{2.5, 4.5}), boost::test_tools::per_element());
  BOOST_TEST((i64 * f32).dtype() == kFloat32);
  BOOST_TEST((f32 * 2.0).dtype() == kFloat32);
  BOOST_TEST((i64 + 1.5).dtype() == kFloat32);
  BOOST_TEST(values(i64 + 1.5) == (std::vector<double>{8.5, -5.5}), boost::test_tools::per_element());
  BOOST_TEST((i64 + 1).dtype() == kInt64);  // an integral scalar keeps int64
  BOOST_TEST(values(i64 * 3) == (std::vector<double>{21, -21}), boost::test_tools::per_element());
  BOOST_TEST(values(i64 - i64) == (std::vector<double>{0, 0}), boost::test_tools::per_element());
  BOOST_TEST((i64 / i64).dtype() == kFloat32);  // true division
  BOOST_TEST(values(i64 / from_vector(std::vector<std::int64_t>{2, 2}, {2})) == (std::vector<double>{3.5, -3.5}),
             boost::test_tools::per_element());
  BOOST_TEST(values(maximum(i64, from_vector(std::vector<std::int64_t>{0, 0}, {2}))) == (std::vector<double>{7, 0}),
             boost::test_tools::per_element());
  const Tensor bt = tensor({true, false}), bf = tensor({true, true});
  BOOST_TEST((bt + bf).dtype() == kBool);
  BOOST_TEST(values(bt * bf) == (std::vector<double>{1, 0}), boost::test_tools::per_element());
  BOOST_TEST((bt + i64).dtype() == kInt64);
}

BOOST_AUTO_TEST_CASE(floor_divide_remainder_value) {
  const Tensor a = tensor({-7, 7, 7, -7}), b = tensor({2, -2, 2, -2});
  BOOST_TEST(values(floor_divide(a, b)) == (std::vector<double>{-4, -4, 3, 3}), boost::test_tools::per_element());
  BOOST_TEST(values(a % b) == (std::vector<double>{1, -1, 1, -1}), boost::test_tools::per_element());
  BOOST_TEST((a % 3).dtype() == kInt64);
  BOOST_TEST(values(a % 3) == (std::vector<double>{2, 1, 1, 2}), boost::test_tools::per_element());
  const Tensor x = from_vector({-7.5, 7.5}, {2}, kFloat64);
  BOOST_TEST(values(floor_divide(x, 2.0)) == (std::vector<double>{-4, 3}), boost::test_tools::per_element());
  BOOST_TEST(values(remainder(x, 2.0)) == (std::vector<double>{0.5, 1.5}), boost::test_tools::per_element());
  const Tensor big = tensor({std::numeric_limits<std::int64_t>::min()});
  BOOST_TEST(floor_divide(big, tensor({-1})).item<std::int64_t>() == std::numeric_limits<std::int64_t>::min());  // wraps
}

BOOST_AUTO_TEST_CASE(floor_divide_rejects_zero_division_and_grad) {
  check_throws([] { (void)floor_divide(tensor({1}), tensor({0})); }, {"floor_divide", "ZeroDivisionError"});
  check_throws([] { (void)(tensor({1}) % tensor({0})); }, {"remainder", "ZeroDivisionError"});
  Tensor x = leaf({2}, 1);
  check_throws([&] { (void)floor_divide(x, 2.0); }, {"floor_divide", "not differentiable"});
  check_throws([] { (void)(tensor({true}) - tensor({true})); }, {"sub", "bool", "logical_xor"});
}

BOOST_AUTO_TEST_CASE(promoted_arithmetic_gradient) {
  // int64 ⊕ float64 → float64, differentiable in the float operand (broadcasting too).
  Tensor a = leaf({3}, 2), b = leaf({2, 3}, 3);
  const Tensor k = tensor({2, -3, 5});
  check_gradient([&](const std::vector<Tensor>& in) { return in[0] * k + in[1] - k; }, {a, b});
  // float32 ⊕ float64: the float32 operand's gradient comes back in float32.
  Tensor af = from_vector({1, 2, 3}, {3}).requires_grad_();
  Tensor bd = from_vector({1, 1, 1}, {3}, kFloat64).requires_grad_();
  (af * bd).sum().backward();
  BOOST_TEST(af.grad().dtype() == kFloat32);
  BOOST_TEST(bd.grad().dtype() == kFloat64);
  BOOST_TEST(values(bd.grad()) == (std::vector<double>{1, 2, 3}), boost::test_tools::per_element());
  check_gradient([](const std::vector<Tensor>& in) { return remainder(in[0], in[1].abs() + 0.5); }, {leaf({4}, 4), leaf({4}, 5)});
}

BOOST_AUTO_TEST_CASE(to_value) {
  const Tensor x = from_vector({-1.5, 0, 2}, {3});
  for (Dtype d : {kFloat32, kFloat64, kInt64, kBool})
    for (Dtype e : {kFloat32, kFloat64, kInt64, kBool}) {
      const Tensor y = x.to(d).to(e);
      BOOST_TEST(y.dtype() == e);
      BOOST_TEST(y.at({1}) == 0.0);
    }
  BOOST_TEST(values(x.to(kInt64)) == (std::vector<double>{-1, 0, 2}), boost::test_tools::per_element());
  BOOST_TEST(values(x.to(kBool)) == (std::vector<double>{1, 0, 1}), boost::test_tools::per_element());
}
