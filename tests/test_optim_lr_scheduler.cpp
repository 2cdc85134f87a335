#define BOOST_TEST_MODULE optim_lr_scheduler
#include "optim_test_helpers.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unistd.h>

#include "autograd/serialization.hpp"
#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"
#include "optim/lr_scheduler.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"

using namespace xg;
using namespace xg::optim;

using namespace xg::testing;

// Learning-rate schedulers.

namespace {
std::vector<double> lr_sequence(Optimizer& opt, LRScheduler& sched, int epochs) {
  std::vector<double> lrs;
  for (int e = 0; e < epochs; ++e) {
    lrs.push_back(opt.lr());
    BOOST_TEST(sched.get_last_lr() == opt.lr());
    BOOST_TEST(sched.last_epoch() == e);
    sched.step();
  }
  return lrs;
}

void check_sequence(const std::vector<double>& actual, const std::vector<double>& expected, double tol = 1e-15) {
  BOOST_TEST_REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
    BOOST_TEST(std::abs(actual[i] - expected[i]) <= tol, "epoch " << i << ": " << actual[i] << " vs " << expected[i]);
}

struct SchedulerFixture {
  Tensor w = zeros({1}).requires_grad_();
  SGD opt{{w}, SGDOptions(0.1)};
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(step_lr_value, SchedulerFixture) {
  StepLR sched(opt, 3, 0.5);
  check_sequence(lr_sequence(opt, sched, 8), {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025});
}

BOOST_FIXTURE_TEST_CASE(multi_step_lr_value, SchedulerFixture) {
  // PyTorch 1.13's MultiStepLR(SGD(lr=0.1), milestones=[2, 5, 5, 9], gamma=0.3), epochs 0–10 (the
  // repeated milestone decays twice); the milestones are given unsorted here.
  MultiStepLR sched(opt, {5, 9, 2, 5}, 0.3);
  check_sequence(lr_sequence(opt, sched, 11), {0.1, 0.1, 0.03, 0.03, 0.03, 0.0026999999999999997, 0.0026999999999999997,
                                               0.0026999999999999997, 0.0026999999999999997, 0.0008099999999999998,
                                               0.0008099999999999998});
}

BOOST_FIXTURE_TEST_CASE(lambda_lr_value, SchedulerFixture) {
  // PyTorch 1.13's LambdaLR(SGD(lr=0.1), lambda e: 1 / (1 + e) ** 0.5), epochs 0–5.
  LambdaLR sched(opt, [](std::int64_t e) { return 1.0 / std::sqrt(1.0 + static_cast<double>(e)); });
  check_sequence(lr_sequence(opt, sched, 6), {0.1, 0.07071067811865475, 0.05773502691896259, 0.05, 0.044721359549995794,
                                              0.04082482904638631});
}

BOOST_FIXTURE_TEST_CASE(multi_step_and_lambda_lr_reject_bad_options, SchedulerFixture) {
  check_throws([&] { MultiStepLR(opt, {3, -1}); }, {"MultiStepLR", "milestones", "-1"});
  check_throws([&] { MultiStepLR(opt, {3}, -0.5); }, {"MultiStepLR", "gamma", "-0.5"});
  check_throws([&] { LambdaLR(opt, nullptr); }, {"LambdaLR", "empty"});
  LambdaLR negative_later(opt, [](std::int64_t e) { return e < 2 ? 1.0 : -1.0; });
  negative_later.step();
  check_throws([&] { negative_later.step(); }, {"LambdaLR", "lr_lambda(2) = -1"});
}

BOOST_FIXTURE_TEST_CASE(exponential_lr_value, SchedulerFixture) {
  ExponentialLR sched(opt, 0.5);
  check_sequence(lr_sequence(opt, sched, 5), {0.1, 0.05, 0.025, 0.0125, 0.00625});
}

BOOST_FIXTURE_TEST_CASE(cosine_annealing_lr_value, SchedulerFixture) {
  CosineAnnealingLR sched(opt, 10, 0.001);
  // PyTorch 1.13's CosineAnnealingLR(SGD(lr=0.1), T_max=10, eta_min=0.001), epochs 0–14 (it keeps
  // cycling past T_max).
  check_sequence(lr_sequence(opt, sched, 15),
                 {0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505,
                  0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001,
                  0.0034227024433899004, 0.01045365877844014, 0.02140463001152267, 0.035203658778440255},
                 1e-12);
  // Hand check of the closed form at t = 5: η_min + (0.1 − η_min)/2.
  BOOST_TEST(std::abs(sched.lr_at(5) - 0.0505) < 1e-15);
}

BOOST_FIXTURE_TEST_CASE(linear_warmup_value, SchedulerFixture) {
  LinearWarmup sched(opt, 0.25, 4);
  // 0.1·(0.25 + 0.75·t/4) for t < 4, then 0.1.
  check_sequence(lr_sequence(opt, sched, 7), {0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1});
}

BOOST_FIXTURE_TEST_CASE(linear_warmup_then_step_lr_value, SchedulerFixture) {
  auto after = std::make_shared<StepLR>(opt, 2, 0.5);
  LinearWarmup sched(opt, 0.5, 2, after);
  check_sequence(lr_sequence(opt, sched, 8), {0.05, 0.075, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025});

  // State round trip mid-schedule continues identically.
  const StateDict sd = sched.state_dict();
  BOOST_TEST(sd.contains("after.last_epoch"));
  Tensor w2 = zeros({1}).requires_grad_();
  SGD opt2({w2}, SGDOptions(0.1));
  auto after2 = std::make_shared<StepLR>(opt2, 2, 0.5);
  LinearWarmup sched2(opt2, 0.5, 2, after2);
  sched2.load_state_dict(sd);
  BOOST_TEST(sched2.last_epoch() == 8);
  sched.step();
  sched2.step();
  BOOST_TEST(opt2.lr() == opt.lr());
  BOOST_TEST(opt.lr() == 0.0125);
}

BOOST_FIXTURE_TEST_CASE(scheduler_state_dict_round_trip, SchedulerFixture) {
  StepLR sched(opt, 2, 0.1);
  for (int i = 0; i < 5; ++i) sched.step();
  const StateDict sd = sched.state_dict();
  BOOST_TEST(sd.keys() == std::vector<std::string>({"last_epoch", "base_lr", "last_lr"}), boost::test_tools::per_element());
  Tensor w2 = zeros({1}).requires_grad_();
  SGD opt2({w2}, SGDOptions(0.1));
  StepLR sched2(opt2, 2, 0.1);
  sched2.load_state_dict(sd);
  BOOST_TEST(sched2.last_epoch() == 5);
  BOOST_TEST(sched2.get_last_lr() == sched.get_last_lr());
  sched.step();
  sched2.step();
  BOOST_TEST(opt2.lr() == opt.lr());
  StateDict bad = sd;
  bad.insert("extra", scalar_tensor(1.0));
  check_throws([&] { sched2.load_state_dict(bad); }, {"StepLR.load_state_dict", "unexpected entry 'extra'"});
  StateDict negative;
  negative.insert("last_epoch", scalar_tensor(-2.0, kFloat64));
  negative.insert("base_lr", scalar_tensor(0.1, kFloat64));
  negative.insert("last_lr", scalar_tensor(0.1, kFloat64));
  check_throws([&] { sched2.load_state_dict(negative); }, {"last_epoch", "-2"});
  check_throws([&] { sched2.load_state_dict(StateDict()); }, {"missing entry 'last_epoch'"});
  BOOST_TEST(sched2.last_epoch() == 6);
}

BOOST_FIXTURE_TEST_CASE(schedulers_reject_bad_options, SchedulerFixture) {
  check_throws([&] { StepLR(opt, 0); }, {"StepLR", "step_size", "0"});
  check_throws([&] { StepLR(opt, 2, -0.5); }, {"StepLR", "invalid gamma: -0.5"});
  check_throws([&] { ExponentialLR(opt, -1.0); }, {"ExponentialLR", "invalid gamma: -1"});
  check_throws([&] { CosineAnnealingLR(opt, 0); }, {"CosineAnnealingLR", "T_max", "0"});
  check_throws([&] { CosineAnnealingLR(opt, 5, -0.1); }, {"CosineAnnealingLR", "eta_min: -0.1"});
  check_throws([&] { LinearWarmup(opt, 0.0, 3); }, {"LinearWarmup", "start_factor", "0"});
  check_throws([&] { LinearWarmup(opt, 1.5, 3); }, {"LinearWarmup", "start_factor", "1.5"});
  check_throws([&] { LinearWarmup(opt, 0.5, 0); }, {"LinearWarmup", "warmup_steps", "0"});
  Tensor w2 = zeros({1}).requires_grad_();
  SGD opt2({w2}, SGDOptions(0.1));
  auto foreign = std::make_shared<StepLR>(opt2, 2);
  check_throws([&] { LinearWarmup(opt, 0.5, 2, foreign); }, {"LinearWarmup", "different optimizer"});
}
