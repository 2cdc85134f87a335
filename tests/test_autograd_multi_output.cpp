#define BOOST_TEST_MODULE autograd_multi_output
// Ops with several outputs are ONE node (as PyTorch's UnbindBackward, SplitBackward, MaxBackward):
// each output's gradient is summed in its own slot, missing ones are zeros, and hooks,
// retain_grad and autograd::grad address one output of the node.
#include "test_helpers.hpp"

#include <vector>

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::leaf;

namespace {
std::vector<double> rows_of(const std::vector<double>& row_values, std::int64_t width) {
  std::vector<double> out;
  for (double v : row_values) out.insert(out.end(), static_cast<std::size_t>(width), v);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(unbind_is_one_node) {
  const Tensor x = leaf({3, 4}, 1);
  const Tensor y = x * 2.0;
  const std::int64_t before = live_node_count();
  const std::vector<Tensor> pieces = unbind(y, 0);
  BOOST_TEST(live_node_count() - before == 1);
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    BOOST_TEST(pieces[k].grad_fn() == pieces[0].grad_fn());
    BOOST_TEST(pieces[k].impl()->output_nr == k);
  }
}

BOOST_AUTO_TEST_CASE(unbind_gradient_of_some_outputs) {
  const Tensor x = leaf({3, 4}, 2);
  const std::vector<Tensor> pieces = unbind(x * 2.0, 0);
  sum(pieces[1] * 3.0).backward();  // pieces 0 and 2 unused: their gradient is zero
  BOOST_TEST(x.grad().to_vector() == rows_of({0.0, 6.0, 0.0}, 4), boost::test_tools::per_element());
  check_gradient([](const std::vector<Tensor>& in) {
    const std::vector<Tensor> p = unbind(in[0], 1);
    return p[0] * p[2];
  }, {leaf({2, 3}, 3)});
}

BOOST_AUTO_TEST_CASE(split_and_chunk_are_one_node) {
  const Tensor x = leaf({5, 2}, 4);
  const Tensor y = x * 1.5;
  const std::int64_t before = live_node_count();
  const std::vector<Tensor> s = split(y, 2, 0);
  BOOST_TEST(s.size() == 3u);
  BOOST_TEST(live_node_count() - before == 1);
  const std::vector<Tensor> c = chunk(y, 2, 0);
  BOOST_TEST(live_node_count() - before == 2);
  BOOST_TEST(c[0].grad_fn() == c[1].grad_fn());
  sum(s[2]).backward();  // only the last piece (row 4)
  BOOST_TEST(x.grad().to_vector() == rows_of({0, 0, 0, 0, 1.5}, 2), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(split_gradient) {
  check_gradient([](const std::vector<Tensor>& in) {
    const std::vector<Tensor> s = split(in[0], 2, 1);
    return s[0] * 2.0 + s[1];  // s[2] unused
  }, {leaf({3, 5}, 5)});
  check_gradient([](const std::vector<Tensor>& in) { return chunk(in[0], 3, 0)[1]; }, {leaf({7, 2}, 6)});
}

BOOST_AUTO_TEST_CASE(max_dim_values_and_indices_are_one_node) {
  const Tensor x = leaf({3, 4}, 7);
  const Tensor y = x * 1.0;
  const std::int64_t before = live_node_count();
  auto [values, indices] = max(y, 1);
  BOOST_TEST(live_node_count() - before == 1);
  BOOST_TEST(values.grad_fn()->name == std::string("max"));
  BOOST_TEST(!indices.requires_grad());  // int64: not differentiable
  BOOST_TEST(values.grad_fn()->num_outputs() == 2u);
  check_gradient([](const std::vector<Tensor>& in) { return max(in[0], 0).first; }, {leaf({4, 3}, 8)});
}

BOOST_AUTO_TEST_CASE(hooks_and_retain_grad_address_one_output) {
  const Tensor x = leaf({3, 2}, 9);
  std::vector<Tensor> pieces = unbind(x * 1.0, 0);
  std::vector<double> hooked;
  pieces[2].register_hook([&hooked](const Tensor& g) {
    hooked = g.to_vector();
    return g * 10.0;
  });
  pieces[1].retain_grad();
  sum(pieces[1] * 2.0 + pieces[2] * 3.0).backward();
  BOOST_TEST(hooked == std::vector<double>(2, 3.0), boost::test_tools::per_element());
  BOOST_TEST(pieces[1].grad().to_vector() == std::vector<double>(2, 2.0), boost::test_tools::per_element());
  BOOST_TEST(x.grad().to_vector() == rows_of({0.0, 2.0, 30.0}, 2), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(grad_with_respect_to_one_output) {
  const Tensor x = leaf({3, 2}, 10);
  const std::vector<Tensor> pieces = unbind(x * 1.0, 0);
  const Tensor loss = sum(pieces[0] * 4.0 + pieces[2] * 5.0);
  const std::vector<Tensor> g = autograd::grad({loss}, {pieces[2], pieces[0]});
  BOOST_TEST(g[0].to_vector() == std::vector<double>(2, 5.0), boost::test_tools::per_element());
  BOOST_TEST(g[1].to_vector() == std::vector<double>(2, 4.0), boost::test_tools::per_element());
}
