#define BOOST_TEST_MODULE ops_reduce
#include "gradgrad_helpers.hpp"

#include <cmath>
#include <limits>

using namespace xg;
using xg::testing::check_close;
using xg::testing::check_gradgrad;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

// Gradient checks use PyTorch's gradcheck defaults: eps 1e-6, atol 1e-5, rtol 1e-3 (GradcheckOptions{}).

namespace {
// [[0, 1, 2], [3, 4, 5]]
Tensor x23(Dtype dtype = kFloat32) { return reshape(arange(6, dtype), {2, 3}); }
// x[i, j, k] = 12 i + 4 j + k
Tensor x234(Dtype dtype = kFloat32) { return reshape(arange(24, dtype), {2, 3, 4}); }
std::vector<double> v(const Tensor& t) { return t.to_vector(); }
const double kInf = std::numeric_limits<double>::infinity();
}  // namespace

// ---- sum --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sum_value) {
  Tensor x = x23();
  BOOST_TEST(sum(x).shape().empty());
  BOOST_TEST(sum(x).item() == 15.0);
  check_close(sum(x, {0}), from_vector({3, 5, 7}, {3}));
  check_close(sum(x, {1}), from_vector({3, 12}, {2}));
  check_close(sum(x, {-1}, true), from_vector({3, 12}, {2, 1}));
  check_close(sum(x, {0, 1}), scalar_tensor(15));
  check_close(sum(x, {}, true), from_vector({15}, {1, 1}));  // empty dims = all dims
  // Σ_{i,k} 12 i + 4 j + k = 48 + 32 j + 12
  check_close(sum(x234(), {0, 2}), from_vector({60, 92, 124}, {3}));
  check_close(sum(x234(), {-1, 0}, true), from_vector({60, 92, 124}, {1, 3, 1}));
  // Σ_j 12 i + 4 j + k = 36 i + 12 + 3 k
  check_close(sum(x234(kFloat64), {1}), from_vector({12, 15, 18, 21, 48, 51, 54, 57}, {2, 4}, kFloat64));
  // A scalar reduces over dim 0 / -1 to itself.
  check_close(sum(scalar_tensor(2.5), {0}), scalar_tensor(2.5));
  check_close(sum(scalar_tensor(2.5), {-1}, true), scalar_tensor(2.5));
  BOOST_TEST((sum(x).dtype() == kFloat32));
}

BOOST_AUTO_TEST_CASE(sum_of_empty_is_zero) {
  check_close(sum(zeros({0, 3}), {0}), zeros({3}));
  BOOST_TEST(sum(zeros({0})).item() == 0.0);
  BOOST_TEST((sum(zeros({2, 0}), {1}).shape() == Shape({2})));
}

BOOST_AUTO_TEST_CASE(sum_float32_accumulates_in_double) {
  // In float32, 1e8 + 1 == 1e8, so a float accumulator would return 0; double gives 1.
  Tensor x = from_vector({1e8, 1, -1e8}, {3});
  BOOST_TEST(sum(x).item() == 1.0);
  Tensor y = from_vector({1e8, 5, 1, 6, -1e8, 7}, {3, 2});
  check_close(sum(y, {0}), from_vector({1, 18}, {2}));
}

BOOST_AUTO_TEST_CASE(sum_gradient) {
  for (const Shape& shape : {Shape{3, 4}, Shape{2, 1, 3}, Shape{2, 3, 2}}) {
    check_gradient([](const std::vector<Tensor>& in) { return sum(in[0]); }, {leaf(shape, 1)});
    check_gradient([](const std::vector<Tensor>& in) { return sum(in[0], {0}); }, {leaf(shape, 2)});
    check_gradient([](const std::vector<Tensor>& in) { return sum(in[0], {-1}, true); }, {leaf(shape, 3)});
    check_gradient([](const std::vector<Tensor>& in) { return sum(in[0], {1}, false); }, {leaf(shape, 4)});
    check_gradient([](const std::vector<Tensor>& in) { return sum(in[0], {}, true); }, {leaf(shape, 5)});
  }
  check_gradient([](const std::vector<Tensor>& in) { return sum(in[0], {0, -1}); }, {leaf({2, 3, 2}, 6)});
  check_gradient([](const std::vector<Tensor>& in) { return sum(in[0], {2, 0}, true); }, {leaf({2, 3, 2}, 7)});
}

BOOST_AUTO_TEST_CASE(sum_gradient_value) {
  // d(Σ_j x_ij)/dx = the upstream gradient broadcast along j.
  Tensor x = zeros({2, 3}, kFloat64).requires_grad_();
  sum(x, {1}).backward(from_vector({2, -1}, {2}, kFloat64));
  BOOST_TEST(v(x.grad()) == std::vector<double>({2, 2, 2, -1, -1, -1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sum_rejects_duplicate_dims) {
  check_throws([] { sum(x23(), {0, 0}); }, {"sum", "dim 0", "multiple", "[0, 0]", "[2, 3]"});
  check_throws([] { sum(x23(), {1, -1}); }, {"sum", "dim 1", "[1, -1]"});
  check_throws([] { mean(x23(), {0, -2}); }, {"mean", "dim 0"});
}

BOOST_AUTO_TEST_CASE(sum_rejects_out_of_range_dim) {
  check_throws([] { sum(x23(), {2}); }, {"sum", "dim 2", "rank 2"});
  check_throws([] { sum(x23(), {-3}); }, {"sum", "dim -3"});
  check_throws([] { mean(x23(), {0, 5}); }, {"mean", "dim 5"});
  check_throws([] { sum(scalar_tensor(1), {1}); }, {"sum", "dim 1", "rank 0"});
}

BOOST_AUTO_TEST_CASE(sum_rejects_int64) {
  Tensor i = from_vector({1, 2}, {2}, kInt64);
  check_throws([&] { sum(i); }, {"sum", "int64"});
  check_throws([&] { sum(i, {0}); }, {"sum", "int64"});
  check_throws([&] { mean(i); }, {"mean", "int64"});
  check_throws([&] { sum(Tensor()); }, {"sum", "undefined"});
}

// ---- mean -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mean_value) {
  BOOST_TEST(mean(x23()).item() == 2.5);
  check_close(mean(x23(), {0}), from_vector({1.5, 2.5, 3.5}, {3}));
  check_close(mean(x23(), {-1}, true), from_vector({1, 4}, {2, 1}));
  check_close(mean(x234(kFloat64), {0, 2}), from_vector({7.5, 11.5, 15.5}, {3}, kFloat64));
  check_close(mean(x23(kFloat64), {}), scalar_tensor(2.5, kFloat64));
}

BOOST_AUTO_TEST_CASE(mean_of_empty_is_nan) {
  BOOST_TEST(std::isnan(mean(zeros({0})).item()));
  Tensor m = mean(zeros({0, 3}), {0});
  BOOST_TEST((m.shape() == Shape({3})));
  for (double e : v(m)) BOOST_TEST(std::isnan(e));
  // Reducing a non-empty dim of an empty tensor is just empty.
  BOOST_TEST((mean(zeros({0, 3}), {1}).shape() == Shape({0})));
}

BOOST_AUTO_TEST_CASE(mean_gradient) {
  for (const Shape& shape : {Shape{3, 4}, Shape{2, 1, 3}}) {
    check_gradient([](const std::vector<Tensor>& in) { return mean(in[0]); }, {leaf(shape, 11)});
    check_gradient([](const std::vector<Tensor>& in) { return mean(in[0], {0}, true); }, {leaf(shape, 12)});
    check_gradient([](const std::vector<Tensor>& in) { return mean(in[0], {-1}); }, {leaf(shape, 13)});
    check_gradient([](const std::vector<Tensor>& in) { return mean(in[0], {1, 0}); }, {leaf(shape, 14)});
  }
  Tensor x = zeros({2, 2}, kFloat64).requires_grad_();
  mean(x).backward();
  BOOST_TEST(v(x.grad()) == std::vector<double>({0.25, 0.25, 0.25, 0.25}), boost::test_tools::per_element());
}

// ---- max / argmax -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(max_value) {
  Tensor x = from_vector({1, 3, 3, 5, 2, 5}, {2, 3});
  auto [v1, i1] = max(x, 1);
  check_close(v1, from_vector({3, 5}, {2}));
  BOOST_TEST((i1.dtype() == kInt64));
  BOOST_TEST(v(i1) == std::vector<double>({1, 0}), boost::test_tools::per_element());  // first occurrence
  auto [v0, i0] = max(x, -2, true);
  BOOST_TEST((v0.shape() == Shape({1, 3})));
  BOOST_TEST(v(v0) == std::vector<double>({5, 3, 5}), boost::test_tools::per_element());
  BOOST_TEST(v(i0) == std::vector<double>({1, 0, 1}), boost::test_tools::per_element());
  // Middle dim of x[i, j, k] = 12 i + 4 j + k: max at j = 2.
  auto [vm, im] = max(x234(), 1);
  check_close(vm, from_vector({8, 9, 10, 11, 20, 21, 22, 23}, {2, 4}));
  for (double e : v(im)) BOOST_TEST(e == 2.0);
  auto [vs, is] = max(scalar_tensor(-4), 0);
  BOOST_TEST(vs.item() == -4.0);
  BOOST_TEST(is.item() == 0.0);
  // Non-empty reduced dim of an empty tensor: empty result.
  BOOST_TEST((max(zeros({0, 3}), 1).first.shape() == Shape({0})));
}

BOOST_AUTO_TEST_CASE(max_propagates_nan) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto [val, idx] = max(from_vector({1, nan, 2, nan}, {4}, kFloat64), 0);
  BOOST_TEST(std::isnan(val.item()));
  BOOST_TEST(idx.item() == 1.0);
  // Every reduction of the family, per lane: a lane with a NaN gives NaN, the others their extreme
  // (PyTorch 1.13: torch.amin(torch.tensor([[3., nan], [1., 2.]]), 1) is [nan, 1.]).
  const Tensor rows = from_vector({3, nan, 1, 2}, {2, 2}, kFloat64);
  for (const Tensor& r : {amax(rows, {1}), amin(rows, {1}), min(rows, 1).first}) {
    BOOST_TEST(std::isnan(r.at({0})));
    BOOST_TEST(!std::isnan(r.at({1})));
  }
  BOOST_TEST(amin(rows, {1}).at({1}) == 1.0);
  BOOST_TEST(min(rows, 1).second.at({0}) == 1.0);
  BOOST_TEST(std::isnan(max(rows).item()));
  BOOST_TEST(std::isnan(min(rows).item()));
}

BOOST_AUTO_TEST_CASE(max_gradient_goes_to_first_max) {
  Tensor x = from_vector({7, 1, 7, 2, 9, 9}, {2, 3}, kFloat64).requires_grad_();
  max(x, 1).first.backward(from_vector({10, 20}, {2}, kFloat64));
  BOOST_TEST(v(x.grad()) == std::vector<double>({10, 0, 0, 0, 20, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(max_gradient) {
  // Uniform samples are distinct, so the argmax is stable under the ±1e-6 perturbation.
  for (const Shape& shape : {Shape{3, 4}, Shape{2, 1, 3}}) {
    check_gradient([](const std::vector<Tensor>& in) { return max(in[0], 0).first; }, {leaf(shape, 21)});
    check_gradient([](const std::vector<Tensor>& in) { return max(in[0], -1, true).first; }, {leaf(shape, 22)});
    check_gradient([](const std::vector<Tensor>& in) { return max(in[0], 1).first; }, {leaf(shape, 23)});
    check_gradient([](const std::vector<Tensor>& in) { return min(in[0], 1, true).first; }, {leaf(shape, 24)});
  }
}

BOOST_AUTO_TEST_CASE(argmax_value) {
  Tensor x = from_vector({1, 3, 3, 5, 2, 5}, {2, 3});
  Tensor a = argmax(x, 1);
  BOOST_TEST((a.dtype() == kInt64));
  BOOST_TEST(v(a) == std::vector<double>({1, 0}), boost::test_tools::per_element());
  Tensor b = argmax(x, 0, true);
  BOOST_TEST((b.shape() == Shape({1, 3})));
  BOOST_TEST(v(b) == std::vector<double>({1, 0, 1}), boost::test_tools::per_element());
  BOOST_TEST(!argmax(from_vector({1, 2}, {2}).requires_grad_(), 0).requires_grad());
}

BOOST_AUTO_TEST_CASE(max_rejects_empty_dim) {
  check_throws([] { max(zeros({0, 3}), 0); }, {"max", "dim 0", "size 0", "[0, 3]"});
  check_throws([] { argmax(zeros({2, 0}), -1); }, {"argmax", "dim -1", "size 0", "[2, 0]"});
}

BOOST_AUTO_TEST_CASE(max_rejects_bad_dim_and_int64) {
  check_throws([] { max(x23(), 2); }, {"max", "dim 2"});
  check_throws([] { min(x23(), 2, true); }, {"min", "dim 2"});
  check_throws([] { argmax(x23(), -3); }, {"argmax", "dim -3"});
  check_throws([] { max(from_vector({1, 2}, {2}, kInt64), 0); }, {"max", "int64"});
  check_throws([] { argmax(from_vector({1, 2}, {2}, kInt64), 0); }, {"argmax", "int64"});
}

// ---- argmin, argmax/argmin without dim, max()/min(), amax/amin --------------------------

BOOST_AUTO_TEST_CASE(argmin_value) {
  Tensor x = from_vector({1, 3, 3, 5, 2, 5}, {2, 3});
  BOOST_TEST(v(argmin(x, 1)) == std::vector<double>({0, 1}), boost::test_tools::per_element());
  Tensor b = argmin(x, 0, true);
  BOOST_TEST((b.shape() == Shape({1, 3})));
  BOOST_TEST(v(b) == std::vector<double>({0, 1, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(argmax_without_dim_value) {
  // torch.argmax(input): the index into the flattened tensor, first occurrence.
  Tensor x = from_vector({1, 3, 3, 5, 2, 5}, {2, 3});
  BOOST_TEST(argmax(x).shape().empty());
  BOOST_TEST(argmax(x).item() == 3.0);
  BOOST_TEST(argmin(x).item() == 0.0);
  BOOST_TEST(argmax(x234()).item() == 23.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(argmax(from_vector({1, nan, 7, nan}, {2, 2}, kFloat64)).item() == 1.0);
  BOOST_TEST(argmin(from_vector({1, 2, nan, -7}, {2, 2}, kFloat64)).item() == 2.0);
}

BOOST_AUTO_TEST_CASE(max_all_value) {
  Tensor x = from_vector({1, 3, 3, 5, 2, 5}, {2, 3});
  BOOST_TEST(max(x).shape().empty());
  BOOST_TEST(max(x).item() == 5.0);
  BOOST_TEST(min(x).item() == 1.0);
  BOOST_TEST(std::isnan(max(from_vector({1, std::nan(""), 2}, {3})).item()));
  BOOST_TEST(std::isnan(min(from_vector({1, std::nan(""), 2}, {3})).item()));
  BOOST_TEST(max(scalar_tensor(-2.5)).item() == -2.5);
}

BOOST_AUTO_TEST_CASE(max_all_gradient_shares_ties) {
  // PyTorch's max()/min() backward spreads the gradient evenly over the elements equal to the result.
  Tensor x = from_vector({1, 3, 3, 5, 2, 5}, {2, 3}, kFloat64).requires_grad_();
  max(x).backward();
  BOOST_TEST(v(x.grad()) == std::vector<double>({0, 0, 0, 0.5, 0, 0.5}), boost::test_tools::per_element());
  Tensor y = from_vector({4, 1, 3}, {3}, kFloat64).requires_grad_();
  mul(min(y), 3.0).backward();
  BOOST_TEST(v(y.grad()) == std::vector<double>({0, 3, 0}), boost::test_tools::per_element());
  check_gradient([](const std::vector<Tensor>& in) { return max(in[0]); }, {leaf({3, 4}, 41)});
  check_gradient([](const std::vector<Tensor>& in) { return min(in[0]); }, {leaf({2, 1, 3}, 42)});
}

BOOST_AUTO_TEST_CASE(amax_value) {
  // x[i, j, k] = 12 i + 4 j + k: over i and k the largest is 12 + 4 j + 3, the smallest 4 j.
  check_close(amax(x234(), {0, 2}), from_vector({15, 19, 23}, {3}));
  check_close(amin(x234(), {2, 0}, true), from_vector({0, 4, 8}, {1, 3, 1}));
  // Over the middle dim: 12 i + 8 + k.
  check_close(amax(x234(kFloat64), {1}), from_vector({8, 9, 10, 11, 20, 21, 22, 23}, {2, 4}, kFloat64));
  check_close(amax(x234(), {}), scalar_tensor(23));  // empty dims = all dims
  check_close(amin(x234(), {-1}), from_vector({0, 4, 8, 12, 16, 20}, {2, 3}));
}

BOOST_AUTO_TEST_CASE(amax_gradient) {
  for (const Shape& shape : {Shape{3, 4}, Shape{2, 3, 2}}) {
    check_gradient([](const std::vector<Tensor>& in) { return amax(in[0], {0}); }, {leaf(shape, 43)});
    check_gradient([](const std::vector<Tensor>& in) { return amin(in[0], {-1}, true); }, {leaf(shape, 44)});
  }
  check_gradient([](const std::vector<Tensor>& in) { return amax(in[0], {0, 2}, true); }, {leaf({2, 3, 2}, 45)});
  // Ties share: amax over dim 1 of [[2, 2, 1]] gives each 2 half.
  Tensor x = from_vector({2, 2, 1}, {1, 3}, kFloat64).requires_grad_();
  amax(x, {1}).backward(from_vector({4}, {1}, kFloat64));
  BOOST_TEST(v(x.grad()) == std::vector<double>({2, 2, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(amax_rejects_empty_and_bad_dims) {
  check_throws([] { amax(zeros({0, 3}), {0}); }, {"amax", "dim 0", "size 0", "[0, 3]"});
  check_throws([] { max(zeros({2, 0})); }, {"max", "size 0", "[2, 0]"});
  check_throws([] { argmax(zeros({0})); }, {"argmax", "size 0"});
  check_throws([] { amin(x23(), {1, -1}); }, {"amin", "dim 1", "multiple"});
  check_throws([] { amax(x23(), {2}); }, {"amax", "dim 2"});
  check_throws([] { argmin(from_vector({1, 2}, {2}, kInt64)); }, {"argmin", "int64"});
}

// ---- logsumexp --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(logsumexp_value) {
  Tensor x = x23(kFloat64);
  const double r0 = std::log(1 + std::exp(1.0) + std::exp(2.0));
  check_close(logsumexp(x, 1), from_vector({r0, r0 + 3}, {2}, kFloat64), 1e-12);
  const double c = std::log(1 + std::exp(3.0));
  check_close(logsumexp(x, 0, true), from_vector({c, 1 + c, 2 + c}, {1, 3}, kFloat64), 1e-12);
  // Stable: exp(1000) overflows, the shifted form does not.
  check_close(logsumexp(from_vector({1000, 1000}, {2}), 0), scalar_tensor(1000 + std::log(2.0)), 1e-6);
  check_close(logsumexp(from_vector({-1000, -1000}, {2}, kFloat64), 0), scalar_tensor(-1000 + std::log(2.0), kFloat64),
              1e-12);
}

BOOST_AUTO_TEST_CASE(logsumexp_infinities_and_empty) {
  BOOST_TEST(logsumexp(from_vector({-kInf, -kInf}, {2}), 0).item() == -kInf);
  BOOST_TEST(logsumexp(from_vector({1, kInf}, {2}), 0).item() == kInf);
  BOOST_TEST(logsumexp(from_vector({-kInf, 0}, {2}, kFloat64), 0).item() == 0.0);
  Tensor e = logsumexp(zeros({2, 0}), 1);  // log of an empty sum
  BOOST_TEST(v(e) == std::vector<double>({-kInf, -kInf}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(logsumexp_gradient) {
  for (const Shape& shape : {Shape{3, 4}, Shape{2, 1, 3}}) {
    check_gradient([](const std::vector<Tensor>& in) { return logsumexp(in[0], 0); }, {leaf(shape, 31, -3, 3)});
    check_gradient([](const std::vector<Tensor>& in) { return logsumexp(in[0], -1, true); }, {leaf(shape, 32, -3, 3)});
    check_gradient([](const std::vector<Tensor>& in) { return logsumexp(in[0], 1); }, {leaf(shape, 33, -3, 3)});
  }
  // The gradient is softmax: for equal entries, 1/n each.
  Tensor x = zeros({4}, kFloat64).requires_grad_();
  logsumexp(x, 0).backward();
  BOOST_TEST(v(x.grad()) == std::vector<double>({0.25, 0.25, 0.25, 0.25}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(logsumexp_dims_value) {
  // Over dims {0, 2} of x[i, j, k] = 12 i + 4 j + k, summed here term by term.
  Tensor x = x234(kFloat64);
  std::vector<double> expected;
  for (int j = 0; j < 3; ++j) {
    double acc = 0;
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k) acc += std::exp(12.0 * i + 4.0 * j + k - 23.0);
    expected.push_back(std::log(acc) + 23.0);
  }
  check_close(logsumexp(x, {0, 2}), from_vector(expected, {3}, kFloat64), 1e-12);
  check_close(logsumexp(x, {2, 0}, true), from_vector(expected, {1, 3, 1}, kFloat64), 1e-12);
  // One dim in a list is the single-dim form; an empty list is every dim.
  check_close(logsumexp(x, {1}), logsumexp(x, 1), 0);
  double all = 0;
  for (int e = 0; e < 24; ++e) all += std::exp(e - 23.0);
  BOOST_TEST(logsumexp(x, std::vector<std::int64_t>{}).item() == std::log(all) + 23.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(logsumexp_dims_gradient) {
  check_gradient([](const std::vector<Tensor>& in) { return logsumexp(in[0], {0, 2}); }, {leaf({2, 3, 2}, 34, -3, 3)});
  check_gradient([](const std::vector<Tensor>& in) { return logsumexp(in[0], {-1, 0}, true); }, {leaf({2, 3, 2}, 35, -3, 3)});
}

BOOST_AUTO_TEST_CASE(logsumexp_and_amax_double_gradient) {
  // Their backwards are recorded ops, so they differentiate again (create_graph).
  for (auto fn : {std::function<Tensor(const std::vector<Tensor>&)>(
                      [](const std::vector<Tensor>& in) { return logsumexp(in[0], {0, 2}); }),
                  std::function<Tensor(const std::vector<Tensor>&)>(
                      [](const std::vector<Tensor>& in) { return mul(amax(in[0], {1}), amax(in[0], {1})); })}) {
    check_gradgrad(fn, {leaf({2, 3, 2}, 36, -3, 3)});
  }
}

BOOST_AUTO_TEST_CASE(logsumexp_rejects_bad_input) {
  check_throws([] { logsumexp(x23(), 2); }, {"logsumexp", "dim 2"});
  check_throws([] { logsumexp(from_vector({1, 2}, {2}, kInt64), 0); }, {"logsumexp", "int64"});
  check_throws([] { logsumexp(x23(), {0, -2}); }, {"logsumexp", "dim 0", "multiple"});
}
