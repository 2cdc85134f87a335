#define BOOST_TEST_MODULE ops_shape
#include "test_helpers.hpp"

#include <limits>

#include "autograd/ops_slice.hpp"

using namespace xg;
using xg::testing::check_close;
using xg::testing::check_gradient;
using xg::testing::check_gradient_multi;
using xg::testing::check_throws;
using xg::testing::leaf;

// Gradient checks use PyTorch's gradcheck defaults: eps 1e-6, atol 1e-5, rtol 1e-3 (GradcheckOptions{}).

namespace {
using Ins = std::vector<Tensor>;
using Values = std::vector<double>;
// x[i, j] = 3 i + j: [[0, 1, 2], [3, 4, 5]]
Tensor x23(Dtype dtype = kFloat32) { return reshape(arange(6, dtype), {2, 3}); }
// x[i, j, k] = 12 i + 4 j + k
Tensor x234(Dtype dtype = kFloat32) { return reshape(arange(24, dtype), {2, 3, 4}); }
Values v(const Tensor& t) { return t.to_vector(); }
std::string s(const Tensor& t) { return shape_str(t.shape()); }
Tensor ints(const std::vector<std::int64_t>& values, const Shape& shape) { return from_vector(values, shape); }
#define CHECK_VALUES(t, ...) BOOST_TEST(v(t) == Values(__VA_ARGS__), boost::test_tools::per_element())
}  // namespace

// ---- reshape / view -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reshape_value) {
  Tensor x = arange(6);
  Tensor r = reshape(x, {3, -1});
  BOOST_TEST(s(r) == "[3, 2]");
  BOOST_TEST(r.at({2, 1}) == 5.0);
  BOOST_TEST(s(reshape(x, {-1})) == "[6]");
  BOOST_TEST(s(view(x, {1, 2, 3})) == "[1, 2, 3]");
  BOOST_TEST(s(reshape(scalar_tensor(3), {1, 1})) == "[1, 1]");
  BOOST_TEST(s(reshape(zeros({1, 1}), {})) == "[]");
  BOOST_TEST(s(reshape(zeros({0, 3}), {3, 0, 5})) == "[3, 0, 5]");
  Tensor i = reshape(ints({1, 2, 3, 4}, {4}), {2, 2});
  BOOST_TEST(s(i) == "[2, 2]");
  BOOST_TEST((i.dtype() == kInt64));
  BOOST_TEST(i.at({1, 0}) == 3.0);
}

BOOST_AUTO_TEST_CASE(reshape_shares_data) {
  Tensor x = arange(6);
  Tensor r = reshape(x, {2, 3});
  Tensor w = view(x, {3, 2});
  BOOST_TEST(r.raw_data() == x.raw_data());
  BOOST_TEST(w.raw_data() == x.raw_data());
  BOOST_TEST(flatten(r).raw_data() == x.raw_data());
  BOOST_TEST(squeeze(unsqueeze(x, 0)).raw_data() == x.raw_data());
  BOOST_TEST(squeeze(reshape(x, {6, 1}), 1).raw_data() == x.raw_data());
  x.set({4}, 40.0);  // visible through the reshaped handle, as in PyTorch
  BOOST_TEST(r.at({1, 1}) == 40.0);
  BOOST_TEST(transpose(r, 0, 1).raw_data() != x.raw_data());  // the other ops copy
  BOOST_TEST(select(r, 0, 0).raw_data() != x.raw_data());
}

BOOST_AUTO_TEST_CASE(reshape_gradient) {
  check_gradient([](const Ins& in) { return reshape(in[0], {4, -1}); }, {leaf({2, 6}, 1)});
  check_gradient([](const Ins& in) { return view(in[0], {3, 1, 2}); }, {leaf({6, 1}, 2)});
  // Two view paths into the same leaf accumulate.
  check_gradient([](const Ins& in) { return reshape(in[0], {2, 3}) * view(in[0], {2, -1}); }, {leaf({3, 2}, 3)});
}

BOOST_AUTO_TEST_CASE(reshape_rejects_bad_shape) {
  check_throws([] { reshape(x23(), {-1, -1}); }, {"reshape", "only one", "[-1, -1]"});
  check_throws([] { reshape(x23(), {4, -1}); }, {"reshape", "[4, -1]", "[2, 3]", "6 elements"});
  check_throws([] { reshape(x23(), {7}); }, {"reshape", "[7]", "[2, 3]"});
  check_throws([] { reshape(x23(), {-2, -3}); }, {"reshape", "-2"});
  check_throws([] { reshape(zeros({0, 3}), {-1, 0}); }, {"reshape", "[0, 3]", "[-1, 0]", "ambiguous"});
  check_throws([] { view(x23(), {5}); }, {"view", "[5]", "[2, 3]"});
  check_throws([] { reshape(Tensor(), {1}); }, {"reshape", "undefined"});
}

// ---- flatten / squeeze / unsqueeze ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(flatten_value) {
  BOOST_TEST(s(flatten(x234())) == "[24]");
  BOOST_TEST(s(flatten(x234(), 1)) == "[2, 12]");
  BOOST_TEST(s(flatten(x234(), 0, -2)) == "[6, 4]");
  BOOST_TEST(s(flatten(x234(), -1)) == "[2, 3, 4]");
  BOOST_TEST(s(flatten(scalar_tensor(2))) == "[1]");
  BOOST_TEST(flatten(x234(), 1).at({1, 5}) == 17.0);
}

BOOST_AUTO_TEST_CASE(flatten_gradient) {
  check_gradient([](const Ins& in) { return flatten(in[0], 1); }, {leaf({2, 3, 2}, 4)});
  check_gradient([](const Ins& in) { return flatten(in[0], 0, -2); }, {leaf({1, 3, 2}, 5)});
}

BOOST_AUTO_TEST_CASE(flatten_rejects_bad_dims) {
  check_throws([] { flatten(x234(), 2, 1); }, {"flatten", "start_dim 2", "end_dim 1", "[2, 3, 4]"});
  check_throws([] { flatten(x234(), 0, 5); }, {"flatten", "dim 5"});
}

BOOST_AUTO_TEST_CASE(squeeze_value) {
  Tensor x = zeros({1, 3, 1, 2});
  BOOST_TEST(s(squeeze(x)) == "[3, 2]");
  BOOST_TEST(s(squeeze(x, 0)) == "[3, 1, 2]");
  BOOST_TEST(s(squeeze(x, -2)) == "[1, 3, 2]");
  BOOST_TEST(s(squeeze(x, 1)) == "[1, 3, 1, 2]");  // size 3: unchanged, as in PyTorch
  BOOST_TEST(s(squeeze(scalar_tensor(1), 0)) == "[]");
  BOOST_TEST(s(squeeze(zeros({1, 1}))) == "[]");
  CHECK_VALUES(squeeze(reshape(x23(), {2, 1, 3}), 1), {0, 1, 2, 3, 4, 5});
}

BOOST_AUTO_TEST_CASE(unsqueeze_value) {
  BOOST_TEST(s(unsqueeze(x23(), 0)) == "[1, 2, 3]");
  BOOST_TEST(s(unsqueeze(x23(), 2)) == "[2, 3, 1]");
  BOOST_TEST(s(unsqueeze(x23(), -1)) == "[2, 3, 1]");
  BOOST_TEST(s(unsqueeze(x23(), -3)) == "[1, 2, 3]");
  BOOST_TEST(s(unsqueeze(scalar_tensor(1), -1)) == "[1]");
  BOOST_TEST(s(unsqueeze(ints({1, 2}, {2}), 1)) == "[2, 1]");
}

BOOST_AUTO_TEST_CASE(squeeze_unsqueeze_gradient) {
  check_gradient([](const Ins& in) { return squeeze(in[0]); }, {leaf({1, 3, 1}, 6)});
  check_gradient([](const Ins& in) { return squeeze(in[0], -1); }, {leaf({2, 1}, 7)});
  check_gradient([](const Ins& in) { return unsqueeze(in[0], -1); }, {leaf({2, 3}, 8)});
  check_gradient([](const Ins& in) { return unsqueeze(in[0], 1); }, {leaf({3, 1}, 9)});
}

BOOST_AUTO_TEST_CASE(squeeze_unsqueeze_rejects_bad_dim) {
  check_throws([] { squeeze(x23(), 5); }, {"squeeze", "dim 5", "rank 2"});
  check_throws([] { unsqueeze(x23(), 3); }, {"unsqueeze", "dim 3"});
  check_throws([] { unsqueeze(x23(), -4); }, {"unsqueeze", "dim -4"});
}

// ---- transpose / permute --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(transpose_value) {
  Tensor t = transpose(x23(), 0, 1);
  BOOST_TEST(s(t) == "[3, 2]");
  CHECK_VALUES(t, {0, 3, 1, 4, 2, 5});
  CHECK_VALUES(transpose(x23(), -1, 0), {0, 3, 1, 4, 2, 5});
  CHECK_VALUES(transpose(x23(), 1, 1), {0, 1, 2, 3, 4, 5});
  Tensor u = transpose(x234(), 0, 2);  // u[k, j, i] = 12 i + 4 j + k
  BOOST_TEST(s(u) == "[4, 3, 2]");
  int bad = 0;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) bad += u.at({k, j, i}) != 12 * i + 4 * j + k;
  BOOST_TEST(bad == 0);
  BOOST_TEST(s(transpose(scalar_tensor(1), 0, -1)) == "[]");
  CHECK_VALUES(transpose(ints({1, 2, 3, 4, 5, 6}, {2, 3}), 0, 1), {1, 4, 2, 5, 3, 6});
}

BOOST_AUTO_TEST_CASE(transpose_value_large) {
  // Bigger than one 32×32 tile, with ragged edges, 2-D and batched.
  Tensor t = transpose(reshape(arange(40 * 70, kFloat64), {40, 70}), 0, 1);
  int bad = 0;
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < 70; ++j) bad += t.at({j, i}) != 70 * i + j;
  BOOST_TEST(bad == 0);
  Tensor b = transpose(reshape(arange(3 * 33 * 35), {3, 33, 35}), 1, 2);
  BOOST_TEST(s(b) == "[3, 35, 33]");
  bad = 0;
  for (int n = 0; n < 3; ++n)
    for (int j = 0; j < 33; ++j)
      for (int k = 0; k < 35; ++k) bad += b.at({n, k, j}) != n * 33 * 35 + j * 35 + k;
  BOOST_TEST(bad == 0);
}

BOOST_AUTO_TEST_CASE(transpose_gradient) {
  check_gradient([](const Ins& in) { return transpose(in[0], 0, 1); }, {leaf({2, 3}, 10)});
  check_gradient([](const Ins& in) { return transpose(in[0], -1, 0); }, {leaf({3, 1, 2}, 11)});
}

BOOST_AUTO_TEST_CASE(transpose_rejects_bad_dim) {
  check_throws([] { transpose(x23(), 0, 2); }, {"transpose", "dim 2", "rank 2"});
  check_throws([] { transpose(x23(), -3, 0); }, {"transpose", "dim -3"});
}

BOOST_AUTO_TEST_CASE(permute_value) {
  Tensor p = permute(x234(), {2, 0, 1});  // p[k, i, j] = 12 i + 4 j + k
  BOOST_TEST(s(p) == "[4, 2, 3]");
  int bad = 0;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) bad += p.at({k, i, j}) != 12 * i + 4 * j + k;
  BOOST_TEST(bad == 0);
  Tensor q = permute(x234(), {1, 0, -1});  // inner rows stay contiguous
  BOOST_TEST(s(q) == "[3, 2, 4]");
  bad = 0;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) bad += q.at({j, i, k}) != 12 * i + 4 * j + k;
  BOOST_TEST(bad == 0);
  CHECK_VALUES(permute(x23(), {0, 1}), {0, 1, 2, 3, 4, 5});
}

BOOST_AUTO_TEST_CASE(permute_gradient) {
  check_gradient([](const Ins& in) { return permute(in[0], {2, 0, 1}); }, {leaf({2, 3, 2}, 12)});
  check_gradient([](const Ins& in) { return permute(in[0], {-1, 1, 0}); }, {leaf({1, 2, 3}, 13)});
}

BOOST_AUTO_TEST_CASE(permute_rejects_bad_dims) {
  check_throws([] { permute(x23(), {0}); }, {"permute", "[0]", "[2, 3]"});
  check_throws([] { permute(x23(), {0, -2}); }, {"permute", "dim 0", "more than once", "[0, -2]"});
  check_throws([] { permute(x23(), {0, 2}); }, {"permute", "dim 2"});
}

// ---- select / narrow / slice ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(select_value) {
  CHECK_VALUES(select(x23(), 1, -1), {2, 5});
  CHECK_VALUES(select(x23(), 0, 1), {3, 4, 5});
  Tensor m = select(x234(), 1, 1);
  BOOST_TEST(s(m) == "[2, 4]");
  CHECK_VALUES(m, {4, 5, 6, 7, 16, 17, 18, 19});
  Tensor last = select(x234(), -1, 3);
  CHECK_VALUES(last, {3, 7, 11, 15, 19, 23});
  Tensor i = select(ints({7, 8, 9}, {3}), 0, -2);
  BOOST_TEST(s(i) == "[]");
  BOOST_TEST(i.item() == 8.0);
  BOOST_TEST((i.dtype() == kInt64));
}

BOOST_AUTO_TEST_CASE(select_gradient) {
  check_gradient([](const Ins& in) { return select(in[0], 1, -1); }, {leaf({2, 3}, 14)});
  check_gradient([](const Ins& in) { return select(in[0], 0, 0); }, {leaf({1, 2, 3}, 15)});
  check_gradient([](const Ins& in) { return select(in[0], -2, 1) * select(in[0], -2, 1); }, {leaf({2, 3, 2}, 16)});
}

BOOST_AUTO_TEST_CASE(select_rejects_bad_index) {
  check_throws([] { select(x23(), 1, 3); }, {"select", "index 3", "size 3", "[2, 3]"});
  check_throws([] { select(x23(), 1, -4); }, {"select", "index -4", "size 3"});
  check_throws([] { select(x23(), 2, 0); }, {"select", "dim 2"});
  check_throws([] { select(scalar_tensor(1), 0, 0); }, {"select", "0-dim"});
}

BOOST_AUTO_TEST_CASE(narrow_value) {
  Tensor n = narrow(x234(), 2, 1, 2);  // k ∈ {1, 2}
  BOOST_TEST(s(n) == "[2, 3, 2]");
  CHECK_VALUES(n, {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22});
  CHECK_VALUES(narrow(x23(), 1, -2, 2), {1, 2, 4, 5});
  CHECK_VALUES(narrow(x23(), 0, 1, 1), {3, 4, 5});
  BOOST_TEST(s(narrow(x23(), 1, 3, 0)) == "[2, 0]");
  CHECK_VALUES(narrow(ints({1, 2, 3, 4}, {4}), 0, 1, 2), {2, 3});
}

BOOST_AUTO_TEST_CASE(narrow_gradient) {
  check_gradient([](const Ins& in) { return narrow(in[0], 1, 1, 2); }, {leaf({2, 4}, 17)});
  check_gradient([](const Ins& in) { return narrow(in[0], -1, 0, 1); }, {leaf({3, 1, 2}, 18)});
}

BOOST_AUTO_TEST_CASE(narrow_rejects_bad_range) {
  check_throws([] { narrow(x23(), 1, 2, 2); }, {"narrow", "start (2) + length (2)", "size 3", "[2, 3]"});
  check_throws([] { narrow(x23(), 1, 1, -1); }, {"narrow", "length (-1)"});
  check_throws([] { narrow(x23(), 1, 4, 0); }, {"narrow", "start 4", "[-3, 3]"});
  check_throws([] { narrow(x23(), 1, -4, 1); }, {"narrow", "start -4"});
  check_throws([] { narrow(scalar_tensor(1), 0, 0, 1); }, {"narrow", "0-dim"});
}

BOOST_AUTO_TEST_CASE(slice_value) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  CHECK_VALUES(slice(arange(10), 0, 1, 100, 3), {1, 4, 7});
  CHECK_VALUES(slice(arange(10), 0, -3, big), {7, 8, 9});
  CHECK_VALUES(slice(arange(10), 0, -100, 2), {0, 1});
  CHECK_VALUES(slice(x23(), 1, -100, -1), {0, 1, 3, 4});
  BOOST_TEST(s(slice(arange(10), 0, 5, 2)) == "[0]");
  BOOST_TEST(s(slice(arange(10), 0, 20, 30)) == "[0]");
  Tensor st = slice(x234(), 2, 0, 4, 2);  // k ∈ {0, 2}
  BOOST_TEST(s(st) == "[2, 3, 2]");
  CHECK_VALUES(st, {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22});
  CHECK_VALUES(slice(x234(), 1, 1, 3, 5), {4, 5, 6, 7, 16, 17, 18, 19});
  CHECK_VALUES(slice(ints({5, 6, 7, 8}, {4}), 0, 1, 4, 2), {6, 8});
}

BOOST_AUTO_TEST_CASE(slice_gradient) {
  check_gradient([](const Ins& in) { return slice(in[0], 1, 0, 5, 2); }, {leaf({2, 5}, 19)});
  check_gradient([](const Ins& in) { return slice(in[0], -1, -2, 100); }, {leaf({3, 1, 3}, 20)});
  check_gradient([](const Ins& in) { return slice(in[0], 0, 1, 3, 1); }, {leaf({4, 2}, 21)});
}

BOOST_AUTO_TEST_CASE(slice_rejects_bad_step) {
  check_throws([] { slice(x23(), 1, 0, 2, 0); }, {"slice", "step", "0"});
  check_throws([] { slice(x23(), 1, 0, 2, -1); }, {"slice", "step", "-1"});
  check_throws([] { slice(x23(), 3, 0, 2); }, {"slice", "dim 3"});
  check_throws([] { slice(scalar_tensor(1), 0, 0, 1); }, {"slice", "0-dim"});
}

// ---- unbind ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unbind_value) {
  auto u = unbind(x234(), 1);  // u[j][i, k] = 12 i + 4 j + k
  BOOST_TEST_REQUIRE(u.size() == 3u);
  BOOST_TEST(s(u[2]) == "[2, 4]");
  CHECK_VALUES(u[2], {8, 9, 10, 11, 20, 21, 22, 23});
  auto w = unbind(x23(), -1);
  BOOST_TEST_REQUIRE(w.size() == 3u);
  CHECK_VALUES(w[0], {0, 3});
  BOOST_TEST(unbind(zeros({0, 2})).empty());
  CHECK_VALUES(unbind(ints({1, 2}, {2}))[1], {2});
}

BOOST_AUTO_TEST_CASE(unbind_gradient) {
  check_gradient_multi([](const Ins& in) { return unbind(in[0], 0); }, {leaf({3, 2}, 50)});
  check_gradient_multi([](const Ins& in) { return unbind(in[0], -1); }, {leaf({2, 1, 3}, 51)});
  // Only some pieces reach the loss, and one is used twice.
  check_gradient([](const Ins& in) {
    auto p = unbind(in[0], 1);
    return p[2] * p[0] + p[2];
  }, {leaf({2, 4}, 52)});
  // Through a non-leaf input.
  check_gradient([](const Ins& in) { return stack(unbind(in[0] * in[0], 0), 1); }, {leaf({3, 2}, 53)});
}

BOOST_AUTO_TEST_CASE(unbind_gradient_value_and_repeated_backward) {
  Tensor x = zeros({3, 2}, kFloat64).requires_grad_();
  auto p = unbind(x);
  Tensor loss = p[0] * 2.0 + p[2] * 3.0;
  loss.backward(ones({2}, kFloat64), /*retain_graph=*/true);
  CHECK_VALUES(x.grad(), {2, 2, 0, 0, 3, 3});
  loss.backward(ones({2}, kFloat64));  // a second pass starts from a fresh buffer and accumulates
  CHECK_VALUES(x.grad(), {4, 4, 0, 0, 6, 6});
}

BOOST_AUTO_TEST_CASE(unbind_rejects_bad_input) {
  check_throws([] { unbind(scalar_tensor(1)); }, {"unbind", "0-dim"});
  check_throws([] { unbind(x23(), 2); }, {"unbind", "dim 2"});
}

// ---- split / chunk --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(split_value) {
  auto p = split(arange(5), 2);
  BOOST_TEST_REQUIRE(p.size() == 3u);
  CHECK_VALUES(p[0], {0, 1});
  CHECK_VALUES(p[1], {2, 3});
  CHECK_VALUES(p[2], {4});
  auto q = split(x23(), 2, -1);
  BOOST_TEST_REQUIRE(q.size() == 2u);
  CHECK_VALUES(q[0], {0, 1, 3, 4});
  BOOST_TEST(s(q[1]) == "[2, 1]");
  CHECK_VALUES(q[1], {2, 5});
  BOOST_TEST(split(x23(), 5, 1).size() == 1u);
  auto e = split(zeros({0}), 2);
  BOOST_TEST_REQUIRE(e.size() == 1u);
  BOOST_TEST(s(e[0]) == "[0]");
}

BOOST_AUTO_TEST_CASE(chunk_value) {
  auto c = chunk(arange(5), 4);  // ceil(5/4) = 2: pieces 2, 2, 1
  BOOST_TEST_REQUIRE(c.size() == 3u);
  CHECK_VALUES(c[0], {0, 1});
  CHECK_VALUES(c[2], {4});
  BOOST_TEST(chunk(arange(6), 4).size() == 3u);  // fewer chunks than asked, as torch.chunk
  auto d = chunk(x23(), 3, -1);
  BOOST_TEST_REQUIRE(d.size() == 3u);
  CHECK_VALUES(d[1], {1, 4});
  BOOST_TEST(chunk(zeros({0, 2}), 3).size() == 3u);
  auto g = chunk(ints({1, 2, 3, 4}, {4}), 2);
  CHECK_VALUES(g[1], {3, 4});
}

BOOST_AUTO_TEST_CASE(split_chunk_gradient) {
  check_gradient_multi([](const Ins& in) { return split(in[0], 2, 1); }, {leaf({2, 5}, 22)});
  check_gradient_multi([](const Ins& in) { return split(in[0], 1, -1); }, {leaf({3, 1, 2}, 23)});
  check_gradient_multi([](const Ins& in) { return chunk(in[0], 2, 0); }, {leaf({3, 2}, 24)});
  check_gradient_multi([](const Ins& in) { return chunk(in[0], 4, -2); }, {leaf({2, 4, 1}, 25)});
  // Only some pieces used: the unused ones contribute zero.
  check_gradient([](const Ins& in) { return chunk(in[0], 3, 1)[1]; }, {leaf({2, 6}, 26)});
}

BOOST_AUTO_TEST_CASE(split_rejects_bad_size) {
  check_throws([] { split(arange(5), 0); }, {"split", "split_size 0", "size 5"});
  check_throws([] { split(arange(5), -1); }, {"split", "split_size -1"});
  check_throws([] { split(scalar_tensor(1), 1); }, {"split", "1-dimensional"});
  check_throws([] { split(x23(), 1, 2); }, {"split", "dim 2"});
}

BOOST_AUTO_TEST_CASE(split_with_sizes_value) {
  auto p = split(arange(6), std::vector<std::int64_t>{1, 3, 0, 2});
  BOOST_TEST_REQUIRE(p.size() == 4u);
  CHECK_VALUES(p[0], {0});
  CHECK_VALUES(p[1], {1, 2, 3});
  BOOST_TEST(s(p[2]) == "[0]");
  CHECK_VALUES(p[3], {4, 5});
  auto q = split_with_sizes(x23(), {2, 1}, -1);
  BOOST_TEST_REQUIRE(q.size() == 2u);
  CHECK_VALUES(q[0], {0, 1, 3, 4});
  CHECK_VALUES(q[1], {2, 5});
}

BOOST_AUTO_TEST_CASE(split_with_sizes_gradient) {
  check_gradient_multi([](const Ins& in) { return split(in[0], std::vector<std::int64_t>{1, 4}, 1); }, {leaf({2, 5}, 27)});
  check_gradient_multi([](const Ins& in) { return split_with_sizes(in[0], {2, 1}, 0); }, {leaf({3, 2}, 28)});
  // Only one piece used, twice: the others contribute zero.
  check_gradient([](const Ins& in) {
    auto p = split(in[0], std::vector<std::int64_t>{1, 2, 2}, 0);
    return p[1] * p[1] + p[1];
  }, {leaf({5, 2}, 29)});
}

BOOST_AUTO_TEST_CASE(split_with_sizes_rejects_bad_sizes) {
  check_throws([] { split(arange(5), std::vector<std::int64_t>{2, 2}); }, {"split_with_sizes", "[2, 2]", "add up to 4", "size 5"});
  check_throws([] { split_with_sizes(arange(5), {6, -1}); }, {"split_with_sizes", "negative", "-1"});
  check_throws([] { split_with_sizes(scalar_tensor(1), {1}); }, {"split_with_sizes", "1-dimensional"});
  check_throws([] { split_with_sizes(x23(), {1, 1}, 2); }, {"split_with_sizes", "dim 2"});
}

BOOST_AUTO_TEST_CASE(chunk_rejects_bad_chunks) {
  check_throws([] { chunk(arange(5), 0); }, {"chunk", "greater than 0", "got 0"});
  check_throws([] { chunk(arange(5), -2); }, {"chunk", "got -2"});
  check_throws([] { chunk(scalar_tensor(1), 1); }, {"chunk", "1-dimensional"});
}

// ---- cat / stack ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cat_value) {
  Tensor a = x23();
  Tensor b = from_vector({6, 7}, {2, 1});
  Tensor c = cat({a, b}, 1);
  BOOST_TEST(s(c) == "[2, 4]");
  CHECK_VALUES(c, {0, 1, 2, 6, 3, 4, 5, 7});
  CHECK_VALUES(cat({b, a}, -1), {6, 0, 1, 2, 7, 3, 4, 5});
  Tensor r = cat({a, from_vector({9, 9, 9}, {1, 3}), a}, 0);
  BOOST_TEST(s(r) == "[5, 3]");
  CHECK_VALUES(r, {0, 1, 2, 3, 4, 5, 9, 9, 9, 0, 1, 2, 3, 4, 5});
  CHECK_VALUES(cat({a}), {0, 1, 2, 3, 4, 5});
  BOOST_TEST(cat({a}).raw_data() != a.raw_data());
  // Legacy empty 1-D tensors are skipped, as in PyTorch.
  BOOST_TEST(s(cat({zeros({0}), a, zeros({0})}, 1)) == "[2, 3]");
  BOOST_TEST(s(cat({zeros({0}), zeros({0})})) == "[0]");
  CHECK_VALUES(cat({ints({1, 2}, {2}), ints({3}, {1})}), {1, 2, 3});
  // x234 along the middle dim with a [2, 1, 4] piece.
  Tensor m = cat({x234(), full({2, 1, 4}, -1)}, 1);
  BOOST_TEST(s(m) == "[2, 4, 4]");
  BOOST_TEST(m.at({1, 3, 2}) == -1.0);
  BOOST_TEST(m.at({1, 2, 2}) == 22.0);
}

BOOST_AUTO_TEST_CASE(cat_gradient) {
  check_gradient([](const Ins& in) { return cat({in[0], in[1]}, 0); }, {leaf({2, 3}, 27), leaf({1, 3}, 28)});
  check_gradient([](const Ins& in) { return cat({in[0], in[1], in[0]}, -1); },
                 {leaf({2, 1, 2}, 29), leaf({2, 1, 3}, 30)});
  // An input that doesn't require grad gets none.
  Tensor c = x23(kFloat64);
  check_gradient([c](const Ins& in) { return cat({c, in[0]}, 1); }, {leaf({2, 2}, 31)});
}

BOOST_AUTO_TEST_CASE(cat_rejects_mismatch) {
  check_throws([] { cat({}); }, {"cat", "non-empty"});
  check_throws([] { cat({x23(), zeros({2, 4})}, 0); }, {"cat", "except in dim 0", "[2, 3]", "[2, 4]", "tensor 1"});
  check_throws([] { cat({x23(), zeros({2})}, 0); }, {"cat", "number of dims", "[2, 3]", "[2]"});
  check_throws([] { cat({x23(), x23(kFloat64)}, 0); }, {"cat", "float32", "float64", "tensor 1"});
  check_throws([] { cat({scalar_tensor(1)}); }, {"cat", "zero-dimensional", "position 0"});
  check_throws([] { cat({x23()}, 2); }, {"cat", "dim 2"});
}

BOOST_AUTO_TEST_CASE(stack_value) {
  Tensor a = from_vector({1, 2, 3}, {3});
  Tensor b = from_vector({4, 5, 6}, {3});
  Tensor s0 = stack({a, b});
  BOOST_TEST(s(s0) == "[2, 3]");
  CHECK_VALUES(s0, {1, 2, 3, 4, 5, 6});
  CHECK_VALUES(stack({a, b}, 1), {1, 4, 2, 5, 3, 6});
  CHECK_VALUES(stack({a, b}, -1), {1, 4, 2, 5, 3, 6});
  Tensor m = stack({x23(), x23() + 6.0}, 1);  // m[i, t, j] = 3 i + j + 6 t
  BOOST_TEST(s(m) == "[2, 2, 3]");
  CHECK_VALUES(m, {0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11});
  BOOST_TEST(s(stack({scalar_tensor(1), scalar_tensor(2)})) == "[2]");
  CHECK_VALUES(stack({ints({1, 2}, {2}), ints({3, 4}, {2})}, 1), {1, 3, 2, 4});
}

BOOST_AUTO_TEST_CASE(stack_gradient) {
  check_gradient([](const Ins& in) { return stack({in[0], in[1], in[0]}, 0); }, {leaf({2, 3}, 32), leaf({2, 3}, 33)});
  check_gradient([](const Ins& in) { return stack({in[0], in[1]}, -1); }, {leaf({3, 1}, 34), leaf({3, 1}, 35)});
  check_gradient([](const Ins& in) { return stack({in[0], in[1]}, 1); }, {leaf({2, 2}, 36), leaf({2, 2}, 37)});
}

BOOST_AUTO_TEST_CASE(stack_rejects_mismatch) {
  check_throws([] { stack({}); }, {"stack", "non-empty"});
  check_throws([] { stack({x23(), zeros({2, 4})}); }, {"stack", "equal size", "[2, 3]", "[2, 4]", "entry 1"});
  check_throws([] { stack({x23(), x23(kFloat64)}); }, {"stack", "float32", "float64", "entry 1"});
  check_throws([] { stack({x23(), x23()}, 3); }, {"stack", "dim 3"});
}

// ---- index_select -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(index_select_value) {
  Tensor r = index_select(x23(), 1, ints({2, 0, 2}, {3}));
  BOOST_TEST(s(r) == "[2, 3]");
  CHECK_VALUES(r, {2, 0, 2, 5, 3, 5});
  CHECK_VALUES(index_select(x23(), -2, ints({1}, {1})), {3, 4, 5});
  Tensor m = index_select(x234(), 1, ints({2, 0}, {2}));
  CHECK_VALUES(m, {8, 9, 10, 11, 0, 1, 2, 3, 20, 21, 22, 23, 12, 13, 14, 15});
  BOOST_TEST(s(index_select(x23(), 1, ints({}, {0}))) == "[2, 0]");
  CHECK_VALUES(index_select(x23(), 1, ints({1}, {})), {1, 4});  // a 0-dim index acts like [i]
  Tensor e = index_select(ints({10, 20, 30}, {3}), 0, ints({2, 2, 0}, {3}));  // embedding-style int64 lookup
  CHECK_VALUES(e, {30, 30, 10});
}

BOOST_AUTO_TEST_CASE(index_select_repeated_indices_accumulate) {
  Tensor x = zeros({3, 2}, kFloat64).requires_grad_();
  Tensor y = index_select(x, 0, ints({2, 0, 2, 2}, {4}));
  y.backward(from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}, kFloat64));
  // row 0 ← g[1]; row 1 ← nothing; row 2 ← g[0] + g[2] + g[3]
  CHECK_VALUES(x.grad(), {3, 4, 0, 0, 13, 16});
}

BOOST_AUTO_TEST_CASE(index_select_gradient) {
  check_gradient([](const Ins& in) { return index_select(in[0], 0, ints({1, 1, 0}, {3})); },
                 {leaf({2, 3}, 38)});
  check_gradient([](const Ins& in) { return index_select(in[0], -1, ints({2, 0, 2}, {3})); },
                 {leaf({2, 1, 3}, 39)});
}

BOOST_AUTO_TEST_CASE(index_select_rejects_bad_index) {
  check_throws([] { index_select(x23(), 1, from_vector({1}, {1})); }, {"index_select", "int64", "float32"});
  check_throws([] { index_select(x23(), 1, ints({1, 0}, {1, 2})); }, {"index_select", "1-D", "[1, 2]"});
  check_throws([] { index_select(x23(), 1, ints({0, 3}, {2})); }, {"index_select", "index 3", "size 3", "[2, 3]"});
  check_throws([] { index_select(x23(), 1, ints({-1}, {1})); }, {"index_select", "index -1"});
  check_throws([] { index_select(x23(), 2, ints({0}, {1})); }, {"index_select", "dim 2"});
}

// ---- expand ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(expand_value) {
  Tensor a = expand(from_vector({1, 2, 3}, {3}), {2, -1});
  BOOST_TEST(s(a) == "[2, 3]");
  CHECK_VALUES(a, {1, 2, 3, 1, 2, 3});
  CHECK_VALUES(expand(from_vector({1, 2}, {2, 1}), {2, 3}), {1, 1, 1, 2, 2, 2});
  CHECK_VALUES(expand(scalar_tensor(7), {2, 2}), {7, 7, 7, 7});
  Tensor b = expand(from_vector({1, 2}, {2, 1}), {2, 2, 3});
  CHECK_VALUES(b, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
  CHECK_VALUES(expand(from_vector({1, 2, 3, 4}, {2, 1, 2}), {2, 3, 2}), {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  BOOST_TEST(s(expand(zeros({3}), {0, 3})) == "[0, 3]");
  CHECK_VALUES(expand(ints({4}, {1}), {3}), {4, 4, 4});
  BOOST_TEST(expand(x23(), {2, 3}).raw_data() != x23().raw_data());
}

BOOST_AUTO_TEST_CASE(expand_gradient) {
  check_gradient([](const Ins& in) { return expand(in[0], {2, 3}); }, {leaf({3}, 40)});
  check_gradient([](const Ins& in) { return expand(in[0], {4, 2, -1}); }, {leaf({2, 1}, 41)});
  check_gradient([](const Ins& in) { return expand(in[0], {2, 3, 2}); }, {leaf({1, 3, 1}, 42)});
}

BOOST_AUTO_TEST_CASE(expand_rejects_bad_shape) {
  check_throws([] { expand(x23(), {4, 3}); }, {"expand", "[2, 3]", "[4, 3]", "size 4", "existing size 2"});
  check_throws([] { expand(x23(), {3}); }, {"expand", "[2, 3]", "[3]", "rank"});
  check_throws([] { expand(zeros({1, 3}), {-1, 3, 3}); }, {"expand", "size -1", "leading"});
  check_throws([] { expand(zeros({1, 3}), {-2, 3}); }, {"expand", "size -2"});
}
