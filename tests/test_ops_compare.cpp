#define BOOST_TEST_MODULE ops_compare
// Comparisons, logical ops, NaN/Inf tests, any/all, isclose/allclose/equal, where, masked_fill and
// masked_select: values against hand-derived expectations, float64 gradchecks (default
// tolerances: eps 1e-6, atol 1e-5, rtol 1e-3), and the errors. PyTorch parity of the
// differentiable ones is in test_tensor_api_parity.cpp.
#include "test_helpers.hpp"

#include <cmath>
#include <limits>

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector(); }
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
}  // namespace

BOOST_AUTO_TEST_CASE(bool_dtype_value) {
  Tensor b = from_vector({1, 0, 2}, {3}).to(kBool);
  BOOST_TEST(b.dtype() == kBool);
  BOOST_TEST(element_size(kBool) == 1u);
  BOOST_TEST(std::string(dtype_name(kBool)) == "bool");
  BOOST_TEST(values(b) == (std::vector<double>{1, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(from_vector({kNaN}, {1}).to(kBool).item<bool>());  // NaN is true, as in PyTorch
  BOOST_TEST(values(b.to(kInt64)) == (std::vector<double>{1, 0, 1}), boost::test_tools::per_element());
  // Shape ops move 1-byte elements.
  Tensor m = from_vector({1, 0, 0, 1, 1, 0}, {2, 3}).to(kBool);
  BOOST_TEST(values(transpose(m, 0, 1)) == (std::vector<double>{1, 1, 0, 1, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(select(m, 1, 2)) == (std::vector<double>{0, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(cat({m, m}, 1)) == (std::vector<double>{1, 0, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(values(expand(select(select(m, 0, 0), 0, 0).reshape({1}), {3})) == (std::vector<double>{1, 1, 1}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bool_dtype_rejects_requires_grad) {
  Tensor b = zeros({2}, kBool);
  check_throws([&] { b.requires_grad_(); }, {"requires_grad_", "got bool"});
}

BOOST_AUTO_TEST_CASE(comparisons_value) {
  Tensor a = from_vector({1, 2, 3, kNaN}, {4});
  Tensor b = from_vector({3, 2, 1, kNaN}, {4});
  BOOST_TEST(values(a == b) == (std::vector<double>{0, 1, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(a != b) == (std::vector<double>{1, 0, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(a < b) == (std::vector<double>{1, 0, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(a <= b) == (std::vector<double>{1, 1, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(a > b) == (std::vector<double>{0, 0, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(a >= b) == (std::vector<double>{0, 1, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST((a > 1.5).dtype() == kBool);
  BOOST_TEST(values(a > 1.5) == (std::vector<double>{0, 1, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(2.0 <= a) == (std::vector<double>{0, 1, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(a.eq(2.0)) == (std::vector<double>{0, 1, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(eq(a, b)) == values(a.eq(b)), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(comparisons_broadcast_and_promote) {
  Tensor col = from_vector({1, 2}, {2, 1});
  Tensor row = from_vector({1, 2, 3}, {3}, kFloat64);
  Tensor lt_ = col < row;  // float32 [2,1] vs float64 [3] → [2,3], compared in float64
  BOOST_TEST(shape_str(lt_.shape()) == "[2, 3]");
  BOOST_TEST(values(lt_) == (std::vector<double>{0, 1, 1, 0, 0, 1}), boost::test_tools::per_element());
  // int64 against a float tensor and against scalars.
  Tensor idx = from_vector(std::vector<std::int64_t>{1, 2, 3}, {3});
  BOOST_TEST(values(idx == from_vector({1.0, 2.5, 3.0}, {3})) == (std::vector<double>{1, 0, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(values(idx > 1.5) == (std::vector<double>{0, 1, 1}), boost::test_tools::per_element());
  // A large int64 is compared exactly (float32, as PyTorch would use, cannot tell these apart).
  Tensor big = from_vector(std::vector<std::int64_t>{16777217, 16777216}, {2});
  BOOST_TEST(values(big == 16777217.0) == (std::vector<double>{1, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(comparisons_rejects_incompatible_shapes) {
  check_throws([] { (void)(zeros({2, 3}) < zeros({4})); }, {"lt", "[2, 3]", "[4]"});
  check_throws([] { (void)eq(Tensor(), zeros({1})); }, {"eq", "undefined"});
}

BOOST_AUTO_TEST_CASE(logical_ops_value) {
  Tensor a = from_vector({0, 1, 2, 0}, {4});
  Tensor b = from_vector({0, 0, 1, 1}, {4}).to(kBool);
  BOOST_TEST(values(logical_and(a, b)) == (std::vector<double>{0, 0, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(logical_or(a, b)) == (std::vector<double>{0, 1, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(logical_xor(a, b)) == (std::vector<double>{0, 1, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(logical_not(a)) == (std::vector<double>{1, 0, 0, 1}), boost::test_tools::per_element());
  Tensor ab = a.to(kBool);
  BOOST_TEST(values(ab & b) == values(logical_and(a, b)), boost::test_tools::per_element());
  BOOST_TEST(values(ab | b) == values(logical_or(a, b)), boost::test_tools::per_element());
  BOOST_TEST(values(ab ^ b) == values(logical_xor(a, b)), boost::test_tools::per_element());
  BOOST_TEST(values(~b) == (std::vector<double>{1, 1, 0, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bitwise_operators_rejects_non_bool) {
  check_throws([] { (void)(zeros({2}) & zeros({2}, kBool)); }, {"operator&", "bool tensors only", "float32"});
  check_throws([] { (void)~zeros({2}, kInt64); }, {"operator~", "int64"});
}

BOOST_AUTO_TEST_CASE(isnan_isinf_isfinite_value) {
  Tensor x = from_vector({1, kNaN, kInf, -kInf}, {4}, kFloat64);
  BOOST_TEST(values(isnan(x)) == (std::vector<double>{0, 1, 0, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(isinf(x)) == (std::vector<double>{0, 0, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(isfinite(x)) == (std::vector<double>{1, 0, 0, 0}), boost::test_tools::per_element());
  Tensor i = zeros({2}, kInt64);
  BOOST_TEST(values(isfinite(i)) == (std::vector<double>{1, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(isnan(i)) == (std::vector<double>{0, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(any_all_value) {
  Tensor x = from_vector({0, 1, 0, 0, 2, 3}, {2, 3});
  BOOST_TEST(any(x).item<bool>());
  BOOST_TEST(!all(x).item<bool>());
  BOOST_TEST(any(x).dim() == 0);
  BOOST_TEST(values(any(x, 0)) == (std::vector<double>{0, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(all(x, 0)) == (std::vector<double>{0, 1, 0}), boost::test_tools::per_element());
  BOOST_TEST(values(all(x, -1)) == (std::vector<double>{0, 0}), boost::test_tools::per_element());
  BOOST_TEST(shape_str(any(x, 1, true).shape()) == "[2, 1]");
  BOOST_TEST(values(any(x, std::vector<std::int64_t>{0, 1})) == (std::vector<double>{1}), boost::test_tools::per_element());
  BOOST_TEST(values(x.all(1)) == (std::vector<double>{0, 0}), boost::test_tools::per_element());
  Tensor empty_ = zeros({0, 3});
  BOOST_TEST(!any(empty_).item<bool>());
  BOOST_TEST(all(empty_).item<bool>());
  BOOST_TEST(values(all(empty_, 0)) == (std::vector<double>{1, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(any(from_vector({kNaN}, {1})).item<bool>());
}

BOOST_AUTO_TEST_CASE(any_rejects_bad_dims) {
  check_throws([] { (void)any(zeros({2, 3}), 2); }, {"any", "2"});
  check_throws([] { (void)all(zeros({2, 3}), std::vector<std::int64_t>{1, -1}); }, {"all", "more than once"});
}

BOOST_AUTO_TEST_CASE(isclose_allclose_equal_value) {
  Tensor a = from_vector({1.0, 2.0, kInf, kNaN, 0.0}, {5}, kFloat64);
  Tensor b = from_vector({1.0 + 1e-9, 2.1, kInf, kNaN, 1e-9}, {5}, kFloat64);
  BOOST_TEST(values(isclose(a, b)) == (std::vector<double>{1, 0, 1, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(isclose(a, b, 1e-5, 1e-8, true)) == (std::vector<double>{1, 0, 1, 1, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(!allclose(a, b));
  BOOST_TEST(allclose(a, a.clone(), 1e-5, 1e-8, true));
  BOOST_TEST(allclose(from_vector({1.0}, {1}), from_vector({1.05}, {1}), 0.1));
  BOOST_TEST(!equal(a, a));  // NaN is never equal
  BOOST_TEST(equal(from_vector({1, 2}, {2}), from_vector({1, 2}, {2})));
  BOOST_TEST(!equal(from_vector({1, 2}, {2}), from_vector({1, 2}, {2, 1})));
  BOOST_TEST(equal(from_vector({1, 2}, {2}), from_vector(std::vector<std::int64_t>{1, 2}, {2})));
}

BOOST_AUTO_TEST_CASE(isclose_rejects_mixed_dtypes_and_negative_tolerances) {
  check_throws([] { (void)isclose(zeros({2}), zeros({2}, kFloat64)); }, {"isclose", "dtypes differ"});
  check_throws([] { (void)allclose(zeros({2}), zeros({2}), -1.0); }, {"isclose", "non-negative"});
}

// ---- where / masked_fill / masked_select ----------------------------------------------------

BOOST_AUTO_TEST_CASE(where_value) {
  Tensor c = from_vector({1, 0, 1}, {3}).to(kBool);
  Tensor a = from_vector({1, 2, 3}, {3});
  Tensor b = from_vector({10, 20}, {2, 1});
  Tensor w = where(c, a, b);
  BOOST_TEST(shape_str(w.shape()) == "[2, 3]");
  BOOST_TEST(values(w) == (std::vector<double>{1, 10, 3, 1, 20, 3}), boost::test_tools::per_element());
  BOOST_TEST(values(where(c, a, -1.0)) == (std::vector<double>{1, -1, 3}), boost::test_tools::per_element());
  BOOST_TEST(values(where(c, 7.0, a)) == (std::vector<double>{7, 2, 7}), boost::test_tools::per_element());
  BOOST_TEST(values(a.where(c, zeros({1}))) == (std::vector<double>{1, 0, 3}), boost::test_tools::per_element());
  // Promotion: int64 and float32 give float32; int64 and a fractional scalar give float32.
  Tensor i = from_vector(std::vector<std::int64_t>{4, 5, 6}, {3});
  BOOST_TEST(where(c, i, a).dtype() == kFloat32);
  BOOST_TEST(where(c, i, 2.5).dtype() == kFloat32);
  BOOST_TEST(where(c, i, i).dtype() == kInt64);
}

BOOST_AUTO_TEST_CASE(where_gradient) {
  Tensor c = from_vector({1, 0, 1, 1, 0, 0}, {2, 3}).to(kBool);
  Tensor a = leaf({2, 3}, 1), b = leaf({3}, 2), b_col = leaf({2, 1}, 3);
  check_gradient([&](const std::vector<Tensor>& in) { return where(c, in[0], in[1]); }, {a, b});
  check_gradient([&](const std::vector<Tensor>& in) { return where(c, in[0], in[1]); }, {b_col, b});
  // The gradient is exactly the mask: g to a where c, to b elsewhere.
  Tensor a2 = leaf({2, 3}, 4), b2 = leaf({2, 3}, 5);
  where(c, a2, b2).sum().backward();
  BOOST_TEST(values(a2.grad()) == values(c.to(kFloat64)), boost::test_tools::per_element());
  BOOST_TEST(values(b2.grad()) == values(logical_not(c).to(kFloat64)), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(where_rejects_non_bool_condition_and_bad_shapes) {
  check_throws([] { (void)where(ones({3}), ones({3}), ones({3})); }, {"where", "condition", "bool", "float32"});
  check_throws([] { (void)where(ones({3}, kBool), ones({2}), ones({3})); }, {"where", "[3]", "[2]"});
}

BOOST_AUTO_TEST_CASE(masked_fill_value) {
  Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor m = from_vector({1, 0, 1}, {3}).to(kBool);
  Tensor y = masked_fill(x, m, -1.0);
  BOOST_TEST(values(y) == (std::vector<double>{-1, 2, -1, -1, 5, -1}), boost::test_tools::per_element());
  BOOST_TEST(values(x) == (std::vector<double>{1, 2, 3, 4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(values(x.masked_fill(x > 4.5, 0.0)) == (std::vector<double>{1, 2, 3, 4, 0, 0}),
             boost::test_tools::per_element());
  Tensor i = from_vector(std::vector<std::int64_t>{1, 2, 3}, {3});
  Tensor yi = masked_fill(i, m, 2.7);  // keeps int64, the value is truncated as in PyTorch
  BOOST_TEST(yi.dtype() == kInt64);
  BOOST_TEST(values(yi) == (std::vector<double>{2, 2, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(masked_fill_gradient) {
  Tensor m = from_vector({1, 0, 1, 0, 0, 1}, {2, 3}).to(kBool);
  Tensor x = leaf({2, 3}, 7);
  Tensor v = leaf({}, 8);
  check_gradient([&](const std::vector<Tensor>& in) { return masked_fill(in[0], m, in[1]); }, {x, v});
  check_gradient([&](const std::vector<Tensor>& in) { return masked_fill(in[0], m, 0.5); }, {x});
}

BOOST_AUTO_TEST_CASE(masked_fill_rejects_bad_mask_and_value) {
  check_throws([] { (void)masked_fill(ones({3}), ones({3}), 1.0); }, {"masked_fill", "mask", "bool"});
  check_throws([] { (void)masked_fill(ones({3}), ones({2, 3}, kBool), 1.0); },
               {"masked_fill", "[2, 3]", "cannot be broadcast", "[3]"});
  check_throws([] { (void)masked_fill(ones({3}), ones({3}, kBool), ones({1})); }, {"masked_fill", "0-dimensional"});
}

BOOST_AUTO_TEST_CASE(masked_select_value) {
  Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor m = from_vector({0, 1, 1}, {3}).to(kBool);
  BOOST_TEST(values(masked_select(x, m)) == (std::vector<double>{2, 3, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(values(x.masked_select(x > 3.5)) == (std::vector<double>{4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(masked_select(x, zeros({2, 3}, kBool)).numel() == 0);
}

BOOST_AUTO_TEST_CASE(masked_select_gradient) {
  Tensor m = from_vector({0, 1, 1, 1, 0, 1}, {2, 3}).to(kBool);
  Tensor x = leaf({2, 3}, 9), row = leaf({3}, 10);
  check_gradient([&](const std::vector<Tensor>& in) { return masked_select(in[0], m); }, {x});
  check_gradient([&](const std::vector<Tensor>& in) { return masked_select(in[0], m); }, {row});  // broadcast
}

BOOST_AUTO_TEST_CASE(masked_select_rejects_bad_mask) {
  check_throws([] { (void)masked_select(ones({3}), ones({3}, kInt64)); }, {"masked_select", "bool", "int64"});
  check_throws([] { (void)masked_select(ones({3}), ones({2}, kBool)); }, {"masked_select", "[3]", "[2]"});
}
