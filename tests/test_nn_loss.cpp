#define BOOST_TEST_MODULE nn_loss
// L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss (module and functional
// forms, autograd/ops_nn_loss_pointwise.hpp) and cross_entropy with class-probability targets.
// Parity: tests/fixtures/nn_loss/, written by tools/make_loss_fixtures.py (PyTorch 1.13).
// Gradient checks: float64, PyTorch's gradcheck tolerances (eps 1e-6, atol 1e-5, rtol 1e-3).
#include "parity_harness.hpp"

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;
using xg::testing::leaf_away_from_zero;
using Inputs = std::vector<Tensor>;

namespace {
namespace parity = xg::testing::parity;
using parity::Named;

Reduction reduction_of(const std::string& r) {
  return r == "sum" ? Reduction::Sum : r == "none" ? Reduction::None : Reduction::Mean;
}
KLDivReduction kl_reduction_of(const std::string& r) {
  return r == "sum"         ? KLDivReduction::Sum
         : r == "none"      ? KLDivReduction::None
         : r == "batchmean" ? KLDivReduction::BatchMean
                            : KLDivReduction::Mean;
}

template <typename M>
parity::Built built(std::shared_ptr<M> m) {
  return {m, [m](const Named& i) { return Named{{"output", m->forward(i.at("input"), i.at("target"))}}; }};
}

parity::Built build(const parity::Case& c, Dtype dtype) {
  const std::string& type = c.option("module");
  auto tensor = [&](const char* name) { return c.has(name) ? c.tensors.at(name).to(dtype) : Tensor(); };
  if (type == "KLDivLoss")
    return built(std::make_shared<nn::KLDivLoss>(
        KLDivLossOptions().reduction(kl_reduction_of(c.option("reduction"))).log_target(c.flag("log_target"))));
  const Reduction r = reduction_of(c.option("reduction"));
  if (type == "L1Loss") return built(std::make_shared<nn::L1Loss>(r));
  if (type == "SmoothL1Loss")
    return built(std::make_shared<nn::SmoothL1Loss>(SmoothL1LossOptions().reduction(r).beta(std::stod(c.option("beta")))));
  if (type == "HuberLoss")
    return built(std::make_shared<nn::HuberLoss>(HuberLossOptions().reduction(r).delta(std::stod(c.option("delta")))));
  if (type == "BCELoss") return built(std::make_shared<nn::BCELoss>(BCELossOptions().reduction(r).weight(tensor("weight"))));
  if (type == "BCEWithLogitsLoss")
    return built(std::make_shared<nn::BCEWithLogitsLoss>(
        BCEWithLogitsLossOptions().reduction(r).weight(tensor("weight")).pos_weight(tensor("pos_weight"))));
  if (type == "CrossEntropyLoss")
    return built(std::make_shared<nn::CrossEntropyLoss>(CrossEntropyOptions().reduction(r).weight(tensor("weight")).label_smoothing(
        std::stod(c.option("label_smoothing")))));
  throw std::runtime_error(c.name + ": unknown module " + type);
}
}  // namespace

BOOST_AUTO_TEST_CASE(losses_match_pytorch) {
  // Every reduction of each loss; beta 1, 0.5, 0 (= L1); delta 1, 2, 0.3; BCE with and without
  // weight; BCEWithLogits with pos_weight and weight; KLDiv × log_target × 4 reductions and a zero
  // target probability; cross_entropy with probabilities on (N, C), (N, C, d), (C) × label
  // smoothing × weight. Outputs and the gradients w.r.t. input (and target where PyTorch has one).
  parity::run_family("nn_loss", "losses", {kFloat32, kFloat64}, build);
}

BOOST_AUTO_TEST_CASE(loss_parity_detects_a_perturbed_input) {
  // Negative control: the harness perturbs parameters, losses have none; scale the input instead.
  const auto cases = parity::load_cases("nn_loss", "losses_float64.safetensors");
  BOOST_TEST(parity::run_case(cases.at(0), kFloat64, build).failures.empty());
  parity::Case shifted = cases.at(0);
  Tensor x = shifted.tensors.at("input").clone();
  x.set({0, 0}, x.at({0, 0}) * (1 + 1e-8));
  shifted.tensors["input"] = x;
  BOOST_TEST(!parity::run_case(shifted, kFloat64, build).failures.empty());
}

BOOST_AUTO_TEST_CASE(pointwise_losses_gradient) {
  const Tensor y = leaf({3, 4}, 2);
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    check_gradient([&](const Inputs& in) { return l1_loss(in[0], in[1], r); }, {leaf_away_from_zero({3, 4}, 1), leaf({3, 4}, 9, 3, 4)});
    check_gradient([&](const Inputs& in) { return smooth_l1_loss(in[0], in[1], SmoothL1LossOptions().reduction(r).beta(0.7)); },
                   {leaf({3, 4}, 3, -2, 2), y});
    check_gradient([&](const Inputs& in) { return huber_loss(in[0], in[1], HuberLossOptions().reduction(r).delta(0.6)); },
                   {leaf({3, 4}, 4, -2, 2), y});
  }
  const Tensor probs = leaf({3, 4}, 5, 0.1, 0.9), w = leaf({4}, 6, 0.5, 1.5), pos = leaf({4}, 7, 0.5, 3);
  check_gradient([&](const Inputs& in) { return binary_cross_entropy(in[0], probs, BCELossOptions().weight(w)); },
                 {leaf({3, 4}, 8, 0.05, 0.95)});
  check_gradient([&](const Inputs& in) {
    return binary_cross_entropy_with_logits(in[0], in[1], BCEWithLogitsLossOptions().pos_weight(in[2]).weight(in[3]));
  }, {leaf_away_from_zero({3, 4}, 10), probs, pos, w});
  check_gradient([&](const Inputs& in) { return kl_div(in[0], in[1], KLDivLossOptions().reduction(KLDivReduction::BatchMean)); },
                 {leaf({3, 4}, 11, -3, -0.5), probs});
  check_gradient([&](const Inputs& in) { return kl_div(in[0], in[1], KLDivLossOptions().log_target(true)); },
                 {leaf({3, 4}, 12, -3, -0.5), leaf({3, 4}, 13, -3, -0.5)});
}

BOOST_AUTO_TEST_CASE(cross_entropy_with_probabilities_gradient) {
  for (const Shape& shape : {Shape{3, 4}, Shape{2, 4, 3}, Shape{4}})
    check_gradient([&](const Inputs& in) {
      return cross_entropy(in[0], in[1], CrossEntropyOptions().label_smoothing(0.2).weight(in[2]).reduction(Reduction::Sum));
    }, {leaf(shape, 20), leaf(shape, 21, 0, 1), leaf({4}, 22, 0.5, 1.5)});
}

BOOST_AUTO_TEST_CASE(losses_reject_bad_input) {
  const Tensor a = zeros({2, 3}), b = zeros({3, 2});
  check_throws([&] { l1_loss(a, b); }, {"l1_loss", "[2, 3]", "[3, 2]", "same shape"});
  check_throws([&] { smooth_l1_loss(a, a, SmoothL1LossOptions().beta(-1)); }, {"smooth_l1_loss", "beta", "-1"});
  check_throws([&] { huber_loss(a, a, HuberLossOptions().delta(0)); }, {"huber_loss", "delta", "> 0"});
  check_throws([&] { huber_loss(a, zeros({2, 3}, kFloat64)); }, {"huber_loss", "float64"});
  check_throws([&] { binary_cross_entropy(full({2, 3}, 1.5), a); }, {"binary_cross_entropy", "[0, 1]", "1.5"});
  check_throws([&] { binary_cross_entropy(a, a, BCELossOptions().weight(ones({2}))); }, {"weight [2]", "does not broadcast", "[2, 3]"});
  check_throws([&] { binary_cross_entropy_with_logits(a, a, BCEWithLogitsLossOptions().pos_weight(ones({4}))); },
               {"binary_cross_entropy_with_logits", "pos_weight [4]", "[2, 3]"});
  check_throws([&] { kl_div(a, b); }, {"kl_div", "same shape"});
  check_throws([&] { kl_div(zeros({2}, kInt64), zeros({2}, kInt64)); }, {"kl_div", "int64"});
  check_throws([&] { cross_entropy(a, zeros({2, 4})); }, {"cross_entropy", "probabilities", "[2, 3]", "[2, 4]"});
  check_throws([&] { cross_entropy(a, a, CrossEntropyOptions().ignore_index(0)); }, {"cross_entropy", "ignore_index (0)"});
  check_throws([&] { cross_entropy(a, a, CrossEntropyOptions().weight(ones({2}))); }, {"cross_entropy", "weight", "(3)", "[2]"});
  check_throws([&] { cross_entropy(a, a, CrossEntropyOptions().label_smoothing(-0.1)); }, {"label_smoothing", "[0, 1]"});
  check_throws([&] { nn::BCEWithLogitsLoss().forward(a, b); }, {"binary_cross_entropy_with_logits", "same shape"});
}
