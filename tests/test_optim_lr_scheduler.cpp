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
#include "optim/lr_scheduler_composite.hpp"
#include "optim/one_cycle_lr.hpp"
#include "optim/reduce_lr_on_plateau.hpp"

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

// ---- OneCycleLR, ReduceLROnPlateau, SequentialLR, ChainedScheduler vs PyTorch 1.13 ---------
// tests/fixtures/optim/schedulers.safetensors (tools/make_scheduler_fixtures.py): the lr (and
// momentum) after construction and after every step. Tolerance: relative 1e-12 (PyTorch's chained
// schedulers multiply step by step, ours use closed forms; OneCycleLR's cosine, 1 + cos(π·pct) near
// pct = 1, cancels: one ulp of cos is ~1e-13 of the lr there; everything else agrees to 1e-15).

namespace {
const SafetensorsFile& scheduler_fixture() {
  static const SafetensorsFile f = load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/optim/schedulers.safetensors");
  return f;
}

void check_against(const std::string& name, const std::string& call, const std::vector<double>& actual,
                   const char* what = "lr") {
  const SafetensorsFile& f = scheduler_fixture();
  BOOST_TEST_REQUIRE(f.metadata.count(name) == 1u);
  BOOST_TEST(f.metadata.at(name) == call);
  const std::vector<double> expected = f.tensors.at(name + "." + what).to_vector();
  BOOST_TEST_REQUIRE(actual.size() == expected.size(), name << " " << what);
  for (std::size_t i = 0; i < actual.size(); ++i)
    BOOST_TEST(std::abs(actual[i] - expected[i]) <= 1e-12 * std::abs(expected[i]),
               name << " " << what << " at step " << i << ": " << actual[i] << " vs torch " << expected[i]);
}

template <typename Opt, typename Step>
void run_schedule(Opt& opt, int steps, Step step, std::vector<double>& lrs, std::vector<double>* momenta = nullptr,
                  const char* momentum = nullptr) {
  auto record = [&] {
    lrs.push_back(opt.lr());
    if (momenta) momenta->push_back(opt.state_dict().at(std::string("param_groups.0.") + momentum).item());
  };
  record();
  for (int s = 0; s < steps; ++s) {
    step(s);
    record();
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(one_cycle_lr_matches_pytorch) {
  {
    Tensor w = zeros({1}).requires_grad_();
    SGD opt({w}, SGDOptions(0.1).momentum(0.9));
    OneCycleLR sched(opt, OneCycleLROptions(1.0, 20));
    std::vector<double> lrs, momenta;
    run_schedule(opt, 20, [&](int) { sched.step(); }, lrs, &momenta, "momentum");
    check_against("one_cycle_cos", "SGD(lr=0.1, momentum=0.9); OneCycleLR(max_lr=1.0, total_steps=20)", lrs);
    check_against("one_cycle_cos", "SGD(lr=0.1, momentum=0.9); OneCycleLR(max_lr=1.0, total_steps=20)", momenta,
                  "momentum");
    check_throws([&] { sched.step(); }, {"OneCycleLR", "tried to step 21 times", "20"});
  }
  {
    Tensor w = zeros({1}).requires_grad_();
    Adam opt({w}, AdamOptions(0.01));
    OneCycleLR sched(opt, OneCycleLROptions(0.05, 17)
                              .pct_start(0.25)
                              .anneal_strategy(AnnealStrategy::Linear)
                              .three_phase(true)
                              .div_factor(10)
                              .final_div_factor(100)
                              .base_momentum(0.8)
                              .max_momentum(0.9));
    std::vector<double> lrs, momenta;
    run_schedule(opt, 16, [&](int) { sched.step(); }, lrs, &momenta, "betas.0");
    // Step 17 extrapolates the linear phase to a negative lr (PyTorch sets it; set_lr refuses).
    check_throws([&] { sched.step(); }, {"Adam", "invalid learning rate"});
    const std::string call =
        "Adam(lr=0.01); OneCycleLR(max_lr=0.05, total_steps=17, pct_start=0.25, anneal_strategy='linear', "
        "three_phase=True, div_factor=10, final_div_factor=100, base_momentum=0.8, max_momentum=0.9)";
    check_against("one_cycle_linear_three_phase", call, lrs);
    check_against("one_cycle_linear_three_phase", call, momenta, "momentum");
  }
  {
    Tensor w = zeros({1}).requires_grad_();
    SGD opt({w}, SGDOptions(0.1));
    OneCycleLR sched(opt, OneCycleLROptions(0.3, 9).cycle_momentum(false));
    std::vector<double> lrs, momenta;
    run_schedule(opt, 9, [&](int) { sched.step(); }, lrs, &momenta, "momentum");
    check_against("one_cycle_no_momentum", "SGD(lr=0.1); OneCycleLR(max_lr=0.3, total_steps=9, cycle_momentum=False)",
                  lrs);
    check_against("one_cycle_no_momentum", "SGD(lr=0.1); OneCycleLR(max_lr=0.3, total_steps=9, cycle_momentum=False)",
                  momenta, "momentum");
  }
}

BOOST_AUTO_TEST_CASE(reduce_lr_on_plateau_matches_pytorch) {
  const std::vector<double> metrics = scheduler_fixture().tensors.at("plateau_min_rel.metrics").to_vector();
  for (const auto& [name, call, options] :
       {std::make_tuple(std::string("plateau_min_rel"),
                        std::string("SGD(lr=1.0); ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.05)"),
                        ReduceLROnPlateauOptions().factor(0.5).patience(2).cooldown(1).min_lr(0.05)),
        std::make_tuple(std::string("plateau_max_abs"),
                        std::string("SGD(lr=1.0); ReduceLROnPlateau(mode='max', threshold_mode='abs', threshold=0.1, "
                                    "patience=1, factor=0.3)"),
                        ReduceLROnPlateauOptions()
                            .mode(PlateauMode::Max)
                            .threshold_mode(ThresholdMode::Abs)
                            .threshold(0.1)
                            .patience(1)
                            .factor(0.3))}) {
    Tensor w = zeros({1}).requires_grad_();
    SGD opt({w}, SGDOptions(1.0));
    ReduceLROnPlateau sched(opt, options);
    std::vector<double> lrs;
    run_schedule(opt, static_cast<int>(metrics.size()), [&](int s) { sched.step(metrics[static_cast<std::size_t>(s)]); },
                 lrs);
    check_against(name, call, lrs);
    BOOST_TEST(sched.get_last_lr() == opt.lr());
    // Resuming from a state dict continues identically.
    ReduceLROnPlateau copy(opt, options);
    copy.load_state_dict(sched.state_dict());
    BOOST_TEST(copy.best() == sched.best());
    BOOST_TEST(copy.num_bad_epochs() == sched.num_bad_epochs());
  }
}

BOOST_AUTO_TEST_CASE(sequential_lr_matches_pytorch) {
  Tensor w = zeros({1}).requires_grad_();
  SGD opt({w}, SGDOptions(0.1));
  auto warmup = std::make_shared<LinearWarmup>(opt, 0.1, 4);
  auto steps = std::make_shared<StepLR>(opt, 3, 0.5);
  auto decay = std::make_shared<ExponentialLR>(opt, 0.9);
  SequentialLR sched(opt, {warmup, steps, decay}, {4, 10});
  std::vector<double> lrs;
  run_schedule(opt, 16, [&](int) { sched.step(); }, lrs);
  check_against("sequential",
                "SGD(lr=0.1); SequentialLR([LinearLR(start_factor=0.1, total_iters=4), StepLR(3, 0.5), "
                "ExponentialLR(0.9)], milestones=[4, 10])",
                lrs);
}

BOOST_AUTO_TEST_CASE(chained_scheduler_matches_pytorch) {
  Tensor w = zeros({1}).requires_grad_();
  SGD opt({w}, SGDOptions(0.2));
  auto warmup = std::make_shared<LinearWarmup>(opt, 0.25, 5);
  auto decay = std::make_shared<ExponentialLR>(opt, 0.9);
  auto steps = std::make_shared<MultiStepLR>(opt, std::vector<std::int64_t>{3, 6}, 0.5);
  ChainedScheduler sched({warmup, decay, steps});
  std::vector<double> lrs;
  run_schedule(opt, 10, [&](int) { sched.step(); }, lrs);
  check_against("chained",
                "SGD(lr=0.2); ChainedScheduler([LinearLR(start_factor=0.25, total_iters=5), ExponentialLR(0.9), "
                "MultiStepLR([3, 6], 0.5)])",
                lrs);
}

BOOST_AUTO_TEST_CASE(new_schedulers_reject_bad_options) {
  Tensor w = zeros({1}).requires_grad_();
  SGD sgd({w}, SGDOptions(0.1));
  Adagrad adagrad({zeros({1}).requires_grad_()}, AdagradOptions(0.1));
  check_throws([&] { OneCycleLR(sgd, OneCycleLROptions(1.0, 0)); }, {"OneCycleLR", "total_steps", "got 0"});
  check_throws([&] { OneCycleLR(sgd, OneCycleLROptions(1.0, 10).pct_start(1.5)); }, {"OneCycleLR", "pct_start", "1.5"});
  check_throws([&] { OneCycleLR(sgd, OneCycleLROptions(-1.0, 10)); }, {"OneCycleLR", "max_lr", "-1"});
  check_throws([&] { OneCycleLR(adagrad, OneCycleLROptions(1.0, 10)); }, {"OneCycleLR", "Adagrad", "cycle_momentum(false)"});
  check_throws([&] { ReduceLROnPlateau(sgd, ReduceLROnPlateauOptions().factor(1.0)); }, {"ReduceLROnPlateau", "factor", "1"});
  check_throws([&] { ReduceLROnPlateau(sgd, ReduceLROnPlateauOptions().patience(-1)); }, {"ReduceLROnPlateau", "patience"});
  check_throws([&] { ReduceLROnPlateau(sgd, ReduceLROnPlateauOptions().min_lr(-1)); }, {"ReduceLROnPlateau", "min_lr"});
  check_throws([&] { sgd.set_option("betas.0", 0.5); }, {"SGD", "no option 'betas.0'"});
  check_throws([&] { sgd.set_option("momentum", -0.5); }, {"SGD", "momentum"});
  BOOST_TEST(sgd.options().momentum() == 0.0);  // the invalid value was not kept
  auto a = std::make_shared<StepLR>(sgd, 2);
  auto b = std::make_shared<ExponentialLR>(sgd, 0.9);
  check_throws([&] { SequentialLR(sgd, {a, b}, {}); }, {"SequentialLR", "expected 1 milestones", "got 0"});
  check_throws([&] { SequentialLR(sgd, {a, b}, {0}); }, {"SequentialLR", "positive and increasing"});
  check_throws([&] { SequentialLR(sgd, {}, {}); }, {"SequentialLR", "at least one"});
  auto other = std::make_shared<StepLR>(adagrad, 2);
  check_throws([&] { SequentialLR(sgd, {a, other}, {3}); }, {"SequentialLR", "scheduler 1", "another optimizer"});
  check_throws([&] { ChainedScheduler({}); }, {"ChainedScheduler", "at least one"});
  auto cosine = std::make_shared<CosineAnnealingLR>(sgd, 10);
  check_throws([&] { ChainedScheduler({a, cosine}); }, {"ChainedScheduler", "scheduler 1", "CosineAnnealingLR"});
}
