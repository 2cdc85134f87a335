#define BOOST_TEST_MODULE indexing
// t.index({...}) / t.index_put_({...}, v) as torch::indexing, t[i], take: values checked against
// hand-derived results, float64 gradchecks (default tolerances), and the errors.
#include "test_helpers.hpp"

using namespace xg;
using namespace xg::indexing;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

namespace {
std::vector<double> values(const Tensor& t) { return t.to_vector(); }
Tensor grid() { return arange(0, 24, 1, kFloat64).reshape({2, 3, 4}); }  // value = flat position
}  // namespace

BOOST_AUTO_TEST_CASE(index_basic_value) {
  Tensor x = grid();
  BOOST_TEST(values(x[1]) == values(select(x, 0, 1)), boost::test_tools::per_element());
  BOOST_TEST(x[1][2][3].item<double>() == 23.0);
  BOOST_TEST(x.index({1, 2, 3}).item<double>() == 23.0);
  BOOST_TEST(x.index({-1, -1, -1}).item<double>() == 23.0);
  Tensor s = x.index({Slice(), Slice(1, None), Slice(None, None, 2)});  // x[:, 1:, ::2]
  BOOST_TEST(shape_str(s.shape()) == "[2, 2, 2]");
  BOOST_TEST(values(s) == (std::vector<double>{4, 6, 8, 10, 16, 18, 20, 22}), boost::test_tools::per_element());
  Tensor e = x.index({Ellipsis, 0});  // x[..., 0]
  BOOST_TEST(shape_str(e.shape()) == "[2, 3]");
  BOOST_TEST(values(e) == (std::vector<double>{0, 4, 8, 12, 16, 20}), boost::test_tools::per_element());
  BOOST_TEST(values(x.index({"...", 0})) == values(e), boost::test_tools::per_element());
  Tensor n = x.index({None, 0, Slice(0, 1), None});  // x[None, 0, 0:1, None]
  BOOST_TEST(shape_str(n.shape()) == "[1, 1, 1, 4]");
  BOOST_TEST(shape_str(x.index({Slice(-1, None)}).shape()) == "[1, 3, 4]");
  BOOST_TEST(shape_str(x.index({Slice(5, 10)}).shape()) == "[0, 3, 4]");  // clamped as in Python
}

BOOST_AUTO_TEST_CASE(index_tensor_value) {
  Tensor x = grid();
  Tensor i = tensor({2, 0, 2});
  Tensor a = x.index({Slice(), i});  // x[:, [2, 0, 2]] → [2, 3, 4]
  BOOST_TEST(shape_str(a.shape()) == "[2, 3, 4]");
  BOOST_TEST(values(a.index({0, Slice(), 0})) == (std::vector<double>{8, 0, 8}), boost::test_tools::per_element());
  // Two adjacent index tensors: the broadcast index shape replaces them in place.
  Tensor r = tensor({{0}, {1}});  // [2, 1]
  Tensor c = tensor({1, 3});      // [2]
  Tensor b = x.index({Slice(), r, c});  // x[:, r, c] → [2, 2, 2]
  BOOST_TEST(shape_str(b.shape()) == "[2, 2, 2]");
  BOOST_TEST(values(b) == (std::vector<double>{1, 3, 5, 7, 13, 15, 17, 19}), boost::test_tools::per_element());
  // Separated index tensors: the index dims go first (PyTorch's rule).
  Tensor s = x.index({tensor({1, 0}), Slice(), tensor({3, 0})});  // → [2, 3]
  BOOST_TEST(shape_str(s.shape()) == "[2, 3]");
  BOOST_TEST(values(s) == (std::vector<double>{15, 19, 23, 0, 4, 8}), boost::test_tools::per_element());
  // Negative indices wrap.
  BOOST_TEST(values(x.index({0, 0, tensor({-1})})) == (std::vector<double>{3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(index_mask_value) {
  Tensor x = grid();
  Tensor m = x.index({0}) > 9.5;  // [3, 4] mask over dims 1, 2
  Tensor picked = x.index({Slice(), m});
  BOOST_TEST(shape_str(picked.shape()) == "[2, 2]");
  BOOST_TEST(values(picked) == (std::vector<double>{10, 11, 22, 23}), boost::test_tools::per_element());
  Tensor full_mask = x > 20.5;
  BOOST_TEST(values(x.index({full_mask})) == (std::vector<double>{21, 22, 23}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(index_gradient) {
  Tensor x = leaf({2, 3, 4}, 1);
  Tensor i = tensor({2, 0, 2});  // repeated index: gradients accumulate
  Tensor m = tensor({{true, false, true, false}, {false, false, true, true}, {true, true, true, false}});
  check_gradient([&](const std::vector<Tensor>& in) { return in[0].index({Slice(), i}); }, {x});
  check_gradient([&](const std::vector<Tensor>& in) { return in[0].index({1, Slice(None, None, 2), None}); }, {x});
  check_gradient([&](const std::vector<Tensor>& in) { return in[0].index({Ellipsis, m.index({0})}); }, {x});
  check_gradient([&](const std::vector<Tensor>& in) { return in[0].index({Slice(), m}); }, {x});
  check_gradient([&](const std::vector<Tensor>& in) { return in[0].index({tensor({1, 0}), Slice(), tensor({3, 0})}); }, {x});
  check_gradient([&](const std::vector<Tensor>& in) { return take(in[0], tensor({{5, -1}, {5, 0}})); }, {x});
}

BOOST_AUTO_TEST_CASE(index_rejects_bad_indices) {
  Tensor x = grid();
  check_throws([&] { (void)x.index({0, 0, 0, 0}); }, {"index", "too many indices", "dimension 3"});
  check_throws([&] { (void)x.index({Ellipsis, Ellipsis}); }, {"index", "single ellipsis"});
  check_throws([&] { (void)x.index({5}); }, {"select", "index 5", "out of range"});
  check_throws([&] { (void)x.index({Slice(None, None, -1)}); }, {"index", "step must be positive"});
  check_throws([&] { (void)x.index({tensor({0, 3})}); }, {"index", "index 3 is out of bounds for dimension 0 with size 2"});
  check_throws([&] { (void)x.index({tensor({0.5})}); }, {"index", "int64 or bool", "float32"});
  check_throws([&] { (void)x.index({zeros({2, 4}, kBool)}); }, {"index", "mask", "[2, 4]", "[2, 3, 4]"});
  check_throws([&] { (void)x.index({"..x"}); }, {"index", "\"...\""});
  check_throws([&] { (void)take(x, tensor({24})); }, {"take", "24", "24 elements"});
}

BOOST_AUTO_TEST_CASE(index_put_value) {
  Tensor x = zeros({3, 4});
  x.index_put_({1}, 5.0);
  x.index_put_({Slice(), 0}, from_vector({1, 2, 3}, {3}));
  x.index_put_({x > 4.5}, -1.0);
  x.index_put_({tensor({2, 2}), tensor({1, 3})}, from_vector({7, 8}, {2}));
  BOOST_TEST(values(x) == (std::vector<double>{1, 0, 0, 0, 2, -1, -1, -1, 3, 7, 0, 8}), boost::test_tools::per_element());
  BOOST_TEST(x._version() == 4u);
}

BOOST_AUTO_TEST_CASE(index_put_gradient) {
  Tensor x = leaf({3, 4}, 2), v = leaf({3}, 3), s = leaf({}, 4);
  check_gradient(
      [](const std::vector<Tensor>& in) {
        Tensor y = in[0] * 1.0;
        y.index_put_({Slice(), 2}, in[1]);
        return y;
      },
      {x, v});
  check_gradient(
      [](const std::vector<Tensor>& in) {
        Tensor y = in[0] * 1.0;
        y.index_put_({in[0] > 0.0}, in[1]);  // a 0-dim value broadcast over the mask
        return y;
      },
      {x, s});
}

BOOST_AUTO_TEST_CASE(index_put_rejects_bad_value_and_leaf) {
  Tensor x = zeros({3, 4});
  check_throws([&] { x.index_put_({0}, ones({3})); }, {"index_put_", "[3]", "[4]"});
  Tensor w = zeros({3}, kFloat64).requires_grad_();
  check_throws([&] { w.index_put_({0}, 1.0); }, {"index_put_", "leaf Variable"});
}
