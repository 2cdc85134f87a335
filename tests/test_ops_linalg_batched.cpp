// matmul beyond 3-D, bmm, baddbmm, outer, dot, mv (autograd/ops_linalg.hpp) and einsum
// (autograd/ops_einsum.hpp): values against 2-D products of slices and against PyTorch 1.13
// (tools/make_linalg_batched_fixtures.py), float64 gradchecks and gradgradchecks, and the errors.
#define BOOST_TEST_MODULE ops_linalg_batched
#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "gradgrad_helpers.hpp"

using namespace xg;
using xg::testing::check_close;
using xg::testing::check_gradgrad;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using In = std::vector<Tensor>;

namespace {

const SafetensorsFile& fixtures() {
  static const SafetensorsFile f =
      load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/linalg/linalg_batched_float64.safetensors");
  return f;
}
Tensor fx(const std::string& name) { return fixtures().tensors.at(name); }

// The generator's baddbmm scalars.
constexpr double kBeta = 0.5, kAlpha = -1.5;

// BLAS here and in PyTorch's build may order a sum differently: 1e-12 relative, 1e-13 absolute.
constexpr double kRtol = 1e-12, kAtol = 1e-13;

// out = fn(inputs), then backward of sum(out · G_<name>): compared with PyTorch's out and
// gradients (fixtures <name>.out, <name>.grad_<input>).
void check_parity(const std::string& name, const std::function<Tensor(const In&)>& fn,
                  const std::vector<std::string>& inputs) {
  BOOST_TEST_CONTEXT(name) {
    In leaves;
    for (const std::string& input : inputs) leaves.push_back(fx(input).clone().requires_grad_());
    const Tensor out = fn(leaves);
    check_close(out, fx(name + ".out"), kRtol, kAtol);
    (out * fx("G_" + name)).sum().backward();
    for (std::size_t i = 0; i < leaves.size(); ++i) check_close(leaves[i].grad(), fx(name + ".grad_" + inputs[i]), kRtol, kAtol);
  }
}

Tensor random(const Shape& shape, std::uint64_t seed, Dtype dtype = kFloat64) {
  Generator g(seed);
  return uniform(shape, -1.0, 1.0, g, dtype);
}

// Matrix (i, j) of a 4-D operand, or of a lower-rank one broadcast to the batch [I, J]
// (a size-1 or missing batch dim is shared).
Tensor matrix_at(const Tensor& t, std::int64_t i, std::int64_t j) {
  Tensor m = t;
  if (m.dim() == 4) m = select(m, 0, m.size(0) == 1 ? 0 : i);
  if (m.dim() == 3) m = select(m, 0, m.size(0) == 1 ? 0 : j);
  return m;
}

// matmul of operands whose batch broadcasts to [I, J], checked entry by entry against the
// (separately tested) 2-D product of the matching slices.
void check_against_slices(const Shape& sa, const Shape& sb, Dtype dtype) {
  BOOST_TEST_CONTEXT(shape_str(sa) << " x " << shape_str(sb) << " " << dtype_name(dtype)) {
    const double tol = dtype == kFloat32 ? 1e-6 : 1e-14;
    const Tensor a = random(sa, 1, dtype), b = random(sb, 2, dtype);
    const Tensor c = matmul(a, b);
    BOOST_TEST_REQUIRE(c.dim() == 4);
    for (std::int64_t i = 0; i < c.size(0); ++i)
      for (std::int64_t j = 0; j < c.size(1); ++j)
        check_close(select(select(c, 0, i), 0, j), matmul(matrix_at(a, i, j), matrix_at(b, i, j)), tol, tol);
  }
}

}  // namespace

// ---- matmul beyond 3-D -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(matmul_value_rank4) {
  BOOST_TEST(shape_str(matmul(zeros({2, 1, 3, 4}), zeros({3, 4, 5})).shape()) == "[2, 3, 3, 5]");
  BOOST_TEST(shape_str(matmul(zeros({7, 1, 1, 2, 3, 4}), zeros({5, 1, 4, 2})).shape()) == "[7, 1, 5, 2, 3, 2]");
  for (Dtype dtype : {kFloat32, kFloat64}) {
    check_against_slices({2, 1, 3, 4}, {3, 4, 2}, dtype);     // both operands broadcast
    check_against_slices({2, 3, 5, 4}, {1, 1, 4, 2}, dtype);  // one shared right matrix: one gemm
    check_against_slices({2, 3, 5, 4}, {4, 2}, dtype);
    check_against_slices({3, 4}, {2, 3, 4, 5}, dtype);        // a shared left matrix
    check_against_slices({1, 3, 2, 4}, {2, 1, 4, 3}, dtype);
    check_against_slices({2, 3, 2, 4}, {2, 3, 4, 3}, dtype);  // no broadcasting
  }
  check_parity("matmul_4x3", [](const In& x) { return matmul(x[0], x[1]); }, {"A4", "B3"});
}

BOOST_AUTO_TEST_CASE(matmul_value_vector_rank4) {
  // A 1-D left operand is a row, a 1-D right operand a column; its dim is dropped.
  const Tensor v = random({4}, 3), w = random({5}, 4), b = random({2, 3, 4, 5}, 5);
  const Tensor left = matmul(v, b), right = matmul(b, w);
  BOOST_TEST(shape_str(left.shape()) == "[2, 3, 5]");
  BOOST_TEST(shape_str(right.shape()) == "[2, 3, 4]");
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j) {
      const Tensor bij = select(select(b, 0, i), 0, j);
      check_close(select(select(left, 0, i), 0, j), matmul(v, bij), 1e-14, 1e-14);
      check_close(select(select(right, 0, i), 0, j), matmul(bij, w), 1e-14, 1e-14);
    }
  check_parity("matmul_1x4", [](const In& x) { return matmul(x[0], x[1]); }, {"v4", "B4"});
  check_parity("matmul_4x1", [](const In& x) { return matmul(x[0], x[1]); }, {"B4", "v5"});
}

BOOST_AUTO_TEST_CASE(matmul_value_rank4_zero_size) {
  Tensor a = ones({2, 0, 3, 4}, kFloat64).requires_grad_(), b = ones({1, 4, 2}, kFloat64).requires_grad_();
  Tensor c = matmul(a, b);
  BOOST_TEST(shape_str(c.shape()) == "[2, 0, 3, 2]");
  c.backward(zeros({2, 0, 3, 2}, kFloat64));
  BOOST_TEST(shape_str(a.grad().shape()) == "[2, 0, 3, 4]");
  BOOST_TEST(b.grad().to_vector() == std::vector<double>(8, 0.0), boost::test_tools::per_element());
}

// gradcheck: PyTorch's defaults, eps 1e-6, atol 1e-5, rtol 1e-3 (float64).
BOOST_AUTO_TEST_CASE(matmul_gradient_rank4) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 1, 3, 4}, {3, 4, 2}}, {{2, 3, 2, 4}, {1, 1, 4, 2}}, {{2, 3, 2, 4}, {4, 3}}, {{3, 4}, {2, 3, 4, 2}},
      {{1, 3, 2, 4}, {2, 1, 4, 3}}, {{2, 2, 2, 3}, {2, 2, 3, 2}}, {{4}, {2, 3, 4, 2}}, {{2, 3, 2, 4}, {4}},
      {{2, 1, 1, 2, 3}, {2, 1, 3, 2}}};
  for (const auto& [sa, sb] : cases)
    BOOST_TEST_CONTEXT(shape_str(sa) << " x " << shape_str(sb)) {
      check_gradient([](const In& x) { return matmul(x[0], x[1]); }, {leaf(sa, 1), leaf(sb, 2)});
    }
}

BOOST_AUTO_TEST_CASE(matmul_gradgradcheck_rank4) {
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({2, 1, 2, 3}, 1), leaf({2, 3, 2}, 2)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({1, 2, 2, 3}, 3), leaf({2, 1, 3, 2}, 4)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({3}, 5), leaf({2, 2, 3, 2}, 6)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({2, 2, 2, 3}, 7), leaf({3}, 8)});
}

BOOST_AUTO_TEST_CASE(matmul_rejects_rank4_mismatch) {
  check_throws([] { matmul(zeros({2, 2, 3, 4}), zeros({3, 4, 2})); },
               {"matmul: cannot multiply [2, 2, 3, 4] by [3, 4, 2] (batch dims [2, 2] and [3] do not broadcast)"});
  check_throws([] { matmul(zeros({2, 1, 3, 4}), zeros({3, 5, 2})); }, {"matmul: cannot multiply [2, 1, 3, 4] by [3, 5, 2]"});
  check_throws([] { matmul(zeros({5}), zeros({2, 3, 4, 5})); }, {"matmul: cannot multiply [5] by [2, 3, 4, 5]"});
  check_throws([] { matmul(zeros({1, 1, 2, 2}), zeros({1, 1, 2, 2}, kFloat64)); },
               {"matmul: dtypes differ: float32 [1, 1, 2, 2] and float64 [1, 1, 2, 2]"});
}

// ---- bmm ---------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(bmm_value) {
  // [[1, 2]]·[[3], [4]] = 11 and [[5, 6]]·[[7], [8]] = 83
  const Tensor c = bmm(from_vector({1, 2, 5, 6}, {2, 1, 2}, kFloat64), from_vector({3, 4, 7, 8}, {2, 2, 1}, kFloat64));
  BOOST_TEST(shape_str(c.shape()) == "[2, 1, 1]");
  BOOST_TEST(c.to_vector() == std::vector<double>({11, 83}), boost::test_tools::per_element());
  check_parity("bmm", [](const In& x) { return bmm(x[0], x[1]); }, {"P", "Q"});
  check_parity("bmm", [](const In& x) { return x[0].bmm(x[1]); }, {"P", "Q"});
}

BOOST_AUTO_TEST_CASE(bmm_gradient) {
  check_gradient([](const In& x) { return bmm(x[0], x[1]); }, {leaf({3, 2, 4}, 1), leaf({3, 4, 2}, 2)});
  check_gradient([](const In& x) { return bmm(x[0], x[1]); }, {leaf({1, 3, 1}, 3), leaf({1, 1, 3}, 4)});
  check_gradgrad([](const In& x) { return bmm(x[0], x[1]); }, {leaf({2, 2, 3}, 5), leaf({2, 3, 2}, 6)});
}

BOOST_AUTO_TEST_CASE(bmm_rejects_bad_shapes) {
  check_throws([] { bmm(zeros({2, 3, 4}), zeros({3, 5, 6})); }, {"bmm: cannot multiply [2, 3, 4] by [3, 5, 6]"});
  // matmul would broadcast a batch of 1; bmm does not.
  check_throws([] { bmm(zeros({1, 3, 4}), zeros({2, 4, 6})); },
               {"bmm: cannot multiply [1, 3, 4] by [2, 4, 6] (batch sizes 1 and 2 differ; bmm does not broadcast)"});
  check_throws([] { bmm(zeros({2, 3, 4}), zeros({2, 5, 6})); }, {"bmm: cannot multiply [2, 3, 4] by [2, 5, 6]"});
  check_throws([] { bmm(zeros({3, 4}), zeros({2, 4, 6})); }, {"bmm: cannot multiply [3, 4] by [2, 4, 6]", "3-D"});
  check_throws([] { bmm(zeros({1, 2, 3, 4}), zeros({1, 2, 4, 6})); }, {"bmm", "[1, 2, 3, 4]", "3-D"});
  check_throws([] { bmm(zeros({2, 3, 4}), zeros({2, 4, 6}, kFloat64)); }, {"bmm: dtypes differ", "float32", "float64"});
  check_throws([] { bmm(zeros({2, 3, 4}, kInt64), zeros({2, 4, 6}, kInt64)); }, {"bmm", "int64"});
}

// ---- baddbmm -----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(baddbmm_value) {
  check_parity("baddbmm", [](const In& x) { return baddbmm(x[0], x[1], x[2], kBeta, kAlpha); }, {"I", "P", "Q"});
  check_parity("baddbmm", [](const In& x) { return x[0].baddbmm(x[1], x[2], kBeta, kAlpha); }, {"I", "P", "Q"});
  // Defaults β = α = 1: input + bmm. [[1, 2]]·[[3], [4]] = 11, [[5, 6]]·[[7], [8]] = 83.
  const Tensor p = from_vector({1, 2, 5, 6}, {2, 1, 2}, kFloat64), q = from_vector({3, 4, 7, 8}, {2, 2, 1}, kFloat64);
  BOOST_TEST(baddbmm(from_vector({10}, {1}, kFloat64), p, q).to_vector() == std::vector<double>({21, 93}),
             boost::test_tools::per_element());
  // β = 0 ignores the input: its NaN does not reach the result (PyTorch documents this).
  const Tensor nan_input = full({2, 1, 1}, std::numeric_limits<double>::quiet_NaN(), kFloat64);
  BOOST_TEST(baddbmm(nan_input, p, q, 0.0, 2.0).to_vector() == std::vector<double>({22, 166}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(baddbmm_gradient) {
  auto f = [](const In& x) { return baddbmm(x[0], x[1], x[2], kBeta, kAlpha); };
  for (const Shape& si : {Shape{2, 3, 4}, Shape{3, 4}, Shape{3, 1}, Shape{1, 1, 4}, Shape{}})
    BOOST_TEST_CONTEXT("input " << shape_str(si)) {
      check_gradient(f, {leaf(si, 1), leaf({2, 3, 2}, 2), leaf({2, 2, 4}, 3)});
    }
  check_gradient([](const In& x) { return baddbmm(x[0], x[1], x[2]); }, {leaf({2, 3, 4}, 4), leaf({2, 3, 2}, 5), leaf({2, 2, 4}, 6)});
  check_gradgrad(f, {leaf({3, 1}, 7), leaf({2, 3, 2}, 8), leaf({2, 2, 2}, 9)});
}

BOOST_AUTO_TEST_CASE(baddbmm_rejects_bad_inputs) {
  check_throws([] { baddbmm(zeros({2, 3, 6}), zeros({2, 3, 4}), zeros({3, 5, 6})); },
               {"baddbmm: cannot multiply [2, 3, 4] by [3, 5, 6]"});
  check_throws([] { baddbmm(zeros({4, 6}), zeros({2, 3, 4}), zeros({2, 4, 6})); },
               {"baddbmm: input [4, 6] does not broadcast to [2, 3, 6]"});
  check_throws([] { baddbmm(zeros({1, 2, 3, 6}), zeros({2, 3, 4}), zeros({2, 4, 6})); },
               {"baddbmm: input [1, 2, 3, 6] does not broadcast to [2, 3, 6]"});
  check_throws([] { baddbmm(zeros({6}, kFloat64), zeros({2, 3, 4}), zeros({2, 4, 6})); },
               {"baddbmm: dtypes differ", "float64 [6]", "float32 [2, 3, 4]"});
  check_throws([] { baddbmm(zeros({6}), zeros({3, 4}), zeros({4, 6})); }, {"baddbmm", "3-D"});
}

// ---- outer -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(outer_value) {
  const Tensor o = outer(from_vector({1, 2}, {2}, kFloat64), from_vector({3, 4, 5}, {3}, kFloat64));
  BOOST_TEST(shape_str(o.shape()) == "[2, 3]");
  BOOST_TEST(o.to_vector() == std::vector<double>({3, 4, 5, 6, 8, 10}), boost::test_tools::per_element());
  check_parity("outer", [](const In& x) { return outer(x[0], x[1]); }, {"v4", "v5"});
  check_parity("outer", [](const In& x) { return x[0].outer(x[1]); }, {"v4", "v5"});
  check_parity("outer", [](const In& x) { return ger(x[0], x[1]); }, {"v4", "v5"});
  // Promotes like mul, as torch.outer does.
  BOOST_TEST(outer(ones({2}), ones({3}, kFloat64)).dtype() == kFloat64);
}

BOOST_AUTO_TEST_CASE(outer_gradient) {
  check_gradient([](const In& x) { return outer(x[0], x[1]); }, {leaf({3}, 1), leaf({4}, 2)});
  check_gradgrad([](const In& x) { return outer(x[0], x[1]); }, {leaf({3}, 3), leaf({2}, 4)});
}

BOOST_AUTO_TEST_CASE(outer_rejects_bad_shapes) {
  check_throws([] { outer(zeros({2, 3}), zeros({3})); }, {"outer: 1D tensors expected, got [2, 3] and [3]"});
  check_throws([] { outer(zeros({2}), scalar_tensor(1)); }, {"outer: 1D tensors expected, got [2] and []"});
  check_throws([] { outer(Tensor(), zeros({3})); }, {"outer", "undefined"});
}

// ---- dot -----------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(dot_value) {
  const Tensor d = dot(from_vector({1, 2, 3}, {3}, kFloat64), from_vector({4, -5, 6}, {3}, kFloat64));
  BOOST_TEST(d.dim() == 0);
  BOOST_TEST(d.item() == 12.0);  // 4 − 10 + 18
  check_parity("dot", [](const In& x) { return dot(x[0], x[1]); }, {"v4", "w4"});
  check_parity("dot", [](const In& x) { return x[0].dot(x[1]); }, {"v4", "w4"});
}

BOOST_AUTO_TEST_CASE(dot_gradient) {
  check_gradient([](const In& x) { return dot(x[0], x[1]); }, {leaf({5}, 1), leaf({5}, 2)});
  check_gradgrad([](const In& x) { return dot(x[0], x[1]); }, {leaf({4}, 3), leaf({4}, 4)});
  check_gradgrad([](const In& x) { return dot(x[0], x[0]); }, {leaf({3}, 5)});
}

BOOST_AUTO_TEST_CASE(dot_rejects_bad_inputs) {
  check_throws([] { dot(zeros({2, 3}), zeros({3})); }, {"dot: 1D tensors expected, got [2, 3] and [3]"});
  check_throws([] { dot(zeros({3}), zeros({4})); }, {"dot: cannot multiply [3] by [4]"});
  check_throws([] { dot(zeros({3}), zeros({3}, kFloat64)); }, {"dot: dtypes differ: float32 [3] and float64 [3]"});
  check_throws([] { dot(zeros({3}, kInt64), zeros({3}, kInt64)); }, {"dot", "int64"});
}

// ---- mv ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(mv_value) {
  const Tensor y = mv(from_vector({1, 0, 2, 0, 1, -1}, {2, 3}, kFloat64), from_vector({1, 2, 3}, {3}, kFloat64));
  BOOST_TEST(shape_str(y.shape()) == "[2]");
  BOOST_TEST(y.to_vector() == std::vector<double>({7, -1}), boost::test_tools::per_element());
  check_parity("mv", [](const In& x) { return mv(x[0], x[1]); }, {"M", "v4"});
  check_parity("mv", [](const In& x) { return x[0].mv(x[1]); }, {"M", "v4"});
}

BOOST_AUTO_TEST_CASE(mv_gradient) {
  check_gradient([](const In& x) { return mv(x[0], x[1]); }, {leaf({3, 4}, 1), leaf({4}, 2)});
  check_gradgrad([](const In& x) { return mv(x[0], x[1]); }, {leaf({2, 3}, 3), leaf({3}, 4)});
}

BOOST_AUTO_TEST_CASE(mv_rejects_bad_inputs) {
  check_throws([] { mv(zeros({2, 3}), zeros({4})); }, {"mv: cannot multiply [2, 3] by [4]"});
  check_throws([] { mv(zeros({2, 3}), zeros({3, 1})); }, {"mv: expected a 2-D matrix and a 1-D vector, got [2, 3] and [3, 1]"});
  check_throws([] { mv(zeros({3}), zeros({3})); }, {"mv: expected a 2-D matrix and a 1-D vector, got [3] and [3]"});
  check_throws([] { mv(zeros({2, 3}), zeros({3}, kFloat64)); }, {"mv: dtypes differ: float32 [2, 3] and float64 [3]"});
}

// ---- einsum --------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(einsum_value) {
  check_parity("einsum_attention", [](const In& x) { return einsum("bhqd,bhkd->bhqk", x); }, {"X", "Y"});
  check_parity("einsum_sum_first", [](const In& x) { return einsum("ijk,jl->il", x); }, {"T", "U"});
  check_parity("einsum_implicit", [](const In& x) { return einsum("ij,jk", x); }, {"E", "F"});
  check_parity("einsum_one", [](const In& x) { return einsum("bij->jb", x); }, {"T"});
  // Hand-computed: [[1, 2], [3, 4]] contracted with itself over both labels = 1 + 4 + 9 + 16.
  const Tensor m = from_vector({1, 2, 3, 4}, {2, 2}, kFloat64);
  BOOST_TEST(einsum("ij,ij->", {m, m}).item() == 30.0);
  BOOST_TEST(einsum("ij->ji", {m}).to_vector() == std::vector<double>({1, 3, 2, 4}), boost::test_tools::per_element());
  BOOST_TEST(einsum("i j -> j", {m}).to_vector() == std::vector<double>({4, 6}), boost::test_tools::per_element());
  // Implicit output "Ab": upper-case labels sort before lower-case ones.
  BOOST_TEST(shape_str(einsum("bA", {zeros({2, 3})}).shape()) == "[3, 2]");
  const Tensor v = from_vector({1, 2}, {2}, kFloat64), w = from_vector({3, 4, 5}, {3}, kFloat64);
  BOOST_TEST(einsum("i,j->ij", {v, w}).to_vector() == std::vector<double>({3, 4, 5, 6, 8, 10}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(einsum_gradient) {
  const std::vector<std::tuple<std::string, Shape, Shape>> cases = {
      {"bhqd,bhkd->bhqk", {2, 1, 2, 3}, {2, 1, 4, 3}}, {"ijk,jl->li", {2, 3, 2}, {3, 2}}, {"ij,jk", {2, 3}, {3, 2}},
      {"i,i->", {4}, {4}}, {"bij,bjk->bki", {2, 2, 3}, {2, 3, 2}}, {"ik,jl->ijkl", {2, 2}, {3, 1}}};
  for (const auto& [equation, sa, sb] : cases)
    BOOST_TEST_CONTEXT(equation) {
      const std::string eq = equation;
      check_gradient([eq](const In& x) { return einsum(eq, x); }, {leaf(sa, 1), leaf(sb, 2)});
    }
  check_gradient([](const In& x) { return einsum("bij->jb", x); }, {leaf({2, 3, 2}, 3)});
  check_gradgrad([](const In& x) { return einsum("bij,bkj->bik", x); }, {leaf({2, 2, 3}, 4), leaf({2, 2, 3}, 5)});
  check_gradgrad([](const In& x) { return einsum("ijk,jl->il", x); }, {leaf({2, 2, 2}, 6), leaf({2, 3}, 7)});
}

BOOST_AUTO_TEST_CASE(einsum_rejects_bad_equations) {
  const Tensor m = zeros({2, 3});
  check_throws([&] { einsum("ij,jk->ik", {m, zeros({4, 2})}); },
               {"einsum: \"ij,jk->ik\": label 'j' has size 3 in operand 0 [2, 3] but 4 in operand 1 [4, 2]"});
  check_throws([&] { einsum("ijk->i", {m}); }, {"einsum", "operand 0 [2, 3] has 2 dims but its subscript \"ijk\" names 3"});
  check_throws([&] { einsum("ii->i", {zeros({2, 2})}); }, {"einsum", "label 'i' repeats in operand 0", "diagonal"});
  check_throws([&] { einsum("...ij->ij", {m}); }, {"einsum", "ellipsis"});
  check_throws([&] { einsum("ij,jk->iz", {m, zeros({3, 2})}); }, {"einsum", "output label 'z' names no operand dim"});
  check_throws([&] { einsum("ij,jk->ii", {m, zeros({3, 2})}); }, {"einsum", "output label 'i' repeats"});
  check_throws([&] { einsum("ij,jk", {m}); }, {"einsum", "names 2 operands but 1 were given"});
  check_throws([&] { einsum("i,i,i", {zeros({2}), zeros({2}), zeros({2})}); }, {"einsum", "one or two operands"});
  check_throws([&] { einsum("ij,jk", {m, zeros({3, 2}, kFloat64)}); }, {"einsum", "dtypes differ", "float32 [2, 3]"});
  // PyTorch broadcasts a shared label of size 1; here it must match (documented departure).
  check_throws([&] { einsum("ij,jk", {zeros({2, 1}), zeros({3, 4})}); }, {"einsum", "label 'j' has size 1"});
}
