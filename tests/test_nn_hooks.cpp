#define BOOST_TEST_MODULE nn_hooks
// Module forward hooks (PyTorch's nn.Module.register_forward_hook / register_forward_pre_hook):
// they run when a module is called, module(x), and inside Sequential; forward(x) bypasses them.
#include "test_helpers.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

using namespace xg;
using xg::testing::check_throws;

BOOST_AUTO_TEST_CASE(register_forward_hook_value) {
  manual_seed(1);
  auto fc = std::make_shared<nn::Linear>(3, 2);
  const Tensor x = ones({4, 3});
  std::vector<Shape> seen;
  const unsigned h = fc->register_forward_hook([&seen](nn::Module& m, const Tensor& in, const Tensor& out) {
    BOOST_TEST(m.type_name() == "Linear");
    seen.push_back(in.shape());
    seen.push_back(out.shape());
    return out * 2.0;  // replaces the output
  });
  const Tensor plain = fc->forward(x);  // direct forward: no hooks
  BOOST_TEST(seen.empty());
  const Tensor hooked = (*fc)(x);
  BOOST_TEST(seen == std::vector<Shape>({{4, 3}, {4, 2}}));
  BOOST_TEST(hooked.to_vector() == (plain * 2.0).to_vector(), boost::test_tools::per_element());
  fc->remove_forward_hook(h);
  BOOST_TEST((*fc)(x).to_vector() == plain.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(register_forward_pre_hook_replaces_the_input_inside_sequential) {
  manual_seed(2);
  auto fc1 = std::make_shared<nn::Linear>(3, 3);
  auto fc2 = std::make_shared<nn::Linear>(3, 1);
  nn::Sequential net(fc1, std::make_shared<nn::Tanh>(), fc2);
  const Tensor x = full({2, 3}, 0.5);
  const Tensor expected = fc2->forward(tanh(fc1->forward(x)) * 0.0);
  int calls = 0;
  fc2->register_forward_pre_hook([&calls](nn::Module&, const Tensor& in) {
    ++calls;
    return in * 0.0;
  });
  const Tensor out = net.forward(x);
  BOOST_TEST(calls == 1);
  BOOST_TEST(out.to_vector() == expected.to_vector(), boost::test_tools::per_element());
  // Hooks are part of the graph: the gradient sees the zeroed input (only the bias is reached).
  sum(out).backward();
  BOOST_TEST(fc1->parameters()[0].grad().to_vector() == std::vector<double>(9, 0.0), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(remove_forward_hook_rejects_unknown_handle) {
  nn::Tanh t;
  check_throws([&] { t.remove_forward_hook(12345); }, {"Tanh.remove_forward_hook: no forward hook with handle 12345"});
}
