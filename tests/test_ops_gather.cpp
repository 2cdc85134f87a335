// gather / scatter / scatter_add / index_add / take_along_dim (autograd/ops_gather.hpp) and
// flip (autograd/ops_rearrange.hpp): values and gradients against PyTorch 1.13
// (tools/make_tensor_math_fixtures.py), float64 gradchecks, errors.
#define BOOST_TEST_MODULE test_ops_gather
#include <functional>
#include <string>
#include <vector>

#include "tensor_math_harness.hpp"

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using Inputs = std::vector<Tensor>;

namespace {
const char* kFile = "gather_float64.safetensors";
Tensor fx(const std::string& name) { return xg::testing::tensor_math_fixture(kFile).tensors.at(name); }
void parity(const std::string& name, const std::function<Tensor(const Inputs&, const Tensor& index)>& fn,
            const std::vector<std::string>& inputs) {
  const auto& all = xg::testing::tensor_math_fixture(kFile).tensors;
  const Tensor index = all.contains(name + ".index") ? all.at(name + ".index") : Tensor();
  xg::testing::check_parity(kFile, name, [fn, index](const Inputs& in) { return fn(in, index); }, inputs, false);
}
}  // namespace

BOOST_AUTO_TEST_CASE(gather_value) {
  parity("gather_dim1", [](const Inputs& in, const Tensor& i) { return gather(in[0], 1, i); }, {"x"});
  parity("gather_dim0", [](const Inputs& in, const Tensor& i) { return gather(in[0], 0, i); }, {"x"});
}

BOOST_AUTO_TEST_CASE(scatter_value) {
  parity("scatter_add_dim1", [](const Inputs& in, const Tensor& i) { return scatter_add(in[0], 1, i, in[1]); }, {"x", "y"});
  parity("scatter_dim1", [](const Inputs& in, const Tensor& i) { return scatter(in[0], 1, i, in[1]); }, {"x", "y"});
  parity("scatter_value", [](const Inputs& in, const Tensor& i) { return scatter(in[0], 1, i, 0.25); }, {"x"});
}

BOOST_AUTO_TEST_CASE(index_add_value) {
  parity("index_add_dim0", [](const Inputs& in, const Tensor& i) { return index_add(in[0], 0, i, in[1], 1.5); }, {"x", "y"});
  parity("index_add_dim1", [](const Inputs& in, const Tensor& i) { return index_add(in[0], 1, i, in[1]); }, {"x", "y"});
}

BOOST_AUTO_TEST_CASE(take_along_dim_value) {
  parity("take_along_dim1", [](const Inputs& in, const Tensor& i) { return take_along_dim(in[0], i, 1); }, {"x"});
  parity("take_along_dim0_broadcast", [](const Inputs& in, const Tensor& i) { return take_along_dim(in[0], i, 0); }, {"x"});
  parity("take_along_flat", [](const Inputs& in, const Tensor& i) { return take_along_dim(in[0], i); }, {"x"});
}

BOOST_AUTO_TEST_CASE(flip_value) {
  parity("flip_02", [](const Inputs& in, const Tensor&) { return flip(in[0], {0, -1}); }, {"x"});
  BOOST_TEST(flip(arange(4.0, kInt64), {0}).to_vector() == std::vector<double>({3, 2, 1, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gather_scatter_gradient) {
  const Tensor idx = fx("gather_dim1.index");
  Tensor x = leaf({3, 4}, 1), src = leaf({3, 3}, 2);
  check_gradient([idx](const Inputs& in) { return gather(in[0], 1, idx); }, {x});
  check_gradient([idx](const Inputs& in) { return scatter_add(in[0], 1, idx, in[1]); }, {x, src});
  const Tensor uniq = fx("scatter_dim1.index");
  check_gradient([uniq](const Inputs& in) { return scatter(in[0], 1, uniq, in[1]); }, {x, src});
  check_gradient([](const Inputs& in) { return index_add(in[0], 0, from_vector({2, 0, 2}, {3}, kInt64), in[1], 0.5); },
                 {x, leaf({3, 4}, 3)});
  check_gradient([](const Inputs& in) { return take_along_dim(in[0], from_vector({1, 0, 2, 2}, {1, 4}, kInt64), 0); }, {x});
  check_gradient([](const Inputs& in) { return flip(in[0], {1}); }, {x});
}

BOOST_AUTO_TEST_CASE(gather_rejects_out_of_range_index) {
  const Tensor x = ones({2, 3});
  check_throws([&] { gather(x, 1, from_vector({0, 3}, {1, 2}, kInt64)); }, {"gather", "index 3", "out of bounds", "size 3"});
  check_throws([&] { gather(x, 1, from_vector({-1}, {1, 1}, kInt64)); }, {"gather", "index -1"});
  check_throws([&] { gather(x, 1, from_vector({0, 1}, {2}, kInt64)); }, {"gather", "rank"});
  check_throws([&] { gather(x, 1, ones({2, 1})); }, {"gather", "int64"});
  check_throws([&] { gather(x, 0, from_vector({0, 0, 0, 0}, {1, 4}, kInt64)); }, {"gather", "larger than self"});
}

BOOST_AUTO_TEST_CASE(scatter_rejects_mismatched_src) {
  const Tensor idx = from_vector({0, 1}, {1, 2}, kInt64);
  check_throws([&] { scatter_add(ones({2, 3}), 1, idx, ones({1, 1})); }, {"scatter_add", "larger than src"});
  check_throws([&] { scatter(ones({2, 3}), 1, idx, ones({1, 2}, kFloat64)); }, {"scatter", "float64", "float32"});
  check_throws([&] { index_add(ones({2, 3}), 0, from_vector({0}, {1}, kInt64), ones({2, 3})); },
               {"index_add", "[2, 3]", "[1, 3]"});
  check_throws([&] { take_along_dim(ones({2, 3}), from_vector({0}, {1}, kInt64), 0); }, {"take_along_dim", "same number of dims"});
  check_throws([&] { flip(ones({2, 3}), {1, -1}); }, {"flip", "multiple times"});
}

BOOST_AUTO_TEST_CASE(tensor_methods_value) {
  // The Tensor methods of the tensormath block forward to the free functions.
  const Tensor x = fx("gather_dim1.x"), idx = fx("gather_dim1.index");
  BOOST_TEST(x.gather(1, idx).to_vector() == gather(x, 1, idx).to_vector(), boost::test_tools::per_element());
  BOOST_TEST(x.flip({0}).to_vector() == flip(x, {0}).to_vector(), boost::test_tools::per_element());
  BOOST_TEST(x.cumsum(1).to_vector() == cumsum(x, 1).to_vector(), boost::test_tools::per_element());
  BOOST_TEST(x.var({1}, 0).to_vector() == var(x, {1}, 0).to_vector(), boost::test_tools::per_element());
  BOOST_TEST(x.norm(1.0, {0}).to_vector() == norm(x, 1.0, {0}).to_vector(), boost::test_tools::per_element());
  BOOST_TEST(std::get<1>(x.topk(2, 1)).to_vector() == std::get<1>(topk(x, 2, 1)).to_vector(), boost::test_tools::per_element());
  BOOST_TEST(x.prod(0).to_vector() == prod(x, 0).to_vector(), boost::test_tools::per_element());
}

// ---- rearranging ops (autograd/ops_rearrange.hpp) -------------------------------------------

namespace {
void rearrange_parity(const std::string& name, const std::function<Tensor(const Tensor&)>& fn) {
  parity(name, [fn](const Inputs& in, const Tensor&) { return fn(in[0]); }, {"x"});
}
}  // namespace

BOOST_AUTO_TEST_CASE(roll_value) {
  rearrange_parity("roll_1_dim2_-2_dim0", [](const Tensor& x) { return roll(x, {1, -2}, {2, 0}); });
  rearrange_parity("roll_flat_5", [](const Tensor& x) { return roll(x, {5}); });
}
BOOST_AUTO_TEST_CASE(repeat_tile_value) {
  rearrange_parity("repeat_2_1_3", [](const Tensor& x) { return x.repeat({2, 1, 3}); });
  rearrange_parity("tile_2", [](const Tensor& x) { return tile(x, {2}); });
}
BOOST_AUTO_TEST_CASE(tril_triu_value) {
  rearrange_parity("tril", [](const Tensor& x) { return tril(x); });
  rearrange_parity("triu_1", [](const Tensor& x) { return triu(x, 1); });
  rearrange_parity("tril_-1", [](const Tensor& x) { return x.tril(-1); });
}
BOOST_AUTO_TEST_CASE(diag_value) {
  rearrange_parity("diag_vector_1", [](const Tensor& x) { return diag(x, 1); });
  rearrange_parity("diag_vector_-2", [](const Tensor& x) { return diag(x, -2); });
  rearrange_parity("diag_matrix", [](const Tensor& x) { return diag(x); });
  rearrange_parity("diag_matrix_-1", [](const Tensor& x) { return x.diag(-1); });
}
BOOST_AUTO_TEST_CASE(constant_pad_nd_value) {
  rearrange_parity("pad_1_2_0_1", [](const Tensor& x) { return constant_pad_nd(x, {1, 2, 0, 1}, 0.5); });
  rearrange_parity("pad_crop", [](const Tensor& x) { return constant_pad_nd(x, {-1, 1, 1, -2}); });
}
BOOST_AUTO_TEST_CASE(movedim_t_value) {
  rearrange_parity("movedim_0_2", [](const Tensor& x) { return movedim(x, 0, 2); });
  rearrange_parity("t", [](const Tensor& x) { return x.t(); });
  const Tensor x = fx("t.x");
  BOOST_TEST(x.view_as(x.t()).to_vector() == x.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(shape_str(x.reshape_as(x.t()).shape()) == shape_str(x.t().shape()));
  BOOST_TEST(shape_str(ones({1, 4}).expand_as(x).shape()) == shape_str(x.shape()));
}

BOOST_AUTO_TEST_CASE(rearrange_gradient) {
  Tensor x = leaf({2, 3, 4}, 9), m = leaf({3, 4}, 10), v = leaf({3}, 11);
  check_gradient([](const Inputs& in) { return roll(in[0], {1, -2}, {2, 0}); }, {x});
  check_gradient([](const Inputs& in) { return repeat(in[0], {2, 1, 3}); }, {m});
  check_gradient([](const Inputs& in) { return triu(in[0], 1); }, {x});
  check_gradient([](const Inputs& in) { return diag(in[0], -1); }, {v});
  check_gradient([](const Inputs& in) { return diag(in[0], 1); }, {m});
  check_gradient([](const Inputs& in) { return constant_pad_nd(in[0], {-1, 1, 1, -2}, 2.0); }, {x});
  check_gradient([](const Inputs& in) { return movedim(in[0], -1, 0); }, {x});
}

BOOST_AUTO_TEST_CASE(rearrange_rejects_bad_arguments) {
  check_throws([] { roll(ones({2, 3}), {1, 2}, {0}); }, {"roll", "same length"});
  check_throws([] { repeat(ones({2, 3}), {2}); }, {"repeat", "at least as many"});
  check_throws([] { tril(ones({3})); }, {"tril", "at least 2 dims", "[3]"});
  check_throws([] { diag(ones({2, 2, 2})); }, {"diag", "1-D or 2-D", "[2, 2, 2]"});
  check_throws([] { constant_pad_nd(ones({2, 3}), {1}); }, {"constant_pad_nd", "pair"});
  check_throws([] { constant_pad_nd(ones({2, 3}), {-2, -2}); }, {"constant_pad_nd", "negative size"});
  check_throws([] { t(ones({2, 3, 4})); }, {"t", "<= 2 dims", "[2, 3, 4]"});
  check_throws([] { movedim(ones({2, 3}), 2, 0); }, {"movedim", "2"});
}
