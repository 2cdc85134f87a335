#define BOOST_TEST_MODULE autograd_gradgrad_tensor_api
// gradgradcheck (second derivatives against float64 central differences of the first-order
// backward) for the tensor-API ops added after test_autograd_gradgrad_ops.cpp: where/masked_*,
// indexing and take, the recorded in-place ops on non-leaves, dtype conversion and promotion,
// clone. Each op is wrapped in something nonlinear (sq, or a product with an input) so its
// second derivative is not trivially zero and a backward closure computed outside the graph
// shows up as an error or a wrong value.
#include "gradgrad_helpers.hpp"

using namespace xg;
using xg::indexing::Ellipsis;
using xg::indexing::None;
using xg::indexing::Slice;
using xg::testing::check_gradgrad;
using xg::testing::leaf;
using xg::testing::leaf_away_from_zero;
using In = std::vector<Tensor>;

namespace {
Tensor sq(const Tensor& t) { return mul(t, t); }

// A fixed bool tensor (1 = true), for masks and conditions.
Tensor mask_of(const std::vector<double>& bits, const Shape& shape) { return from_vector(bits, shape, kBool); }

// A float32 round trip rounds values and the gradients flowing back through it to ~6e-8 relative;
// central differences divide that rounding by 2·eps, which at the default eps 1e-6 is a slope
// error of several percent. The functions checked with these options are polynomials of degree
// ≤ 2 in each input, whose first derivatives are linear in each input, so central differences
// are exact at any eps: eps 1e-2 leaves only the rounding, at most ulp(|gradient| ≤ 8) / 2·eps
// ≈ 5e-5, under atol 1e-4 (a wrong second derivative is off by O(1)).
GradcheckOptions float32_round_trip() {
  GradcheckOptions o;
  o.eps = 1e-2;
  o.atol = 1e-4;
  return o;
}
}  // namespace

// ---- where, masked_fill, masked_select ------------------------------------------------------

BOOST_AUTO_TEST_CASE(where_gradgrad) {
  const Tensor c = mask_of({1, 0, 1, 0, 0, 1}, {2, 3});
  check_gradgrad([c](const In& x) { return sq(where(c, x[0], x[1])); }, {leaf({2, 3}, 200), leaf({2, 3}, 201)});
  // Broadcast operands: each gradient is summed back to its operand's shape.
  check_gradgrad([c](const In& x) { return mul(where(c, x[0], x[1]), x[0]); }, {leaf({2, 3}, 202), leaf({3}, 203)});
  check_gradgrad([c](const In& x) { return sq(where(c, x[0], x[1])); }, {leaf({2, 1}, 204), leaf({}, 205)});
  check_gradgrad([c](const In& x) { return sq(where(c, x[0], 0.5)); }, {leaf({2, 3}, 206)});
  check_gradgrad([c](const In& x) { return sq(where(c, -1.5, x[0])); }, {leaf({2, 3}, 207)});
  // The condition computed from the input itself (x > 0): piecewise, sampled away from 0.
  check_gradgrad([](const In& x) { return where(gt(x[0], 0.0), sq(x[0]), mul(x[0], 3.0)); },
                 {leaf_away_from_zero({2, 3}, 208)});
}

BOOST_AUTO_TEST_CASE(masked_fill_gradgrad) {
  const Tensor m = mask_of({0, 1, 1, 0, 0, 1}, {2, 3});
  check_gradgrad([m](const In& x) { return sq(masked_fill(x[0], m, 0.25)); }, {leaf({2, 3}, 210)});
  // A broadcast mask (one row for every row of x).
  const Tensor row = mask_of({1, 0, 1}, {3});
  check_gradgrad([row](const In& x) { return mul(masked_fill(x[0], row, 2.0), x[0]); }, {leaf({2, 3}, 211)});
  // A 0-dim value that requires grad: its gradient is the sum of g over the filled positions.
  check_gradgrad([m](const In& x) { return mul(masked_fill(x[0], m, x[1]), x[0]); }, {leaf({2, 3}, 212), leaf({}, 213)});
  check_gradgrad([m](const In& x) { return sq(x[0].masked_fill(m, sq(x[1]))); }, {leaf({2, 3}, 214), leaf({}, 215)});
}

BOOST_AUTO_TEST_CASE(masked_select_gradgrad) {
  const Tensor m = mask_of({0, 1, 1, 0, 1, 1}, {2, 3});
  check_gradgrad([m](const In& x) { return sq(masked_select(x[0], m)); }, {leaf({2, 3}, 220)});
  // A mask that broadcasts x (x's one row is picked from twice: the gradients add up).
  check_gradgrad([m](const In& x) { return sq(masked_select(x[0], m)); }, {leaf({3}, 221)});
  check_gradgrad([m](const In& x) { return mul(x[0].masked_select(m), masked_select(x[1], m)); },
                 {leaf({2, 3}, 222), leaf({2, 3}, 223)});
}

// ---- indexing -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(index_basic_gradgrad) {
  check_gradgrad([](const In& x) { return sq(x[0].index({Slice(1, None), 0})); }, {leaf({3, 2, 2}, 230)});
  check_gradgrad([](const In& x) { return sq(x[0].index({Slice(None, None, 2), Slice(-2, None)})); }, {leaf({5, 3}, 231)});
  check_gradgrad([](const In& x) { return sq(x[0].index({-1})); }, {leaf({3, 2}, 232)});
  check_gradgrad([](const In& x) { return sq(x[0].index({None, Ellipsis, 1})); }, {leaf({2, 3, 2}, 233)});
  check_gradgrad([](const In& x) { return sq(x[0].index({Ellipsis, None, Slice(0, 2)})); }, {leaf({2, 3}, 234)});
  check_gradgrad([](const In& x) { return mul(x[0][1], x[0][0]); }, {leaf({2, 3}, 235)});
}

BOOST_AUTO_TEST_CASE(index_tensor_gradgrad) {
  // Repeated and negative positions: the backward adds the gradient of each pick.
  const Tensor rows = from_vector({2, 0, -1, 0}, {4}, kInt64);
  check_gradgrad([rows](const In& x) { return sq(x[0].index({rows})); }, {leaf({3, 2}, 240)});
  check_gradgrad([rows](const In& x) { return sq(x[0].index({Slice(), rows})); }, {leaf({2, 3}, 241)});
  // Two index tensors broadcast together, at adjacent and at separated dims (PyTorch's placement).
  const Tensor i = from_vector({1, 0}, {2, 1}, kInt64), j = from_vector({2, 2, 0}, {3}, kInt64);
  check_gradgrad([i, j](const In& x) { return sq(x[0].index({i, j})); }, {leaf({2, 3, 2}, 242)});
  check_gradgrad([i, j](const In& x) { return sq(x[0].index({i, Slice(), j})); }, {leaf({2, 2, 3}, 243)});
  check_gradgrad([i, j](const In& x) { return sq(x[0].index({Slice(), i, j})); }, {leaf({2, 2, 3}, 244)});
  // A bool mask over the leading dims, alone and after a slice.
  const Tensor m = mask_of({1, 0, 1, 1, 0, 0}, {2, 3});
  check_gradgrad([m](const In& x) { return sq(x[0].index({m})); }, {leaf({2, 3, 2}, 245)});
  const Tensor m1 = mask_of({0, 1, 1}, {3});
  check_gradgrad([m1](const In& x) { return sq(x[0].index({Ellipsis, m1})); }, {leaf({2, 3}, 246)});
  const Tensor flat = from_vector({5, 0, 5, -2}, {2, 2}, kInt64);
  check_gradgrad([flat](const In& x) { return sq(take(x[0], flat)); }, {leaf({2, 3}, 247)});
}

BOOST_AUTO_TEST_CASE(index_put_gradgrad) {
  // Into a non-leaf copy of x: the written positions get no gradient from x, the value gets g there.
  check_gradgrad([](const In& x) {
    Tensor y = mul(x[0], x[0]);
    y.index_put_({Slice(), 1}, x[1]);
    return mul(y, x[0]);
  }, {leaf({2, 3}, 250), leaf({2}, 251)});
  const Tensor rows = from_vector({2, 0}, {2}, kInt64);
  check_gradgrad([rows](const In& x) {
    Tensor y = x[0] * 1.0;
    y.index_put_({rows}, sq(x[1]));  // a value broadcast to the indexed rows
    return sq(y);
  }, {leaf({3, 2}, 252), leaf({2}, 253)});
  const Tensor m = mask_of({1, 0, 0, 1}, {2, 2});
  check_gradgrad([m](const In& x) {
    Tensor y = sq(x[0]);
    y.index_put_({m}, 0.5);
    return mul(y, x[0]);
  }, {leaf({2, 2}, 254)});
}

// ---- in-place ops on non-leaves -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(in_place_arithmetic_gradgrad) {
  check_gradgrad([](const In& x) { Tensor y = x[0] * 1.0; y.mul_(x[0]); return y; }, {leaf({2, 3}, 260)});
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.add_(x[1], 2.5); return mul(y, x[1]); },
                 {leaf({2, 3}, 261), leaf({3}, 262)});
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.sub_(x[1], -0.5); return sq(y); },
                 {leaf({2, 3}, 263), leaf({2, 3}, 264)});
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.div_(x[1]); return y; },
                 {leaf({2, 3}, 265), leaf_away_from_zero({2, 3}, 266)});
  check_gradgrad([](const In& x) { Tensor y = x[0] * 1.0; y.mul_(x[1]); return mul(y, x[0]); },
                 {leaf({2, 3}, 267), leaf({2, 1}, 268)});
  // The scalar overloads and the compound assignments.
  check_gradgrad([](const In& x) {
    Tensor y = sq(x[0]);
    y.add_(1.5);
    y.sub_(0.25);
    y.mul_(-2.0);
    y.div_(3.0);
    return mul(y, x[0]);
  }, {leaf({2, 3}, 269)});
  check_gradgrad([](const In& x) {
    Tensor y = x[0] * 1.0;
    y *= x[0];
    y += x[1];
    y -= sq(x[1]);
    y /= x[1];
    return y;
  }, {leaf({2, 3}, 270), leaf_away_from_zero({2, 3}, 271)});
}

BOOST_AUTO_TEST_CASE(in_place_write_gradgrad) {
  // clamp_: only the unclamped elements pass the gradient (sampled away from the bounds).
  check_gradgrad([](const In& x) { Tensor y = x[0] * 1.0; y.clamp_(-0.5, 0.5); return mul(y, x[0]); },
                 {leaf_away_from_zero({2, 3}, 280)});
  check_gradgrad([](const In& x) { Tensor y = x[0] * 1.0; y.clamp_(0.1, std::nullopt); return sq(y); },
                 {leaf_away_from_zero({2, 3}, 281)});
  // copy_: the destination's old history gets nothing, the source everything (also across a
  // broadcast).
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.copy_(sq(x[1])); return mul(y, x[0]); },
                 {leaf({2, 3}, 282), leaf({3}, 283)});
  // fill_ and zero_ with a constant: the old values get a zero gradient, the rest of fn still flows.
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.fill_(2.0); return mul(y, sq(x[0])); }, {leaf({2, 3}, 284)});
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.zero_(); return add(y, sq(x[0])); }, {leaf({2, 3}, 285)});
  // fill_ with a 0-dim tensor that requires grad.
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.fill_(x[1]); return mul(y, x[0]); },
                 {leaf({2, 3}, 286), leaf({}, 287)});
  const Tensor m = mask_of({1, 0, 1, 0, 0, 1}, {2, 3});
  check_gradgrad([m](const In& x) { Tensor y = sq(x[0]); y.masked_fill_(m, -1.0); return mul(y, x[0]); },
                 {leaf({2, 3}, 288)});
  check_gradgrad([m](const In& x) { Tensor y = x[0] * 1.0; y.masked_fill_(m, sq(x[1])); return sq(y); },
                 {leaf({2, 3}, 289), leaf({}, 290)});
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.set({1, 2}, 4.0); return mul(y, x[0]); }, {leaf({2, 3}, 291)});
}

// ---- dtypes: conversion and promotion -------------------------------------------------------

BOOST_AUTO_TEST_CASE(to_dtype_gradgrad) {
  // float64 → float32 → float64 inside a float64 function: the backward converts back both ways.
  check_gradgrad([](const In& x) { return sq(x[0].to(kFloat32).to(kFloat64)); }, {leaf({2, 3}, 300)}, float32_round_trip());
  check_gradgrad([](const In& x) { return mul(sq(x[0].to(kFloat32)).to(kFloat64), x[1]); },
                 {leaf({2, 3}, 301), leaf({2, 3}, 302)}, float32_round_trip());
  // In-place writes across dtypes: a float64 result cast into a float32 tensor, a float32
  // source copied into a float64 one.
  check_gradgrad([](const In& x) { Tensor y = x[0].to(kFloat32); y.add_(sq(x[1])); return mul(y.to(kFloat64), x[1]); },
                 {leaf({2, 3}, 303), leaf({2, 3}, 304)}, float32_round_trip());
  check_gradgrad([](const In& x) { Tensor y = x[0] * 1.0; y.copy_(sq(x[1]).to(kFloat32)); return mul(y, x[0]); },
                 {leaf({2, 3}, 305), leaf({3}, 306)}, float32_round_trip());
  // index_put_ of a float32 value into a float64 tensor.
  check_gradgrad([](const In& x) { Tensor y = sq(x[0]); y.index_put_({0}, x[1].to(kFloat32)); return mul(y, x[0]); },
                 {leaf({2, 3}, 307), leaf({3}, 308)}, float32_round_trip());
}

BOOST_AUTO_TEST_CASE(type_promotion_gradgrad) {
  // float32 beside float64 promotes to float64 (the float32 operand converted differentiably).
  check_gradgrad([](const In& x) { return mul(x[0], x[1].to(kFloat32)); }, {leaf({2, 3}, 310), leaf({2, 3}, 311)},
                 float32_round_trip());
  check_gradgrad([](const In& x) { return mul(sq(x[1].to(kFloat32)), x[0]); },
                 {leaf({2, 3}, 312), leaf({3}, 313)}, float32_round_trip());
  check_gradgrad([](const In& x) { return sq(sub(x[0].to(kFloat32), x[1])); }, {leaf({2, 3}, 314), leaf({2, 3}, 315)},
                 float32_round_trip());
  // An int64 operand (a constant) promotes to the float64 side.
  const Tensor k = from_vector({2, -1, 3}, {3}, kInt64);
  check_gradgrad([k](const In& x) { return sq(mul(x[0], k)); }, {leaf({2, 3}, 316)});
  check_gradgrad([k](const In& x) { return sq(add(k, x[0])); }, {leaf({2, 3}, 317)});
  check_gradgrad([k](const In& x) { return div(k, x[0]); }, {leaf_away_from_zero({2, 3}, 318)});
  check_gradgrad([k](const In& x) { return mul(remainder(x[0], 0.75), x[0]); }, {leaf({2, 3}, 319, 0.1, 0.7)});
  // where with operands of two dtypes.
  const Tensor c = mask_of({1, 0, 1}, {3});
  check_gradgrad([c](const In& x) { return sq(where(c, x[0].to(kFloat32), x[1])); },
                 {leaf({2, 3}, 320), leaf({2, 3}, 321)}, float32_round_trip());
}

// ---- clone and the *_like factories ---------------------------------------------------------

BOOST_AUTO_TEST_CASE(clone_gradgrad) {
  check_gradgrad([](const In& x) { return sq(x[0].clone()); }, {leaf({2, 3}, 330)});
  check_gradgrad([](const In& x) { return mul(x[0].clone(), sq(x[0]).clone()); }, {leaf({2, 3}, 331)});
}

BOOST_AUTO_TEST_CASE(like_factories_gradgrad) {
  // *_like takes only x's shape and dtype: no gradient may leak through the constant it makes.
  check_gradgrad([](const In& x) { return sq(add(x[0], full_like(x[0], 0.5))); }, {leaf({2, 3}, 340)});
  check_gradgrad([](const In& x) { return mul(sq(x[0]), add(ones_like(x[0]), zeros_like(x[0]))); }, {leaf({2, 3}, 341)});
}

// ---- index-driven reads and writes along a dim (ops_gather) ---------------------------------

BOOST_AUTO_TEST_CASE(gather_scatter_gradgrad) {
  // Repeated indices for the reads and adds (their gradients accumulate); distinct ones for
  // scatter, whose overwritten src elements would have no effect at all.
  const Tensor repeated = from_vector({2, 0, 2, 1, 1, 0}, {2, 3}, kInt64);
  const Tensor distinct = from_vector({2, 0, 1, 1, 2, 0}, {2, 3}, kInt64);
  check_gradgrad([repeated](const In& x) { return sq(gather(x[0], 1, repeated)); }, {leaf({2, 4}, 350)});
  check_gradgrad([distinct](const In& x) { return mul(scatter(sq(x[0]), 1, distinct, x[1]), x[0]); },
                 {leaf({2, 4}, 351), leaf({2, 3}, 352)});
  check_gradgrad([distinct](const In& x) { return sq(scatter(x[0], 1, distinct, 0.5)); }, {leaf({2, 4}, 353)});
  check_gradgrad([repeated](const In& x) { return sq(scatter_add(x[0], 1, repeated, x[1])); },
                 {leaf({2, 3}, 354), leaf({2, 3}, 355)});
  const Tensor rows = from_vector({1, 0, 1}, {3}, kInt64);
  check_gradgrad([rows](const In& x) { return sq(index_add(x[0], 0, rows, x[1], -2.0)); },
                 {leaf({2, 3}, 356), leaf({3, 3}, 357)});
  const Tensor along = from_vector({1, 0, 2}, {1, 3}, kInt64);
  check_gradgrad([along](const In& x) { return sq(take_along_dim(x[0], along, 0)); }, {leaf({3, 3}, 358)});
}

// ---- rearranging ops and sort/topk values ---------------------------------------------------

BOOST_AUTO_TEST_CASE(rearrange_gradgrad) {
  check_gradgrad([](const In& x) { return mul(flip(x[0], {0, 1}), x[0]); }, {leaf({2, 3}, 360)});
  check_gradgrad([](const In& x) { return mul(roll(x[0], {1, -1}, {0, 1}), x[0]); }, {leaf({2, 3}, 361)});
  check_gradgrad([](const In& x) { return sq(repeat(x[0], {2, 1, 2})); }, {leaf({2, 3}, 362)});
  check_gradgrad([](const In& x) { return sq(tile(x[0], {2})); }, {leaf({2, 3}, 363)});
  check_gradgrad([](const In& x) { return mul(tril(x[0], -1), triu(x[0])); }, {leaf({3, 3}, 364)});
  check_gradgrad([](const In& x) { return sq(diag(x[0], 1)); }, {leaf({3, 4}, 365)});
  check_gradgrad([](const In& x) { return sq(diag(x[0])); }, {leaf({3}, 366)});
  check_gradgrad([](const In& x) { return sq(constant_pad_nd(x[0], {1, -1, 0, 2}, 0.5)); }, {leaf({2, 3}, 367)});
  check_gradgrad([](const In& x) { return mul(movedim(x[0], 0, 2), t(x[1]).unsqueeze(1)); },
                 {leaf({2, 3, 2}, 368), leaf({2, 3}, 369)});
}

BOOST_AUTO_TEST_CASE(sort_topk_gradgrad) {
  // Distinct values (a uniform draw) so the order is stable under the eps perturbations.
  check_gradgrad([](const In& x) { return sq(std::get<0>(sort(x[0], 1, true))); }, {leaf({2, 4}, 370)});
  check_gradgrad([](const In& x) { return sq(std::get<0>(topk(x[0], 2, 0, false))); }, {leaf({4, 3}, 371)});
}
