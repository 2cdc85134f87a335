// Reductions and scans (autograd/ops_statistics.hpp) and sorting (autograd/ops_sort.hpp): values
// and gradients against PyTorch 1.13 (tools/make_tensor_math_fixtures.py), float64 gradchecks,
// errors.
#define BOOST_TEST_MODULE test_ops_statistics
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tensor_math_harness.hpp"

using namespace xg;
using xg::testing::check_close_special;
using xg::testing::check_gradgrad;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using xg::testing::leaf_away_from_zero;
using Inputs = std::vector<Tensor>;

namespace {
const char* kFile = "statistics_float64.safetensors";
void parity(const std::string& name, const std::function<Tensor(const Tensor&)>& fn, double rtol = 1e-12) {
  xg::testing::check_parity(kFile, name, [fn](const Inputs& in) { return fn(in[0]); }, {"x"}, false, rtol, 1e-14);
}
Tensor fx(const std::string& name) { return xg::testing::tensor_math_fixture(kFile).tensors.at(name); }
}  // namespace

BOOST_AUTO_TEST_CASE(prod_value) {
  parity("prod_all", [](const Tensor& x) { return prod(x); });
  parity("prod_dim1", [](const Tensor& x) { return prod(x, 1); });
  parity("prod_dim0_keepdim", [](const Tensor& x) { return prod(x, 0, true); });
  // zeros: one zero in a row gives that element the product of the others, two give zeros
  parity("prod_zeros_dim1", [](const Tensor& x) { return prod(x, 1); });
  parity("prod_zeros_all", [](const Tensor& x) { return prod(x); });
}

BOOST_AUTO_TEST_CASE(prod_gradient) {
  check_gradient([](const Inputs& in) { return prod(in[0], -1); }, {leaf_away_from_zero({3, 4}, 1)});
  check_gradient([](const Inputs& in) { return prod(in[0]); }, {leaf_away_from_zero({2, 3}, 2)});
  Tensor with_zero = from_vector({0.0, 1.5, -2.0, 0.7, 0.0, 0.0}, {2, 3}, kFloat64).requires_grad_();
  check_gradient([](const Inputs& in) { return prod(in[0], 1); }, {with_zero});
}

BOOST_AUTO_TEST_CASE(var_std_value) {
  parity("var_all", [](const Tensor& x) { return var(x); });
  parity("var_dim0_correction0_keepdim", [](const Tensor& x) { return var(x, {0}, false, true); });
  parity("var_dims12_correction2", [](const Tensor& x) { return var(x, {1, 2}, 2); });
  parity("std_all", [](const Tensor& x) { return xg::std(x); });
  parity("std_dim2", [](const Tensor& x) { return xg::std(x, {2}); });
  parity("std_dims01_biased_keepdim", [](const Tensor& x) { return xg::std(x, {0, 1}, false, true); });
  // the overloads: var(x, true) / var(x, false) over everything; an int is a correction
  Tensor x = fx("var_all.x");
  BOOST_TEST(var(x, false).item() == var(x, {}, 0).item());
  BOOST_TEST(var(x, true).item() == var(x).item());
  BOOST_TEST(var(x, {0, 1, 2}, 3).item() != var(x, {0, 1, 2}, true).item());
}

BOOST_AUTO_TEST_CASE(var_std_gradient) {
  Tensor x = leaf({3, 4}, 3);
  check_gradient([](const Inputs& in) { return var(in[0], {1}); }, {x});
  check_gradient([](const Inputs& in) { return var(in[0], {0}, 0, true); }, {x});
  check_gradient([](const Inputs& in) { return xg::std(in[0]); }, {x});
  check_gradient([](const Inputs& in) { return xg::std(in[0], {0}, false); }, {x});
}

BOOST_AUTO_TEST_CASE(var_rejects_negative_correction) {
  check_throws([] { var(ones({3}), {0}, -1); }, {"var", "correction", "-1"});
  check_throws([] { var(ones({3}), {2}); }, {"var", "dim"});
  check_throws([] { xg::std(arange(3.0, kInt64)); }, {"std", "int64"});
}

BOOST_AUTO_TEST_CASE(norm_value) {
  parity("norm_2_all", [](const Tensor& x) { return norm(x); });
  parity("norm_1_dim1", [](const Tensor& x) { return norm(x, 1, {1}); });
  parity("norm_inf_dim0_keepdim", [](const Tensor& x) { return norm(x, INFINITY, {0}, true); });
  parity("norm_3_dims01", [](const Tensor& x) { return norm(x, 3, {0, 1}); });
  parity("norm_fro_dims12", [](const Tensor& x) { return norm(x, "fro", {1, 2}); });
  parity("norm_2_zero_row", [](const Tensor& x) { return norm(x, 2, {1}); });  // gradient 0, not NaN
  parity("norm_inf_ties", [](const Tensor& x) { return norm(x, INFINITY, {1}); });
  BOOST_TEST(std::isnan(norm(from_vector({1.0, NAN, 3.0}, {3}), INFINITY).item()));
}

BOOST_AUTO_TEST_CASE(norm_gradient) {
  Tensor x = leaf_away_from_zero({3, 4}, 4);
  for (double p : {1.0, 2.0, 3.0, 1.5, double(INFINITY)})
    BOOST_TEST_CONTEXT("p = " << p) {
      check_gradient([p](const Inputs& in) { return norm(in[0], p, {1}); }, {x});
      check_gradient([p](const Inputs& in) { return norm(in[0], p); }, {x});
    }
}

BOOST_AUTO_TEST_CASE(norm_rejects_unsupported_p) {
  check_throws([] { norm(ones({3}), 0.0); }, {"norm", "p must be positive", "0"});
  check_throws([] { norm(ones({3}), -2.0); }, {"norm", "-2"});
  check_throws([] { norm(ones({3}), "nuc"); }, {"norm", "nuc"});
}

BOOST_AUTO_TEST_CASE(cumsum_cumprod_value) {
  parity("cumsum_dim1", [](const Tensor& x) { return cumsum(x, 1); });
  parity("cumsum_dim0", [](const Tensor& x) { return cumsum(x, 0); });
  parity("cumprod_dim2", [](const Tensor& x) { return cumprod(x, 2); });
  parity("cumprod_zeros_dim1", [](const Tensor& x) { return cumprod(x, -1); });
}

BOOST_AUTO_TEST_CASE(cumsum_cumprod_gradient) {
  Tensor x = leaf_away_from_zero({2, 3, 4}, 5);
  check_gradient([](const Inputs& in) { return cumsum(in[0], 1); }, {x});
  check_gradient([](const Inputs& in) { return cumprod(in[0], 2); }, {x});
  Tensor with_zero = from_vector({0.5, 0.0, 2.0, -1.5, 0.0, 0.0, 1.2, 0.3}, {2, 4}, kFloat64).requires_grad_();
  check_gradient([](const Inputs& in) { return cumprod(in[0], 1); }, {with_zero});
}

BOOST_AUTO_TEST_CASE(cumsum_rejects_bad_dim) {
  check_throws([] { cumsum(ones({2, 3}), 2); }, {"cumsum", "2"});
  check_throws([] { cumprod(arange(3.0, kInt64), 0); }, {"cumprod", "int64"});
  check_throws([] { prod(ones({2, 3}), -3); }, {"prod", "-3"});
}

BOOST_AUTO_TEST_CASE(prod_rejects_double_backward_through_zeros) {
  Tensor x = from_vector({0.0, 2.0}, {2}, kFloat64).requires_grad_();
  Tensor y = prod(x);
  check_throws<std::runtime_error>([&] { autograd::grad({y}, {x}, {}, std::nullopt, true); }, {"prod"});
}

namespace {
void sort_parity(const std::string& name, const std::function<std::tuple<Tensor, Tensor>(const Tensor&)>& fn) {
  xg::testing::check_parity(kFile, name, [fn](const Inputs& in) { return std::get<0>(fn(in[0])); }, {"x"}, false);
  const Tensor indices = std::get<1>(fn(fx(name + ".x")));
  BOOST_TEST((indices.dtype() == kInt64));
  BOOST_TEST(indices.to_vector() == fx(name + ".indices").to_vector(), boost::test_tools::per_element());
}
}  // namespace

BOOST_AUTO_TEST_CASE(max_min_dim_value) {
  // values, gradient and indices against PyTorch 1.13, NaN and ±inf included
  sort_parity("max_dim1", [](const Tensor& x) { return max(x, 1); });
  sort_parity("min_dim0_keepdim", [](const Tensor& x) { return min(x, 0, true); });
  sort_parity("max_nan_dim1", [](const Tensor& x) { return max(x, 1); });
  sort_parity("min_nan_dim1", [](const Tensor& x) { return min(x, 1); });
}

BOOST_AUTO_TEST_CASE(sort_value) {
  sort_parity("sort_dim1", [](const Tensor& x) { return sort(x, 1); });
  sort_parity("sort_dim0_descending", [](const Tensor& x) { return sort(x, 0, true); });
  // ties keep input order, NaN sorts above +inf (last ascending, first descending)
  sort_parity("sort_ties_stable", [](const Tensor& x) { return sort(x, true, 1); });
  sort_parity("sort_ties_stable_descending", [](const Tensor& x) { return sort(x, true, 1, true); });
  BOOST_TEST(argsort(fx("sort_dim1.x"), 1).to_vector() == fx("sort_dim1.indices").to_vector(),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(topk_value) {
  sort_parity("topk_2_dim1", [](const Tensor& x) { return topk(x, 2, 1); });
  sort_parity("topk_3_dim0_smallest", [](const Tensor& x) { return topk(x, 2, 0, false); });
  sort_parity("topk_nan", [](const Tensor& x) { return topk(x, 3, 1); });  // NaN counts as largest
  // ties: the lower index first (PyTorch leaves their order unspecified)
  const auto [v, i] = topk(from_vector({1.0, 3.0, 2.0, 3.0}, {4}), 2);
  BOOST_TEST(i.to_vector() == std::vector<double>({1, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sort_topk_gradient) {
  Tensor x = leaf({3, 5}, 6);
  check_gradient([](const Inputs& in) { return std::get<0>(sort(in[0], 1)); }, {x});
  check_gradient([](const Inputs& in) { return std::get<0>(sort(in[0], 0, true)); }, {x});
  check_gradient([](const Inputs& in) { return std::get<0>(topk(in[0], 2, 1)); }, {x});
  check_gradient([](const Inputs& in) { return std::get<0>(topk(in[0], 1, 0, false)); }, {x});
}

BOOST_AUTO_TEST_CASE(topk_rejects_k_out_of_range) {
  check_throws([] { topk(ones({2, 3}), 4, 1); }, {"topk", "k = 4", "size 3"});
  check_throws([] { topk(ones({2, 3}), -1); }, {"topk", "k = -1"});
  check_throws([] { sort(ones({2, 3}), 2); }, {"sort", "2"});
  check_throws([] { sort(arange(3.0, kInt64)); }, {"sort", "int64"});
}

BOOST_AUTO_TEST_CASE(statistics_gradgradcheck) {
  Tensor x = leaf_away_from_zero({3, 4}, 21);
  const std::vector<std::pair<std::string, std::function<Tensor(const Inputs&)>>> fns = {
      {"prod", [](const Inputs& in) { return prod(in[0], 1); }},
      {"var", [](const Inputs& in) { return var(in[0], {0}); }},
      {"std", [](const Inputs& in) { return xg::std(in[0], {1}); }},
      {"norm2", [](const Inputs& in) { return norm(in[0], 2, {1}); }},
      {"norm3", [](const Inputs& in) { return norm(in[0], 3, {0}); }},
      {"cumsum", [](const Inputs& in) { return cumsum(in[0], 1); }},
      {"cumprod", [](const Inputs& in) { return cumprod(in[0], 1); }},
      {"sort", [](const Inputs& in) { return std::get<0>(sort(in[0], 1)); }},
  };
  for (const auto& [name, fn] : fns)
    BOOST_TEST_CONTEXT(name) {
      check_gradgrad(fn, {x});
    }
}
