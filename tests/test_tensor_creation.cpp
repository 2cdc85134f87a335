#define BOOST_TEST_MODULE tensor_creation
// Factories (xg::tensor from nested lists, arange, linspace, eye, full, *_like, randint,
// multinomial, from_vector of any arithmetic type) and item<T>, with their errors.
#include "test_helpers.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

using namespace xg;
using xg::testing::check_throws;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector(); }
}  // namespace

BOOST_AUTO_TEST_CASE(tensor_value) {
  Tensor a = tensor({{0, 0}, {0, 1}, {1, 0}});
  BOOST_TEST(a.dtype() == kInt64);
  BOOST_TEST(shape_str(a.shape()) == "[3, 2]");
  BOOST_TEST(values(a) == (std::vector<double>{0, 0, 0, 1, 1, 0}), boost::test_tools::per_element());
  Tensor f = tensor({{0.5, 1}, {2, 3}});  // one floating number makes it float32
  BOOST_TEST(f.dtype() == kFloat32);
  BOOST_TEST(tensor({true, false}).dtype() == kBool);
  BOOST_TEST(tensor(2.5).dim() == 0);
  BOOST_TEST(tensor(2.5).item<double>() == 2.5);
  BOOST_TEST(tensor({1, 2}, kFloat64).dtype() == kFloat64);
  Tensor four = tensor({{{{1, 2}}, {{3, 4}}}});
  BOOST_TEST(shape_str(four.shape()) == "[1, 2, 1, 2]");
  BOOST_TEST(values(four) == (std::vector<double>{1, 2, 3, 4}), boost::test_tools::per_element());
  const std::int64_t big = 9007199254740993;  // 2^53 + 1: kept exactly in int64
  BOOST_TEST(tensor({big}).item<std::int64_t>() == big);
  BOOST_TEST(tensor({}).numel() == 0);
}

BOOST_AUTO_TEST_CASE(tensor_rejects_ragged_lists) {
  check_throws([] { (void)tensor({{1, 2}, {3}}); }, {"tensor", "ragged", "[1] has 1 elements, expected 2"});
  check_throws([] { (void)tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7}}}); }, {"tensor", "[1][1] has 1 elements, expected 2"});
  check_throws([] { (void)tensor({{1, 2}, 3}); }, {"tensor", "[1] is a number"});
  check_throws([] { (void)tensor({1, {2, 3}}); }, {"tensor", "[1] is a list"});
  check_throws([] { (void)tensor({1e300}, kFloat32); }, {"tensor", "cannot be converted to float32"});
}

BOOST_AUTO_TEST_CASE(factories_value) {
  BOOST_TEST(values(arange(4)) == (std::vector<double>{0, 1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(values(arange(1, 2, 0.25)) == (std::vector<double>{1, 1.25, 1.5, 1.75}), boost::test_tools::per_element());
  BOOST_TEST(values(linspace(0, 1, 5, kFloat64)) == (std::vector<double>{0, 0.25, 0.5, 0.75, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(values(linspace(-1, 1, 1)) == (std::vector<double>{-1}), boost::test_tools::per_element());
  BOOST_TEST(linspace(0, 1, 0).numel() == 0);
  BOOST_TEST(values(eye(2)) == (std::vector<double>{1, 0, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(values(eye(2, 3, kInt64)) == (std::vector<double>{1, 0, 0, 0, 1, 0}), boost::test_tools::per_element());
  Tensor t = zeros({2, 2}, kFloat64);
  BOOST_TEST(full_like(t, 3.0).dtype() == kFloat64);
  BOOST_TEST(values(full_like(t, 3.0)) == (std::vector<double>(4, 3.0)), boost::test_tools::per_element());
  BOOST_TEST(shape_str(empty_like(t).shape()) == "[2, 2]");
  BOOST_TEST(values(ones_like(t)) == (std::vector<double>(4, 1.0)), boost::test_tools::per_element());
  Generator g(1), h(1);
  BOOST_TEST(values(rand_like(t, g)) == values(rand({2, 2}, h, kFloat64)), boost::test_tools::per_element());
  BOOST_TEST(values(randn_like(t, g)) == values(randn({2, 2}, h, kFloat64)), boost::test_tools::per_element());
  Tensor r = randint(3, {1000}, g);
  BOOST_TEST(r.dtype() == kInt64);
  BOOST_TEST(all(ge(r, 0.0) & lt(r, 3.0)).item<bool>());
  BOOST_TEST(any(eq(r, 2.0)).item<bool>());
  BOOST_TEST(values(from_vector(std::vector<int>{1, 2}, {2})) == (std::vector<double>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(from_vector(std::vector<int>{1, 2}, {2}).dtype() == kInt64);
  BOOST_TEST(from_vector(std::vector<bool>{true, false}, {2}).dtype() == kBool);
  BOOST_TEST(from_vector(std::vector<std::uint8_t>{255}, {1}).item<int>() == 255);
}

BOOST_AUTO_TEST_CASE(factories_rejects_bad_arguments) {
  check_throws([] { (void)linspace(0, 1, -1); }, {"linspace", "non-negative", "-1"});
  check_throws([] { (void)eye(-2); }, {"eye", "n = -2"});
  check_throws([] { (void)rand_like(zeros({2}, kInt64)); }, {"rand_like", "int64"});
  check_throws([] { (void)randint(0, {2}); }, {"randint", "low < high"});
}

BOOST_AUTO_TEST_CASE(multinomial_value) {
  Generator g(7);
  Tensor p = from_vector({0.1, 0.0, 0.6, 0.3}, {4});
  Tensor s = multinomial(p, 4000, true, g);
  BOOST_TEST(s.dtype() == kInt64);
  BOOST_TEST(!any(eq(s, 1.0)).item<bool>());  // a zero weight is never drawn
  // Frequencies within 4 standard deviations of the probabilities (n = 4000).
  for (int c : {0, 2, 3}) {
    const double freq = sum(eq(s, c).to(kFloat64)).item() / 4000.0;
    const double pc = p.at({c});
    BOOST_TEST(std::abs(freq - pc) < 4 * std::sqrt(pc * (1 - pc) / 4000.0), "category " << c << ": " << freq);
  }
  // Without replacement every category appears once per row.
  Tensor rows = multinomial(from_vector({1, 2, 3, 1, 1, 1}, {2, 3}), 3, false, g);
  BOOST_TEST(shape_str(rows.shape()) == "[2, 3]");
  for (std::int64_t r = 0; r < 2; ++r) BOOST_TEST(sum(rows[r].to(kFloat64)).item<std::int64_t>() == 3);  // 0 + 1 + 2
}

BOOST_AUTO_TEST_CASE(multinomial_rejects_bad_probs) {
  check_throws([] { (void)multinomial(from_vector({0.5, -0.1}, {2}), 1); }, {"multinomial", "element < 0"});
  check_throws([] { (void)multinomial(from_vector({0.0, 0.0}, {2}), 1); }, {"multinomial", "sums to zero"});
  check_throws([] { (void)multinomial(from_vector({1.0, 0.0}, {2}), 2, false); }, {"multinomial", "only 1 non-zero"});
  check_throws([] { (void)multinomial(from_vector({1.0, 1.0}, {2}), 3, false); }, {"multinomial", "without replacement"});
  check_throws([] { (void)multinomial(zeros({2, 2, 2}), 1); }, {"multinomial", "1-D or 2-D"});
  check_throws([] { (void)multinomial(from_vector({1.0}, {1}), 0); }, {"multinomial", "positive"});
}

BOOST_AUTO_TEST_CASE(item_value) {
  BOOST_TEST(tensor(2.75).item<float>() == 2.75f);
  BOOST_TEST(tensor(2.75).item<int>() == 2);  // truncation, as static_cast
  BOOST_TEST(tensor({7}).item<std::int64_t>() == 7);
  BOOST_TEST(tensor(true).item<bool>());
  BOOST_TEST(tensor(3.0).item() == 3.0);
}

BOOST_AUTO_TEST_CASE(item_rejects_out_of_range) {
  check_throws([] { (void)tensor(300).item<std::int8_t>(); }, {"item", "300"});
  check_throws([] { (void)tensor(std::nan("")).item<int>(); }, {"item", "nan"});
  check_throws([] { (void)tensor({1, 2}).item<int>(); }, {"item", "[2]"});
}
