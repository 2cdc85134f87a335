#define BOOST_TEST_MODULE autograd_gradgrad_ops
// gradgradcheck (second derivatives against float64 central differences of the first-order
// backward) for every tensor op, as the first-order gradchecks in test_ops_*.cpp.
#include "gradgrad_helpers.hpp"

using namespace xg;
using xg::testing::check_gradgrad;
using xg::testing::check_gradgrad_multi;
using xg::testing::leaf;
using xg::testing::leaf_away_from_zero;
using In = std::vector<Tensor>;

// ---- unary ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(unary_gradgrad) {
  check_gradgrad([](const In& x) { return neg(x[0]); }, {leaf({2, 3}, 1)});
  check_gradgrad([](const In& x) { return exp(x[0]); }, {leaf({2, 3}, 2)});
  check_gradgrad([](const In& x) { return log(x[0]); }, {leaf({2, 3}, 3, 0.5, 2.0)});
  check_gradgrad([](const In& x) { return sqrt(x[0]); }, {leaf({2, 3}, 4, 0.5, 2.0)});
  check_gradgrad([](const In& x) { return tanh(x[0]); }, {leaf({2, 3}, 5)});
  check_gradgrad([](const In& x) { return sigmoid(x[0]); }, {leaf({2, 3}, 6)});
  check_gradgrad([](const In& x) { return mul(relu(x[0]), x[0]); }, {leaf_away_from_zero({2, 3}, 7)});
  check_gradgrad([](const In& x) { return mul(abs(x[0]), x[0]); }, {leaf_away_from_zero({2, 3}, 8)});
  check_gradgrad([](const In& x) { return pow(x[0], 3.0); }, {leaf({2, 3}, 9)});
  check_gradgrad([](const In& x) { return pow(x[0], -1.5); }, {leaf({2, 3}, 10, 0.5, 2.0)});
  check_gradgrad([](const In& x) { return pow(x[0], 0.0); }, {leaf({2}, 11)});
  check_gradgrad([](const In& x) { return mul(clamp(x[0], -0.5, 0.5), x[0]); }, {leaf_away_from_zero({2, 3}, 12)});
  check_gradgrad([](const In& x) { return mul(clamp_min(x[0], 0.1), x[0]); }, {leaf_away_from_zero({2, 3}, 13)});
  check_gradgrad([](const In& x) { return mul(clamp_max(x[0], 0.1), x[0]); }, {leaf_away_from_zero({2, 3}, 14)});
}

// ---- binary ---------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(binary_gradgrad) {
  for (const Shape& sb : {Shape{2, 3}, Shape{3}, Shape{2, 1}, Shape{}}) {
    BOOST_TEST_CONTEXT("b shape " << shape_str(sb)) {
      check_gradgrad([](const In& x) { return add(x[0], x[1]); }, {leaf({2, 3}, 20), leaf(sb, 21)});
      check_gradgrad([](const In& x) { return sub(x[1], x[0]); }, {leaf({2, 3}, 22), leaf(sb, 23)});
      check_gradgrad([](const In& x) { return mul(x[0], x[1]); }, {leaf({2, 3}, 24), leaf(sb, 25)});
      check_gradgrad([](const In& x) { return div(x[0], x[1]); }, {leaf({2, 3}, 26), leaf_away_from_zero(sb, 27)});
      check_gradgrad([](const In& x) { return div(x[1], x[0]); }, {leaf_away_from_zero({2, 3}, 28), leaf(sb, 29)});
      check_gradgrad([](const In& x) { return mul(maximum(x[0], x[1]), x[0]); }, {leaf({2, 3}, 30), leaf(sb, 31)});
      check_gradgrad([](const In& x) { return mul(minimum(x[0], x[1]), x[1]); }, {leaf({2, 3}, 32), leaf(sb, 33)});
    }
  }
  check_gradgrad([](const In& x) { return mul(x[0], x[0]); }, {leaf({3}, 34)});  // the same tensor twice
  check_gradgrad([](const In& x) { return add(x[0], 2.0) * x[0]; }, {leaf({3}, 35)});
  check_gradgrad([](const In& x) { return sub(x[0], 2.0) * x[0]; }, {leaf({3}, 36)});
  check_gradgrad([](const In& x) { return rsub(2.0, x[0]) * x[0]; }, {leaf({3}, 37)});
  check_gradgrad([](const In& x) { return mul(x[0], 3.0) * x[0]; }, {leaf({3}, 38)});
  check_gradgrad([](const In& x) { return div(x[0], 3.0) * x[0]; }, {leaf({3}, 39)});
  check_gradgrad([](const In& x) { return rdiv(2.0, x[0]); }, {leaf_away_from_zero({3}, 40)});
}

// ---- reductions -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reduce_gradgrad) {
  auto sq = [](const Tensor& t) { return mul(t, t); };  // makes the second derivative non-zero
  check_gradgrad([sq](const In& x) { return sq(sum(x[0])); }, {leaf({2, 3}, 50)});
  check_gradgrad([sq](const In& x) { return sq(sum(x[0], {1})); }, {leaf({2, 3, 2}, 51)});
  check_gradgrad([sq](const In& x) { return sq(sum(x[0], {0, 2}, true)); }, {leaf({2, 3, 2}, 52)});
  check_gradgrad([sq](const In& x) { return sq(mean(x[0])); }, {leaf({2, 3}, 53)});
  check_gradgrad([sq](const In& x) { return sq(mean(x[0], {-1}, true)); }, {leaf({2, 3}, 54)});
  check_gradgrad([sq](const In& x) { return sq(max(x[0], 1).first); }, {leaf({3, 4, 2}, 55)});
  check_gradgrad([sq](const In& x) { return sq(min(x[0], 0, true).first); }, {leaf({3, 4, 2}, 57)});
  check_gradgrad([sq](const In& x) { return sq(max(x[0], 0, true).first); }, {leaf({3, 4}, 56)});
  check_gradgrad([](const In& x) { return logsumexp(x[0], 1); }, {leaf({3, 4, 2}, 57)});
  check_gradgrad([](const In& x) { return logsumexp(x[0], -1, true); }, {leaf({3, 4}, 58)});
}

// ---- shapes and slices ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(shape_gradgrad) {
  auto sq = [](const Tensor& t) { return mul(t, t); };
  check_gradgrad([sq](const In& x) { return sq(reshape(x[0], {3, 2})); }, {leaf({2, 3}, 60)});
  check_gradgrad([sq](const In& x) { return sq(view(x[0], {-1})); }, {leaf({2, 3}, 61)});
  check_gradgrad([sq](const In& x) { return sq(flatten(x[0])); }, {leaf({2, 3, 2}, 62)});
  check_gradgrad([sq](const In& x) { return sq(squeeze(x[0])); }, {leaf({2, 1, 3}, 63)});
  check_gradgrad([sq](const In& x) { return sq(unsqueeze(x[0], 1)); }, {leaf({2, 3}, 64)});
  check_gradgrad([sq](const In& x) { return sq(transpose(x[0], 0, 2)); }, {leaf({2, 3, 2}, 65)});
  check_gradgrad([sq](const In& x) { return sq(permute(x[0], {1, 2, 0})); }, {leaf({2, 3, 2}, 66)});
  check_gradgrad([sq](const In& x) { return sq(expand(x[0], {2, 2, 3})); }, {leaf({2, 1, 3}, 67)});
  check_gradgrad([sq](const In& x) { return sq(expand(x[0], {4, 3})); }, {leaf({3}, 68)});
}

BOOST_AUTO_TEST_CASE(slice_gradgrad) {
  auto sq = [](const Tensor& t) { return mul(t, t); };
  check_gradgrad([sq](const In& x) { return sq(select(x[0], 1, 2)); }, {leaf({2, 3, 2}, 70)});
  check_gradgrad([sq](const In& x) { return sq(narrow(x[0], 1, 1, 2)); }, {leaf({2, 4}, 71)});
  check_gradgrad([sq](const In& x) { return sq(slice(x[0], 0, 0, 5, 2)); }, {leaf({5, 2}, 72)});
  check_gradgrad_multi([sq](const In& x) {
    std::vector<Tensor> parts = split(x[0], 2, 1);
    for (Tensor& p : parts) p = sq(p);
    return parts;
  }, {leaf({2, 5}, 73)});
  check_gradgrad_multi([sq](const In& x) {
    std::vector<Tensor> parts = chunk(x[0], 2, 0);
    for (Tensor& p : parts) p = sq(p);
    return parts;
  }, {leaf({3, 2}, 74)});
  check_gradgrad_multi([sq](const In& x) {
    std::vector<Tensor> parts = unbind(x[0], 1);
    for (Tensor& p : parts) p = sq(p);
    return parts;
  }, {leaf({2, 3, 2}, 75)});
  check_gradgrad([sq](const In& x) { return sq(cat({x[0], x[1]}, 1)); }, {leaf({2, 3}, 76), leaf({2, 1}, 77)});
  check_gradgrad([sq](const In& x) { return sq(stack({x[0], x[1]}, 1)); }, {leaf({2, 3}, 78), leaf({2, 3}, 79)});
  const Tensor index = from_vector({2, 0, 2}, {3}, kInt64);
  check_gradgrad([sq, index](const In& x) { return sq(index_select(x[0], 1, index)); }, {leaf({2, 3, 2}, 80)});
}

// ---- nn and linear algebra ops --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nn_ops_gradgrad) {
  check_gradgrad([](const In& x) { return softmax(x[0], 1); }, {leaf({2, 4, 2}, 90)});
  check_gradgrad([](const In& x) { return softmax(x[0], -1); }, {leaf({3, 4}, 91)});
  check_gradgrad([](const In& x) { return log_softmax(x[0], 1); }, {leaf({2, 4, 2}, 92)});
  check_gradgrad([](const In& x) { return log_softmax(x[0], 0); }, {leaf({4}, 93)});
  check_gradgrad([](const In& x) {
    Generator g(7);  // the same mask at every evaluation
    return mul(dropout(x[0], 0.4, true, g), x[0]);
  }, {leaf({3, 4}, 94)});
  const Tensor ids = from_vector({1, 3, 1, 0}, {2, 2}, kInt64);
  check_gradgrad([ids](const In& x) { Tensor e = embedding(ids, x[0]); return mul(e, e); }, {leaf({4, 3}, 95)});
  check_gradgrad([ids](const In& x) { Tensor e = embedding(ids, x[0], 1); return mul(e, e); }, {leaf({4, 3}, 96)});
}

BOOST_AUTO_TEST_CASE(linalg_ops_gradgrad) {
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({2, 3}, 100), leaf({3, 2}, 101)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({3}, 102), leaf({3, 2}, 103)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({2, 3}, 104), leaf({3}, 105)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({3}, 106), leaf({3}, 107)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({2, 2, 3}, 108), leaf({3, 2}, 109)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({1, 2, 3}, 110), leaf({2, 3, 2}, 111)});
  check_gradgrad([](const In& x) { return matmul(x[0], x[1]); }, {leaf({3}, 112), leaf({2, 3, 2}, 113)});
  check_gradgrad([](const In& x) { return matmul(tanh(x[0]), x[0]); }, {leaf({3, 3}, 114)});
  check_gradgrad([](const In& x) { return linear(x[0], x[1], x[2]); },
                 {leaf({2, 3, 4}, 115), leaf({2, 4}, 116), leaf({2}, 117)});
  check_gradgrad([](const In& x) { return linear(x[0], x[1]); }, {leaf({4}, 118), leaf({2, 4}, 119)});
  check_gradgrad([](const In& x) { return addmm(x[0], x[1], x[2]); },
                 {leaf({3}, 120), leaf({2, 4}, 121), leaf({4, 3}, 122)});
  check_gradgrad([](const In& x) { return addmm(x[0], x[1], x[2]); },
                 {leaf({2, 1}, 123), leaf({2, 4}, 124), leaf({4, 3}, 125)});
}
