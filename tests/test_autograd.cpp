#define BOOST_TEST_MODULE autograd
#include "test_helpers.hpp"

#include <cmath>
#include <cstdint>
#include <functional>

using namespace xg;
using xg::testing::check_throws;

BOOST_AUTO_TEST_CASE(backward_accumulates_into_leaves) {
  Tensor x = from_vector({1.0, 2.0, 3.0}, {3}, kFloat64).requires_grad_();
  Tensor y = from_vector({4.0, 5.0, 6.0}, {3}, kFloat64).requires_grad_();
  Tensor z = x * y + x;  // dz/dx = y + 1, dz/dy = x
  z.backward(ones({3}, kFloat64));
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({5, 6, 7}), boost::test_tools::per_element());
  BOOST_TEST(y.grad().to_vector() == std::vector<double>({1, 2, 3}), boost::test_tools::per_element());
  // A second graph accumulates into the same grads, as in PyTorch.
  (x * 2.0).backward(ones({3}, kFloat64));
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({7, 8, 9}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(shared_subexpression_gets_summed_gradient) {
  Tensor x = scalar_tensor(3.0, kFloat64).requires_grad_();
  Tensor a = x * x;    // used twice below
  Tensor z = a * a + a;  // z = x⁴ + x², dz/dx = 4x³ + 2x = 114
  z.backward();
  BOOST_TEST(x.grad().item() == 114.0);
}

BOOST_AUTO_TEST_CASE(long_chain_backprops_without_recursion) {
  // 100 000 recorded ops: a recursive engine or recursive node destruction would overflow the stack.
  const std::int64_t before = live_node_count();
  {
    Tensor x = scalar_tensor(1.0, kFloat64).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y + 1e-5;
    y.backward();
    BOOST_TEST(x.grad().item() == 1.0);
    BOOST_TEST(std::abs(y.item() - 2.0) < 1e-9);
  }
  BOOST_TEST(live_node_count() == before);
}

BOOST_AUTO_TEST_CASE(discarded_graph_without_backward_is_freed) {
  const std::int64_t before = live_node_count();
  {
    Tensor x = scalar_tensor(1.0).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = tanh(y);
    BOOST_TEST(live_node_count() >= before + 100000);
  }
  BOOST_TEST(live_node_count() == before);
}

BOOST_AUTO_TEST_CASE(ten_thousand_graphs_free_all_nodes) {
  const std::int64_t before = live_node_count();
  Tensor w = from_vector({0.5, -0.5}, {2}).requires_grad_();
  for (int step = 0; step < 10000; ++step) {
    Tensor h = tanh(w * 2.0 + 1.0);
    Tensor loss = h * h;
    loss.backward(ones({2}));
  }
  BOOST_TEST(live_node_count() == before + 1);  // only w's AccumulateGrad sink remains
  w = Tensor();
  BOOST_TEST(live_node_count() == before);
}

BOOST_AUTO_TEST_CASE(second_backward_through_released_graph_throws) {
  Tensor x = scalar_tensor(2.0).requires_grad_();
  Tensor y = x * x;
  y.backward();
  check_throws<std::runtime_error>([&] { y.backward(); }, {"second time", "retain_graph"});
}

BOOST_AUTO_TEST_CASE(retain_graph_allows_second_backward) {
  Tensor x = scalar_tensor(2.0, kFloat64).requires_grad_();
  Tensor y = x * x * x;
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  BOOST_TEST(x.grad().item() == 24.0);  // 2 · 3x²
}

BOOST_AUTO_TEST_CASE(backward_rejects_bad_roots) {
  Tensor x = from_vector({1.0, 2.0}, {2}).requires_grad_();
  Tensor y = x * 3.0;
  check_throws<std::runtime_error>([&] { y.backward(); }, {"scalar", "[2]"});
  check_throws([&] { y.backward(ones({3})); }, {"backward", "[3]", "[2]"});
  check_throws<std::runtime_error>([&] { ones({2}).backward(); }, {"does not require grad"});
}

BOOST_AUTO_TEST_CASE(non_leaf_grads_are_kept_only_when_retained) {
  Tensor x = from_vector({1.0, 2.0}, {2}, kFloat64).requires_grad_();
  Tensor h = x * 3.0;
  Tensor kept = x * 5.0;
  kept.retain_grad();
  Tensor loss = h * kept;
  loss.backward(ones({2}, kFloat64));
  BOOST_TEST(!h.grad().defined());
  BOOST_TEST(kept.grad().to_vector() == std::vector<double>({3, 6}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_grad_guard_stops_recording) {
  Tensor x = scalar_tensor(1.0).requires_grad_();
  {
    NoGradGuard guard;
    BOOST_TEST(!is_grad_enabled());
    Tensor y = x * 2.0;
    BOOST_TEST(!y.requires_grad());
    BOOST_TEST(!y.grad_fn());
  }
  BOOST_TEST(is_grad_enabled());
  BOOST_TEST((x * 2.0).requires_grad());
}

BOOST_AUTO_TEST_CASE(detach_cuts_the_graph_and_shares_data) {
  Tensor x = from_vector({1.0, 2.0}, {2}).requires_grad_();
  Tensor y = x * 2.0;
  Tensor d = y.detach();
  BOOST_TEST(!d.requires_grad());
  BOOST_TEST(d.is_leaf());
  BOOST_TEST(d.raw_data() == y.raw_data());
}

BOOST_AUTO_TEST_CASE(requires_grad_rejects_non_leaves_and_integers) {
  Tensor x = scalar_tensor(1.0).requires_grad_();
  Tensor y = x * 2.0;
  check_throws([&] { y.requires_grad_(); }, {"requires_grad_", "leaf"});
  Tensor idx = from_vector({1.0, 2.0}, {2}, kInt64);
  check_throws([&] { idx.requires_grad_(); }, {"requires_grad_", "int64"});
}

BOOST_AUTO_TEST_CASE(anomaly_mode_names_the_op_in_backward) {
  Tensor x = from_vector({0.0, 1.0}, {2}, kFloat64).requires_grad_();
  AnomalyGuard anomaly;
  // sqrt(0) is fine forward, but its backward 1/(2·0) is Inf.
  Tensor y = sqrt(x);
  check_throws<std::runtime_error>([&] { y.backward(ones({2}, kFloat64)); }, {"sqrt", "backward produced Inf",
                                                                            "input 0"});
}

BOOST_AUTO_TEST_CASE(anomaly_mode_names_the_op_in_forward) {
  Tensor x = from_vector({-1.0}, {1}, kFloat64).requires_grad_();
  AnomalyGuard anomaly;
  check_throws<std::runtime_error>([&] { log(x); }, {"log", "forward produced NaN"});
}

BOOST_AUTO_TEST_CASE(anomaly_mode_is_off_by_default) {
  Tensor x = from_vector({-1.0}, {1}, kFloat64).requires_grad_();
  BOOST_TEST(std::isnan(log(x).item()));
}

BOOST_AUTO_TEST_CASE(to_dtype_is_differentiable) {
  Tensor x = from_vector({1.5, -2.0}, {2}, kFloat64).requires_grad_();
  Tensor y = x.to(kFloat32);
  BOOST_TEST((y.dtype() == kFloat32));
  (y * 3.0).backward(ones({2}));
  BOOST_TEST((x.grad().dtype() == kFloat64));
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({3, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(clone_is_a_deep_differentiable_copy) {
  Tensor x = from_vector({1.0, 2.0}, {2}, kFloat64).requires_grad_();
  Tensor c = x.clone();
  BOOST_TEST(c.raw_data() != x.raw_data());
  (c * c).backward(ones({2}, kFloat64));
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({2, 4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(contiguous_returns_the_same_tensor) {
  // A PyTorch idiom that ports unchanged: t().contiguous() is the transpose (already a copy in
  // xgrad), the same handle, and gradients flow through it.
  Tensor x = from_vector({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3}, kFloat64).requires_grad_();
  Tensor t = x.t();
  Tensor c = t.contiguous();
  BOOST_TEST(c.is_contiguous());
  BOOST_TEST(c.raw_data() == t.raw_data());
  BOOST_TEST((c.shape() == Shape{3, 2}));
  BOOST_TEST(c.to_vector() == std::vector<double>({1, 4, 2, 5, 3, 6}), boost::test_tools::per_element());
  (c * c).sum().backward();
  BOOST_TEST(x.grad().to_vector() == std::vector<double>({2, 4, 6, 8, 10, 12}), boost::test_tools::per_element());
}

// ---- gradcheck itself ----------------------------------------------------------------

// An op with a deliberately wrong backward (claims d(x²)/dx = x): gradcheck must reject it.
static Tensor wrong_square(const Tensor& x) {
  Tensor out = x.detach() * x.detach();
  if (needs_grad({&x}))
    record(out, "wrong_square", {x}, [x = x.detach()](const Tensor& g) { return std::vector<Tensor>{g * x}; });
  return out;
}

BOOST_AUTO_TEST_CASE(gradcheck_rejects_a_wrong_backward) {
  Tensor x = xg::testing::leaf({3, 2}, 7);
  const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return wrong_square(in[0]); }, {x});
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.message.find("input 0") != std::string::npos);
  BOOST_TEST(r.worst_element >= 0);
}

BOOST_AUTO_TEST_CASE(gradcheck_accepts_a_right_backward) {
  Tensor x = xg::testing::leaf({3, 2}, 7);
  const GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0]; }, {x});
  BOOST_TEST(r.ok, r.message);
  BOOST_TEST(r.checked_elements == 6);
}

BOOST_AUTO_TEST_CASE(gradcheck_rejects_float32_inputs) {
  Tensor x = ones({2}).requires_grad_();
  check_throws([&] { gradcheck([](const std::vector<Tensor>& in) { return in[0] * 2.0; }, {x}); },
               {"gradcheck", "float64"});
}

// ---- generator -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(generator_state_round_trips) {
  Generator g(42);
  g.uniform();
  const std::string saved = g.to_string();
  const double a = g.normal(), b = g.uniform();
  Generator h(0);
  h.set_state_from_string(saved);
  BOOST_TEST(h.normal() == a);
  BOOST_TEST(h.uniform() == b);
  check_throws([&] { h.set_state_from_string("zz"); }, {"malformed"});
}

BOOST_AUTO_TEST_CASE(generator_is_seeded_and_distributions_are_sane) {
  Generator g1(5), g2(5), g3(6);
  Tensor a = randn({2000}, g1, kFloat64), b = randn({2000}, g2, kFloat64), c = randn({2000}, g3, kFloat64);
  BOOST_TEST(a.to_vector() == b.to_vector());
  BOOST_TEST(a.to_vector() != c.to_vector());
  double mean = 0, var = 0;
  for (double v : a.to_vector()) mean += v / 2000;
  for (double v : a.to_vector()) var += (v - mean) * (v - mean) / 2000;
  BOOST_TEST(std::abs(mean) < 0.1);
  BOOST_TEST(std::abs(var - 1.0) < 0.1);
  Tensor r = randint(3, 7, {1000}, g1);
  for (double v : r.to_vector()) BOOST_TEST((v >= 3 && v < 7));
}

// ---- creation --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(creation_functions_value) {
  BOOST_TEST(zeros({2, 3}).to_vector() == std::vector<double>(6, 0.0));
  BOOST_TEST(full({2}, 2.5, kFloat64).to_vector() == std::vector<double>({2.5, 2.5}));
  BOOST_TEST(arange(0, 1, 0.25).to_vector() == std::vector<double>({0, 0.25, 0.5, 0.75}));
  BOOST_TEST(arange(3, kInt64).to_vector() == std::vector<double>({0, 1, 2}));
  Tensor t = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  BOOST_TEST(t.at({1, 2}) == 6.0);
  BOOST_TEST(t.size(-1) == 3);
  BOOST_TEST(scalar_tensor(4).dim() == 0);
}

BOOST_AUTO_TEST_CASE(creation_rejects_bad_arguments) {
  check_throws([] { from_vector({1, 2, 3}, {2, 2}); }, {"from_vector", "3 values", "[2, 2]"});
  check_throws([] { zeros({2, -1}); }, {"negative", "[2, -1]"});
  check_throws([] { arange(0, 1, 0); }, {"arange", "step"});
  check_throws([] { randint(5, 5, {2}); }, {"randint", "low < high"});
  check_throws([] { from_vector({1, 2}, {2}).item(); }, {"item", "[2]"});
  check_throws([] { from_vector({1, 2}, {2}).at({2}); }, {"at", "out of range"});
  check_throws([] { from_vector({1, 2}, {2}).data<double>(); }, {"float32", "float64"});
}

BOOST_AUTO_TEST_CASE(random_and_filled_creation_rejects_bad_arguments) {
  // Each creation function names itself and the offending size, range, value or dtype.
  Generator g(1);
  struct Case {
    std::string op;
    std::function<Tensor(const Shape&)> make;
  };
  const std::vector<Case> cases = {
      {"rand", [&](const Shape& s) { return rand(s, g); }},
      {"randn", [&](const Shape& s) { return randn(s, g); }},
      {"uniform", [&](const Shape& s) { return uniform(s, -1, 1, g); }},
      {"full", [](const Shape& s) { return full(s, 2.0); }},
      {"ones", [](const Shape& s) { return ones(s); }},
  };
  for (const Case& c : cases)
    BOOST_TEST_CONTEXT(c.op) { check_throws([&] { c.make({3, -2}); }, {c.op + ": negative", "[3, -2]"}); }
  check_throws([&] { rand({2}, g, kInt64); }, {"rand:", "int64"});
  check_throws([&] { randn({2}, g, kInt64); }, {"randn:", "int64"});
  check_throws([&] { uniform({2}, 0, 1, g, kInt64); }, {"uniform:", "int64"});
  // PyTorch: "uniform_ expects to return a [from, to) range, but found from=1 > to=0".
  check_throws([&] { uniform({3}, 1, 0, g); }, {"uniform:", "low = 1 > high = 0"});
  check_throws([&] { uniform({3}, 0, INFINITY, g); }, {"uniform:", "finite", "high = inf"});
  check_throws([&] { uniform({3}, NAN, 1, g); }, {"uniform:", "finite", "low = nan"});
  // A value the dtype cannot hold (PyTorch: "value cannot be converted to type int64_t without overflow").
  check_throws([] { full({2}, NAN, kInt64); }, {"full:", "value nan", "int64", "overflow"});
  check_throws([] { full({2}, 1e19, kInt64); }, {"full:", "value 1e+19", "int64"});
  check_throws([] { scalar_tensor(1e40); }, {"scalar_tensor:", "value 1e+40", "float32"});
  check_throws([] { zeros_like(Tensor()); }, {"zeros_like:", "undefined"});
  check_throws([] { ones_like(Tensor()); }, {"ones_like:", "undefined"});
  // The limits themselves are fine: an empty range, ±inf in a float, the int64 extremes.
  BOOST_TEST(uniform({2}, 0.5, 0.5, g).to_vector() == std::vector<double>({0.5, 0.5}), boost::test_tools::per_element());
  BOOST_TEST(std::isinf(scalar_tensor(-INFINITY).item()));
  BOOST_TEST(full({}, -9223372036854775808.0, kInt64).data<std::int64_t>()[0] == INT64_MIN);
}

BOOST_AUTO_TEST_CASE(in_place_fills_reject_bad_targets) {
  // fill_/copy_/uniform_/normal_ write into an existing tensor: it must be defined, of a fitting
  // shape and dtype, and (as in PyTorch) not a leaf that requires grad while grad mode is on.
  Generator g(2);
  Tensor undefined, ints = zeros({2}, kInt64), t = zeros({2, 3});
  check_throws([&] { fill_(undefined, 1.0); }, {"fill_:", "undefined"});
  check_throws([&] { fill_(ints, NAN); }, {"fill_:", "value nan", "int64"});
  check_throws([&] { copy_(undefined, t); }, {"copy_:", "destination", "undefined"});
  check_throws([&] { copy_(t, undefined); }, {"copy_:", "source", "undefined"});
  check_throws([&] { copy_(t, zeros({3, 2})); }, {"copy_:", "[3, 2]", "[2, 3]"});  // same numel, other shape
  check_throws([&] { copy_(t, zeros({4})); }, {"copy_:", "[4]", "[2, 3]"});
  check_throws([&] { uniform_(t, 1, 0, g); }, {"uniform_:", "low = 1 > high = 0"});
  check_throws([&] { uniform_(ints, 0, 1, g); }, {"uniform_:", "int64"});
  check_throws([&] { uniform_(undefined, 0, 1, g); }, {"uniform_:", "undefined"});
  check_throws([&] { normal_(t, 0, -1, g); }, {"normal_:", "std = -1"});
  check_throws([&] { normal_(t, 0, NAN, g); }, {"normal_:", "std = nan"});
  check_throws([&] { normal_(ints, 0, 1, g); }, {"normal_:", "int64"});

  // PyTorch: "a leaf Variable that requires grad is being used in an in-place operation".
  Tensor w = zeros({2, 3}).requires_grad_();
  check_throws([&] { fill_(w, 1.0); }, {"fill_:", "leaf Variable that requires grad", "in-place"});
  check_throws([&] { copy_(w, ones({2, 3})); }, {"copy_:", "leaf Variable that requires grad"});
  check_throws([&] { uniform_(w, 0, 1, g); }, {"uniform_:", "leaf Variable that requires grad"});
  check_throws([&] { normal_(w, 0, 1, g); }, {"normal_:", "leaf Variable that requires grad"});
  Tensor produced = w * 2.0;  // part of a graph: uniform_ is not recorded (fill_ is: test_ops_in_place)
  check_throws([&] { uniform_(produced, 0, 1, g); }, {"uniform_:", "part of an autograd graph", "[2, 3]"});
  BOOST_TEST(w.to_vector() == std::vector<double>(6, 0.0), boost::test_tools::per_element());  // untouched
  {
    NoGradGuard no_grad;  // how optimizers and load_state_dict write parameters
    fill_(w, 1.0);
    uniform_(w, 0, 1, g);
    copy_(w, full({2, 3}, 2.0, kFloat64));  // dtypes may differ, as in PyTorch
  }
  nn::init::zeros_(w);  // the nn::init functions write under NoGradGuard themselves, like torch.nn.init
  BOOST_TEST(w.to_vector() == std::vector<double>(6, 0.0), boost::test_tools::per_element());
  nn::init::uniform_(w, 1.0, 1.0, g);
  BOOST_TEST(w.to_vector() == std::vector<double>(6, 1.0), boost::test_tools::per_element());
  {
    NoGradGuard no_grad;
    copy_(w, full({2, 3}, 2.0));
  }
  BOOST_TEST(w.to_vector() == std::vector<double>(6, 2.0), boost::test_tools::per_element());
}

// ---- backend ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(backend_reports_a_fast_blas_kernel) {
  const BackendInfo info = backend_info();
  BOOST_TEST_MESSAGE("backend: " << backend_summary());
  BOOST_TEST(!info.kernel.empty());
  BOOST_TEST(info.threads >= 1);
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && !std::getenv("OPENBLAS_CORETYPE")) {
    BOOST_TEST(info.kernel != "Prescott", "OpenBLAS runs its slowest kernel: " << backend_summary());
    BOOST_TEST(info.kernel != "Core2");
  }
}

BOOST_AUTO_TEST_CASE(set_num_threads_rejects_fewer_than_one) {
  // torch.set_num_threads(0) raises too; a rejected call leaves the setting as it was.
  const int before = get_num_threads();
  check_throws([] { set_num_threads(0); }, {"set_num_threads:", "at least 1", "got 0"});
  check_throws([] { set_num_threads(-3); }, {"set_num_threads:", "got -3"});
  BOOST_TEST(get_num_threads() == before);
}

BOOST_AUTO_TEST_CASE(method_forms_forward_to_free_functions) {
  Tensor x = from_vector({1, -2, 3, -4, 5, -6}, {2, 3}, kFloat64);
  BOOST_TEST(x.sum().item() == sum(x).item());
  BOOST_TEST(x.sum({1}, true).to_vector() == sum(x, {1}, true).to_vector());
  BOOST_TEST(x.mean({0}).to_vector() == mean(x, {0}).to_vector());
  BOOST_TEST(shape_str(x.reshape({3, -1}).shape()) == "[3, 2]");
  BOOST_TEST(shape_str(x.transpose(0, 1).shape()) == "[3, 2]");
  BOOST_TEST(shape_str(x.unsqueeze(0).squeeze().shape()) == "[2, 3]");
  BOOST_TEST(x.select(1, 2).to_vector() == std::vector<double>({3, -6}), boost::test_tools::per_element());
  BOOST_TEST(x.abs().relu().tanh().to_vector() == tanh(relu(abs(x))).to_vector());
  BOOST_TEST(x.softmax(1).to_vector() == softmax(x, 1).to_vector());
  BOOST_TEST(x.argmax(1).to_vector() == std::vector<double>({2, 1}), boost::test_tools::per_element());
  BOOST_TEST(shape_str(x.matmul(x.transpose(0, 1)).shape()) == "[2, 2]");
}
