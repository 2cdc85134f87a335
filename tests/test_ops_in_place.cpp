#define BOOST_TEST_MODULE ops_in_place
// In-place ops with PyTorch's autograd rules: refused on a leaf that requires grad outside
// NoGradGuard, recorded on tensors in a graph (grad_fn rebased), version bumps that make backward
// refuse overwritten saved tensors. Gradchecks in float64 with the default tolerances.
#include "test_helpers.hpp"

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector(); }
}  // namespace

BOOST_AUTO_TEST_CASE(in_place_ops_value) {
  Tensor t = from_vector({1, 2, 3}, {3});
  t.add_(1.0);
  BOOST_TEST(values(t) == (std::vector<double>{2, 3, 4}), boost::test_tools::per_element());
  t.add_(from_vector({1, 1, 1}, {3}), 2.0);
  BOOST_TEST(values(t) == (std::vector<double>{4, 5, 6}), boost::test_tools::per_element());
  t.sub_(from_vector({1, 2, 3}, {3}));
  t.mul_(2.0);
  BOOST_TEST(values(t) == (std::vector<double>{6, 6, 6}), boost::test_tools::per_element());
  t.div_(from_vector({1, 2, 3}, {3}));
  BOOST_TEST(values(t) == (std::vector<double>{6, 3, 2}), boost::test_tools::per_element());
  t.clamp_(2.5, 5.0);
  BOOST_TEST(values(t) == (std::vector<double>{5, 3, 2.5}), boost::test_tools::per_element());
  t.clamp_(std::nullopt, 3.0);
  BOOST_TEST(values(t) == (std::vector<double>{3, 3, 2.5}), boost::test_tools::per_element());
  t.masked_fill_(from_vector({1, 0, 0}, {3}).to(kBool), -1.0);
  BOOST_TEST(values(t) == (std::vector<double>{-1, 3, 2.5}), boost::test_tools::per_element());
  t += 1.0;
  t -= from_vector({1, 1, 1}, {3});
  t *= from_vector({2, 2, 2}, {3});
  t /= 2.0;
  BOOST_TEST(values(t) == (std::vector<double>{-1, 3, 2.5}), boost::test_tools::per_element());
  t.copy_(from_vector({7}, {1}));  // broadcast
  BOOST_TEST(values(t) == (std::vector<double>{7, 7, 7}), boost::test_tools::per_element());
  t.fill_(4.0).zero_();
  BOOST_TEST(values(t) == (std::vector<double>{0, 0, 0}), boost::test_tools::per_element());
  // Broadcasting into self and the int64 dtype.
  Tensor m = zeros({2, 3});
  m += from_vector({1, 2, 3}, {3});
  BOOST_TEST(values(m) == (std::vector<double>{1, 2, 3, 1, 2, 3}), boost::test_tools::per_element());
  Tensor i = from_vector(std::vector<std::int64_t>{1, 2}, {2});
  i += from_vector(std::vector<std::int64_t>{3, 4}, {2});
  i *= 2;  // a whole-number scalar keeps int64 (a fractional one is refused below)
  BOOST_TEST(i.dtype() == kInt64);
  BOOST_TEST(values(i) == (std::vector<double>{8, 12}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(in_place_ops_bump_the_version) {
  Tensor t = zeros({3});
  const std::uint32_t v0 = t._version();
  t.add_(1.0);
  t.mul_(t);
  t.zero_();
  t.set({1}, 2.0);
  BOOST_TEST(t._version() == v0 + 4);
}

BOOST_AUTO_TEST_CASE(in_place_ops_rejects_a_leaf_that_requires_grad) {
  Tensor w = zeros({3}, kFloat64).requires_grad_();
  check_throws([&] { w.add_(1.0); }, {"add_:", "leaf Variable that requires grad", "in-place"});
  check_throws([&] { w += ones({3}, kFloat64); }, {"add_:", "leaf Variable"});
  check_throws([&] { w.mul_(2.0); }, {"mul_:", "leaf Variable"});
  check_throws([&] { w.zero_(); }, {"zero_:", "leaf Variable"});
  check_throws([&] { w.clamp_(0.0, 1.0); }, {"clamp_:", "leaf Variable"});
  check_throws([&] { w.copy_(ones({3})); }, {"copy_:", "leaf Variable"});
  check_throws([&] { w.masked_fill_(ones({3}, kBool), 0.0); }, {"masked_fill_:", "leaf Variable"});
  check_throws([&] { w.set({0}, 1.0); }, {"set:", "leaf Variable"});
  BOOST_TEST(values(w) == (std::vector<double>{0, 0, 0}), boost::test_tools::per_element());
  {
    NoGradGuard no_grad;  // how optimizers write parameters
    w.add_(1.0);
    w.set({0}, 5.0);
  }
  BOOST_TEST(values(w) == (std::vector<double>{5, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(w.is_leaf());
}

BOOST_AUTO_TEST_CASE(in_place_ops_rejects_bad_shapes_and_dtypes) {
  Tensor t = zeros({3});
  check_throws([&] { t.add_(zeros({2, 3})); }, {"add_:", "[3]", "[2, 3]"});
  Tensor i = zeros({2}, kInt64);
  check_throws([&] { i.add_(0.5); }, {"add_:", "float32", "can't be cast", "int64"});
  check_throws([&] { t.clamp_(std::nullopt, std::nullopt); }, {"clamp_:", "at least one"});
  check_throws([&] { t.fill_(ones({2})); }, {"fill_:", "0-dimensional"});
  check_throws([&] { t.copy_(zeros({4})); }, {"copy_", "[4]", "[3]"});
}

BOOST_AUTO_TEST_CASE(in_place_ops_gradient) {
  // Recorded in-place ops on a non-leaf: y = x·1 then an in-place op, checked as a function of x.
  Tensor x = leaf({2, 3}, 1), o = leaf({3}, 2);
  auto run = [](const std::function<void(const Tensor&, const Tensor&)>& op) {
    return [op](const std::vector<Tensor>& in) {
      Tensor y = in[0] * 1.0;
      op(y, in[1]);
      return y;
    };
  };
  check_gradient(run([](const Tensor& y, const Tensor& b) { y.add_(b, 0.5); }), {x, o});
  check_gradient(run([](const Tensor& y, const Tensor& b) { y.sub_(b); }), {x, o});
  check_gradient(run([](const Tensor& y, const Tensor& b) { y.mul_(b); }), {x, o});
  check_gradient(run([](const Tensor& y, const Tensor& b) { y.div_(b.abs() + 1.0); }), {x, o});
  check_gradient(run([](const Tensor& y, const Tensor& b) { y *= b; y += b; }), {x, o});
  check_gradient(run([](const Tensor& y, const Tensor& b) { y.copy_(b); }), {x, o});
  check_gradient(run([](const Tensor& y, const Tensor& b) { y.masked_fill_(y > 0.0, b.sum()); }), {x, o});
  check_gradient(run([](const Tensor& y, const Tensor&) { y.clamp_(-0.5, 0.5); }), {x, o},
                 GradcheckOptions{1e-6, 1e-5, 1e-3});
  // A leaf that does not require grad becomes part of the graph when the operand does.
  Tensor base = zeros({3}, kFloat64);
  base.add_(o);
  BOOST_TEST(!base.is_leaf());
  BOOST_TEST(std::string(base.grad_fn()->name) == "add");
  base.sum().backward();
  BOOST_TEST(values(o.grad()) == (std::vector<double>{1, 1, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(in_place_ops_overwrite_gradients_to_zero) {
  // fill_/zero_/copy_ from a constant: the old values receive no gradient, as in PyTorch.
  Tensor x = leaf({3}, 3);
  Tensor y = x * 2.0;
  y.fill_(1.0);
  BOOST_TEST(y.requires_grad());
  (y * x).sum().backward();
  BOOST_TEST(values(x.grad()) == (std::vector<double>{1, 1, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(set_rejects_saved_output_modified_in_place) {
  // Issue 15's first example: z = tanh(w); z.set({0}, 5); sum(z).backward() must throw.
  Tensor w = from_vector({0.1, 0.2, 0.3}, {3}).requires_grad_();
  Tensor z = tanh(w);
  z.set({0}, 5.0);
  BOOST_TEST(z.at({0}) == 5.0);
  check_throws<std::runtime_error>([&] { sum(z).backward(); },
                                   {"tanh: one of the variables needed for gradient computation has been modified by "
                                    "an inplace operation"});
}

BOOST_AUTO_TEST_CASE(set_rejects_saved_input_modified_in_place) {
  // Issue 15's second example: y = w*w; w.set({0}, 3): refused on the leaf, and once written
  // under NoGradGuard, backward refuses the stale saved w.
  Tensor w = from_vector({1.0, 2.0, 3.0}, {3}).requires_grad_();
  Tensor y = w * w;
  check_throws([&] { w.set({0}, 3.0); }, {"set:", "leaf Variable that requires grad"});
  {
    NoGradGuard no_grad;
    w.set({0}, 3.0);
  }
  check_throws<std::runtime_error>([&] { y.backward(ones({3})); }, {"mul:", "modified by an inplace operation"});
}

BOOST_AUTO_TEST_CASE(in_place_ops_rejects_saved_tensor_modified) {
  Tensor x = leaf({3}, 4);
  Tensor y = x.exp();  // exp saves its output
  y.add_(1.0);         // recorded, but exp's saved output is now stale
  check_throws<std::runtime_error>([&] { y.sum().backward(); },
                                   {"exp: one of the variables needed for gradient computation has been modified by "
                                    "an inplace operation"});
  // mul_ on a tensor whose old value mul's own backward needs works (it reads a copy).
  Tensor a = leaf({3}, 5), b = leaf({3}, 6);
  Tensor c = a * 1.0;
  c.mul_(b);
  c.sum().backward();
  xg::testing::check_close(b.grad(), a.detach(), 1e-12, 0);
  xg::testing::check_close(a.grad(), b.detach(), 1e-12, 0);
}

BOOST_AUTO_TEST_CASE(set_gradient) {
  Tensor x = leaf({2, 2}, 7);
  check_gradient(
      [](const std::vector<Tensor>& in) {
        Tensor y = in[0] * 3.0;
        y.set({1, 0}, 0.25);
        return y;
      },
      {x});
}

BOOST_AUTO_TEST_CASE(in_place_ops_rejects_recorded_write_into_a_view) {
  Tensor x = leaf({2, 3}, 8);
  Tensor y = x * 1.0;
  Tensor v = y.reshape({6});
  check_throws([&] { v.add_(1.0); }, {"add_:", "view", "clone()"});
  check_throws([&] { y.mul_(2.0); }, {"mul_:", "view"});
  Tensor c = y.clone();
  c.mul_(2.0);  // a clone has its own storage
  BOOST_TEST(!c.is_leaf());
}
