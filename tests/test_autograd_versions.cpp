#define BOOST_TEST_MODULE autograd_versions
// Version counters: in-place writes into a tensor that backward needs are caught, never used.
#include "test_helpers.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>

using namespace xg;
using xg::testing::check_throws;

BOOST_AUTO_TEST_CASE(version_counts_in_place_writes_and_is_shared_by_aliases) {
  Tensor t = zeros({2, 3});
  BOOST_TEST(t._version() == 0u);
  fill_(t, 1.0);
  BOOST_TEST(t._version() == 1u);
  Tensor view = t.reshape({6});
  Tensor detached = t.detach();
  view.set({4}, 2.0);
  BOOST_TEST(t._version() == 2u);
  BOOST_TEST(detached._version() == 2u);
  copy_(detached, ones({2, 3}));
  Generator g(1);
  uniform_(t, 0, 1, g);
  normal_(t, 0, 1, g);
  BOOST_TEST(view._version() == 5u);
  BOOST_TEST(t.clone()._version() == 0u);  // a copy has its own storage
}

BOOST_AUTO_TEST_CASE(backward_rejects_saved_output_modified_in_place) {
  // PyTorch raises here; before version counters xgrad returned w.grad[0] = -24 from the 5.
  Tensor w = from_vector({0.1, 0.2, 0.3}, {3}).requires_grad_();
  Tensor z = tanh(w);
  z.set({0}, 5.0);
  check_throws<std::runtime_error>([&] { sum(z).backward(); },
                                   {"tanh: one of the variables needed for gradient computation has been modified by "
                                    "an inplace operation: [float32 [3]] is at version 1; expected version 0"});
  BOOST_TEST(!w.grad().defined());
}

BOOST_AUTO_TEST_CASE(backward_rejects_saved_input_modified_in_place) {
  Tensor w = from_vector({1.0, 2.0, 3.0}, {3}).requires_grad_();
  Tensor y = w * w;
  // A leaf that requires grad is written only under NoGradGuard (PyTorch refuses it otherwise).
  check_throws([&] { w.set({0}, 3.0); }, {"set:", "leaf Variable that requires grad"});
  {
    NoGradGuard no_grad;
    w.set({0}, 3.0);
  }
  check_throws<std::runtime_error>([&] { y.backward(ones({3})); },
                                   {"mul:", "modified by an inplace operation", "is at version 1; expected version 0"});
}

BOOST_AUTO_TEST_CASE(backward_rejects_a_graph_recorded_before_an_optimizer_step) {
  for (int which = 0; which < 6; ++which) {
    Tensor w = from_vector({1.0, -2.0}, {2}).requires_grad_();
    std::unique_ptr<optim::Optimizer> opt;
    if (which == 0) opt = std::make_unique<optim::SGD>(std::vector<Tensor>{w}, optim::SGDOptions(0.1));
    if (which == 1) opt = std::make_unique<optim::Adam>(std::vector<Tensor>{w}, optim::AdamOptions(0.1));
    if (which == 2) opt = std::make_unique<optim::Adagrad>(std::vector<Tensor>{w}, optim::AdagradOptions(0.1));
    if (which == 3) opt = std::make_unique<optim::RMSprop>(std::vector<Tensor>{w}, optim::RMSpropOptions(0.1));
    if (which == 4) opt = std::make_unique<optim::Adamax>(std::vector<Tensor>{w}, optim::AdamaxOptions(0.1));
    if (which == 5) opt = std::make_unique<optim::RAdam>(std::vector<Tensor>{w}, optim::RAdamOptions(0.1));
    sum(w * w).backward();
    Tensor stale = sum(tanh(w) * w);  // recorded before the step, backpropagated after it
    opt->step();
    check_throws<std::runtime_error>([&] { stale.backward(); }, {"modified by an inplace operation"});
    // A graph recorded after the step is fine.
    opt->zero_grad();
    sum(tanh(w) * w).backward();
    BOOST_TEST(w.grad().defined());
  }
}

BOOST_AUTO_TEST_CASE(writes_into_tensors_backward_does_not_read_are_allowed) {
  Tensor w = from_vector({1.0, 2.0}, {2}).requires_grad_();
  Tensor c = from_vector({3.0, 4.0}, {2});
  Tensor y = sum(w + c);  // add saves nothing
  fill_(c, 10.0);
  y.backward();
  BOOST_TEST(w.grad().to_vector() == std::vector<double>({1.0, 1.0}), boost::test_tools::per_element());
  Tensor z = sum(w * c);  // mul saves c
  fill_(c, 1.0);
  check_throws<std::runtime_error>([&] { z.backward(); }, {"mul:", "expected version"});
}

BOOST_AUTO_TEST_CASE(a_writable_xtensor_view_counts_as_an_in_place_write) {
  Tensor w = from_vector({0.1, 0.2, 0.3}, {3}, kFloat64).requires_grad_();
  Tensor z = tanh(w);  // saves its output
  Tensor loss = sum(z);
  {
    const Tensor& read_only = z;
    BOOST_TEST(as_xtensor<double>(read_only)(1) == std::tanh(0.2));  // reading is no write
  }
  BOOST_TEST(z._version() == 0u);
  {
    NoGradGuard no_grad;  // z is part of a graph: a mutable view is only allowed without grad mode
    auto view = as_xtensor<double>(z);
    view(0) = 5.0;
  }
  BOOST_TEST(z._version() == 1u);
  check_throws<std::runtime_error>([&] { loss.backward(); }, {"tanh:", "is at version 1; expected version 0"});
}
