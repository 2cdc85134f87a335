#define BOOST_TEST_MODULE autograd_function
// Custom autograd functions (xg::autograd::Function / AutogradContext, as libtorch's): saved
// tensors with their version check, saved_data, non-differentiable outputs, dirty inputs,
// needs_input_grad, several outputs in one node, and a backward written in xg ops that supports
// create_graph (second derivatives).
#include "gradgrad_helpers.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

using namespace xg;
using xg::autograd::AutogradContext;
using xg::autograd::Function;
using xg::autograd::variable_list;
using xg::testing::check_gradgrad;
using xg::testing::check_gradgrad_multi;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

namespace {

// y = x³ computed with a raw loop (so only the custom backward can differentiate it), plus a
// non-differentiable mask of the positive entries. Backward in xg ops: 3·x²·g.
struct CubeWithMask : Function<CubeWithMask> {
  static variable_list forward(AutogradContext* ctx, Tensor x) {
    Tensor y = empty(x.shape(), x.dtype()), mask = empty(x.shape(), x.dtype());
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const double v = x.data<double>()[i];
      y.data<double>()[i] = v * v * v;
      mask.data<double>()[i] = v > 0 ? 1.0 : 0.0;
    }
    ctx->save_for_backward({x});
    ctx->mark_non_differentiable({mask});
    return {y, mask};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const Tensor x = ctx->get_saved_variables()[0];
    BOOST_TEST(!grad_outputs[1].defined());  // the mask gets no gradient
    return {grad_outputs[0] * 3.0 * x * x};
  }
};

// out = x·c with c a plain double (kept in saved_data), as libtorch's documentation example.
struct MulConstant : Function<MulConstant> {
  static Tensor forward(AutogradContext* ctx, Tensor x, double c) {
    ctx->saved_data["c"] = c;
    ctx->saved_data["calls"] = 1;
    return x * c;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return {grad_outputs[0] * ctx->saved_data["c"].toDouble(), Tensor()};
  }
};

// Two outputs from two inputs: (a·b, a + b). Records which input gradients backward was asked for.
std::vector<bool> seen_needs;
struct ProductAndSum : Function<ProductAndSum> {
  static variable_list forward(AutogradContext* ctx, Tensor a, Tensor b) {
    ctx->save_for_backward({a, b});
    return {a * b, a + b};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    seen_needs = {ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    const variable_list s = ctx->get_saved_variables();
    return {g[0] * s[1] + g[1], g[0] * s[0] + g[1]};
  }
};

// Adds one to its input in place (mark_dirty) and returns it.
struct AddOneInPlace : Function<AddOneInPlace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    double* p = x.data<double>();
    for (std::int64_t i = 0; i < x.numel(); ++i) p[i] += 1.0;
    ctx->mark_dirty({x});
    return x;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct WrongGradientCount : Function<WrongGradientCount> {
  static Tensor forward(AutogradContext*, Tensor x) { return x * 2.0; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], g[0]}; }
};

struct GradientForAConstant : Function<GradientForAConstant> {
  static Tensor forward(AutogradContext*, Tensor x, double) { return x * 2.0; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], g[0]}; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(function_value) {
  const Tensor x = leaf({5}, 1);
  const variable_list out = CubeWithMask::apply(x);
  BOOST_TEST(out.size() == 2u);
  for (std::int64_t i = 0; i < 5; ++i) {
    const double v = x.at({i});
    BOOST_TEST(out[0].at({i}) == v * v * v);
    BOOST_TEST(out[1].at({i}) == (v > 0 ? 1.0 : 0.0));
  }
  BOOST_TEST(out[0].grad_fn()->name == std::string("(anonymous namespace)::CubeWithMask"));
  BOOST_TEST(!out[1].requires_grad());  // mark_non_differentiable
}

BOOST_AUTO_TEST_CASE(function_gradient) {
  // float64 central differences, gradcheck's default tolerances (atol 1e-5, rtol 1e-3).
  check_gradient([](const std::vector<Tensor>& in) { return CubeWithMask::apply(in[0])[0]; }, {leaf({2, 3}, 2)});
  check_gradient([](const std::vector<Tensor>& in) { return MulConstant::apply(in[0], 2.5); }, {leaf({4}, 3)});
  xg::testing::check_gradient_multi(
      [](const std::vector<Tensor>& in) { return ProductAndSum::apply(in[0], in[1]); }, {leaf({3}, 4), leaf({3}, 5)});
}

BOOST_AUTO_TEST_CASE(function_is_one_node_with_several_outputs) {
  const Tensor a = leaf({3}, 6), b = leaf({3}, 7);
  (void)(a + b);  // creates the leaves' AccumulateGrad sinks, so the count below sees only the function
  const std::int64_t before = live_node_count();
  variable_list out = ProductAndSum::apply(a, b);
  BOOST_TEST(live_node_count() - before == 1);
  BOOST_TEST(out[0].grad_fn() == out[1].grad_fn());
  // Only the second output is used: the first one's gradient is materialized as zeros.
  sum(out[1] * 2.0).backward();
  BOOST_TEST(a.grad().to_vector() == std::vector<double>(3, 2.0), boost::test_tools::per_element());
  BOOST_TEST(b.grad().to_vector() == std::vector<double>(3, 2.0), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(function_needs_input_grad) {
  const Tensor a = leaf({2}, 8);
  const Tensor b = full({2}, 3.0, kFloat64);  // needs no gradient
  sum(ProductAndSum::apply(a, b)[0]).backward();
  BOOST_TEST(seen_needs == std::vector<bool>({true, false}), boost::test_tools::per_element());
  BOOST_TEST(a.grad().to_vector() == std::vector<double>(2, 3.0), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(function_saved_data) {
  const Tensor x = leaf({3}, 9);
  sum(MulConstant::apply(x, 4.0)).backward();
  BOOST_TEST(x.grad().to_vector() == std::vector<double>(3, 4.0), boost::test_tools::per_element());
  autograd::SavedValue v = std::int64_t{7};
  BOOST_TEST(v.toInt() == 7);
  BOOST_TEST(v.toDouble() == 7.0);
  check_throws([&] { (void)v.toTensor(); }, {"saved_data: expected a Tensor, the value is a int"});
}

BOOST_AUTO_TEST_CASE(function_second_derivative_through_custom_backward) {
  // d/dx Σ x³ = 3x², d²/dx² = 6x: the custom backward is written in xg ops, so create_graph
  // records it and the saved input is the graph's own x.
  const Tensor x = leaf({4}, 10);
  const Tensor y = sum(CubeWithMask::apply(x)[0]);
  const Tensor g = autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  const Tensor h = autograd::grad({sum(g)}, {x})[0];
  for (std::int64_t i = 0; i < 4; ++i) {
    BOOST_TEST(std::abs(g.at({i}) - 3 * x.at({i}) * x.at({i})) < 1e-15);
    BOOST_TEST(std::abs(h.at({i}) - 6 * x.at({i})) < 1e-14);
  }
}

BOOST_AUTO_TEST_CASE(function_rejects_saved_tensor_modified_in_place) {
  Tensor x = leaf({3}, 11);
  const Tensor y = sum(CubeWithMask::apply(x)[0]);
  {
    NoGradGuard no_grad;  // a leaf may be written outside the graph; the saved x is now stale
    x.set({0}, 5.0);
  }
  check_throws<std::runtime_error>(
      [&] { y.backward(); },
      {"CubeWithMask: one of the variables needed for gradient computation has been modified by an inplace "
       "operation: [float64 [3]] is at version 1; expected version 0"});
}

BOOST_AUTO_TEST_CASE(function_mark_dirty) {
  const Tensor x = leaf({3}, 12);
  Tensor y = x * 2.0;
  const Tensor z = AddOneInPlace::apply(y);
  BOOST_TEST(z.same(y));  // the input itself, now the function's output
  BOOST_TEST(y.grad_fn()->name == std::string("(anonymous namespace)::AddOneInPlace"));
  BOOST_TEST(y._version() == 1u);
  sum(z * z).backward();  // d/dx Σ (2x + 1)² = 4(2x + 1)
  for (std::int64_t i = 0; i < 3; ++i) BOOST_TEST(std::abs(x.grad().at({i}) - 4 * (2 * x.at({i}) + 1)) < 1e-14);
}

BOOST_AUTO_TEST_CASE(function_rejects_dirty_leaf) {
  const Tensor x = leaf({3}, 13);
  check_throws([&] { AddOneInPlace::apply(x); }, {"AddOneInPlace", "leaf tensor that requires grad", "mark_dirty"});
}

BOOST_AUTO_TEST_CASE(function_rejects_wrong_number_of_gradients) {
  const Tensor x = leaf({3}, 14);
  check_throws<std::runtime_error>([&] { sum(WrongGradientCount::apply(x)).backward(); },
                                   {"WrongGradientCount: backward returned 2 gradients; expected 1"});
  const Tensor w = leaf({3}, 15);
  check_throws<std::runtime_error>([&] { sum(GradientForAConstant::apply(w, 1.0)).backward(); },
                                   {"GradientForAConstant", "gradient for argument 1, which is not a Tensor"});
}

BOOST_AUTO_TEST_CASE(function_without_grad_records_nothing) {
  NoGradGuard no_grad;
  const Tensor x = leaf({3}, 16);
  const std::int64_t before = live_node_count();
  const Tensor y = MulConstant::apply(x, 2.0);
  BOOST_TEST(live_node_count() == before);
  BOOST_TEST(!y.requires_grad());
}

BOOST_AUTO_TEST_CASE(function_gradgradcheck) {
  // Second derivatives of the custom ops against float64 central differences of their first
  // derivatives (gradgradcheck's default tolerances): the custom backwards are written in xg ops.
  check_gradgrad([](const std::vector<Tensor>& in) { return CubeWithMask::apply(in[0])[0]; }, {leaf({2, 3}, 20)});
  check_gradgrad_multi([](const std::vector<Tensor>& in) { return ProductAndSum::apply(in[0], in[1]); },
                       {leaf({3}, 21), leaf({3}, 22)});
  check_gradgrad([](const std::vector<Tensor>& in) { return MulConstant::apply(in[0], -1.5); }, {leaf({4}, 23)});
}
