#define BOOST_TEST_MODULE optim_state_dict
#include "optim_test_helpers.hpp"
#include "temp_dir.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "autograd/serialization.hpp"
#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/adamax.hpp"
#include "optim/radam.hpp"
#include "optim/clip_grad.hpp"
#include "optim/lr_scheduler.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"

using namespace xg;
using namespace xg::optim;

using namespace xg::testing;

// Optimizer and scheduler state dicts: names, values, bit-identical resume through a file.

namespace {

// Deterministic gradients; parameter 1 has none at step 3.
void set_grads(std::vector<Tensor>& params, int step) {
  for (std::size_t k = 0; k < params.size(); ++k) {
    if (k == 1 && step == 3) {
      params[k].set_grad(Tensor());
      continue;
    }
    Generator g(1000 + 10 * step + k);
    params[k].set_grad(randn(params[k].shape(), g, params[k].dtype()) * (0.5 + step % 3));
  }
}

// Runs 12 steps uninterrupted, and 6 steps → state_dict → safetensors file → fresh optimizer over
// copies of the parameters → 6 more steps; both must agree bit for bit.
void check_resume(const Factory& factory, Dtype dtype, const std::string& stem) {
  Generator init(7);
  const std::vector<Tensor> start = {randn({3, 4}, init, dtype), randn({5}, init, dtype)};
  std::vector<Tensor> ref = leaves(start);
  auto ref_opt = factory(ref);
  ExponentialLR ref_sched(*ref_opt, 0.9);
  for (int s = 0; s < 12; ++s) {
    set_grads(ref, s);
    ref_opt->step();
    ref_sched.step();
  }

  std::vector<Tensor> first = leaves(start);
  auto first_opt = factory(first);
  ExponentialLR first_sched(*first_opt, 0.9);
  for (int s = 0; s < 6; ++s) {
    set_grads(first, s);
    first_opt->step();
    first_sched.step();
  }
  StateDict saved = first_opt->state_dict();
  for (const auto& [key, t] : first_sched.state_dict()) saved.insert("scheduler." + key, t);
  const TempDir dir("xgrad_optim_state_dict");
  const std::string path = dir.file(stem + ".safetensors");
  save_safetensors(path, saved);
  const StateDict loaded = load_safetensors(path).tensors;

  std::vector<Tensor> resumed = leaves(first);
  auto resumed_opt = factory(resumed);
  ExponentialLR resumed_sched(*resumed_opt, 0.9);
  StateDict opt_part, sched_part;
  for (const auto& [key, t] : loaded) {
    if (key.rfind("scheduler.", 0) == 0) sched_part.insert(key.substr(10), t);
    else opt_part.insert(key, t);
  }
  resumed_opt->load_state_dict(opt_part);
  resumed_sched.load_state_dict(sched_part);
  BOOST_TEST(resumed_sched.last_epoch() == 6);
  BOOST_TEST(resumed_opt->lr() == first_opt->lr());
  for (int s = 6; s < 12; ++s) {
    set_grads(resumed, s);
    resumed_opt->step();
    resumed_sched.step();
  }
  for (std::size_t k = 0; k < ref.size(); ++k) BOOST_TEST(same_bits(resumed[k], ref[k]), stem << " param " << k);
  BOOST_TEST(resumed_opt->lr() == ref_opt->lr());
}

}  // namespace

BOOST_AUTO_TEST_CASE(state_dict_resume_is_bit_identical) {
  for (Dtype dtype : {kFloat32, kFloat64}) {
    const std::string tag = dtype_name(dtype);
    check_resume(make<SGD>(SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01)), dtype, "sgd_" + tag);
    check_resume(make<Adam>(AdamOptions(0.01).amsgrad(true).weight_decay(0.01)), dtype, "adam_" + tag);
    check_resume(make<AdamW>(AdamWOptions(0.01)), dtype, "adamw_" + tag);
    check_resume(make<RMSprop>(RMSpropOptions(0.01).centered(true).momentum(0.5)), dtype, "rmsprop_" + tag);
    check_resume(make<Adagrad>(AdagradOptions(0.1).lr_decay(0.01)), dtype, "adagrad_" + tag);
    check_resume(make<Adamax>(AdamaxOptions(0.01).weight_decay(0.01)), dtype, "adamax_" + tag);
    check_resume(make<RAdam>(RAdamOptions(0.01).betas({0.8, 0.9})), dtype, "radam_" + tag);
    check_resume(make<NAdam>(NAdamOptions(0.01).weight_decay(0.01)), dtype, "nadam_" + tag);
  }
}

BOOST_AUTO_TEST_CASE(state_dict_names_and_values) {
  Tensor a = zeros({2}, kFloat64).requires_grad_();
  Tensor b = zeros({3}, kFloat64).requires_grad_();
  Adam opt({a, b}, AdamOptions(0.5).betas({0.5, 0.75}).amsgrad(true));
  a.set_grad(from_vector({2.0, -4.0}, {2}, kFloat64));
  opt.step();
  const StateDict sd = opt.state_dict();
  const std::vector<std::string> expected = {"state.0.step",         "state.0.exp_avg",      "state.0.exp_avg_sq",
                                             "state.0.max_exp_avg_sq", "param_groups.0.lr",   "param_groups.0.betas.0",
                                             "param_groups.0.betas.1", "param_groups.0.eps", "param_groups.0.weight_decay"};
  BOOST_TEST(sd.keys() == expected, boost::test_tools::per_element());
  BOOST_TEST(sd.at("state.0.step").item() == 1.0);
  // m = (1 − β₁)g = (1, −2); v = (1 − β₂)g² = (1, 4).
  BOOST_TEST(sd.at("state.0.exp_avg").to_vector() == std::vector<double>({1.0, -2.0}), boost::test_tools::per_element());
  BOOST_TEST(sd.at("state.0.exp_avg_sq").to_vector() == std::vector<double>({1.0, 4.0}),
             boost::test_tools::per_element());
  BOOST_TEST(sd.at("param_groups.0.betas.1").item() == 0.75);
  // A deep copy: stepping again does not change the saved dict.
  opt.step();
  BOOST_TEST(sd.at("state.0.step").item() == 1.0);
}

// PyTorch's Adamax state names: exp_avg and exp_inf (the infinity norm), u = max(β₂·0, |g| + ε).
BOOST_AUTO_TEST_CASE(adamax_state_dict_names_and_values) {
  Tensor a = zeros({2}, kFloat64).requires_grad_();
  Adamax opt({a}, AdamaxOptions(0.5).betas({0.5, 0.75}).eps(0.25));
  a.set_grad(from_vector({2.0, -4.0}, {2}, kFloat64));
  opt.step();
  const StateDict sd = opt.state_dict();
  const std::vector<std::string> expected = {"state.0.step",           "state.0.exp_avg",   "state.0.exp_inf",
                                             "param_groups.0.lr",      "param_groups.0.betas.0",
                                             "param_groups.0.betas.1", "param_groups.0.eps", "param_groups.0.weight_decay"};
  BOOST_TEST(sd.keys() == expected, boost::test_tools::per_element());
  BOOST_TEST(sd.at("state.0.exp_avg").to_vector() == std::vector<double>({1.0, -2.0}), boost::test_tools::per_element());
  BOOST_TEST(sd.at("state.0.exp_inf").to_vector() == std::vector<double>({2.25, 4.25}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(load_state_dict_rejects_mismatches) {
  Tensor a = zeros({2, 2}).requires_grad_();
  Adam opt({a}, AdamOptions(0.1));
  a.set_grad(ones({2, 2}));
  opt.step();
  const StateDict good = opt.state_dict();
  auto with = [&](const std::string& key, const Tensor& t) {
    StateDict sd = good;
    sd.insert(key, t);
    return sd;
  };
  auto without = [&](const std::string& key) {
    StateDict sd;
    for (const auto& [k, t] : good)
      if (k != key) sd.insert(k, t);
    return sd;
  };
  Tensor b = zeros({2, 2}).requires_grad_();
  Adam other({b}, AdamOptions(0.2));
  check_throws([&] { other.load_state_dict(with("state.0.exp_avg", zeros({4}))); },
               {"Adam.load_state_dict", "state.0.exp_avg", "[4]", "[2, 2]"});
  check_throws([&] { other.load_state_dict(with("state.3.exp_avg", zeros({2, 2}))); },
               {"state.3.exp_avg", "parameter 3", "1 parameters"});
  check_throws([&] { other.load_state_dict(with("state.0.momentum_buffer", zeros({2, 2}))); },
               {"unexpected entry 'state.0.momentum_buffer'"});
  check_throws([&] { other.load_state_dict(with("param_groups.0.momentum", scalar_tensor(0.9))); },
               {"unexpected entry 'param_groups.0.momentum'"});
  check_throws([&] { other.load_state_dict(with("bogus", scalar_tensor(1.0))); }, {"unexpected entry 'bogus'"});
  check_throws([&] { other.load_state_dict(without("state.0.exp_avg_sq")); }, {"missing entry 'state.0.exp_avg_sq'"});
  check_throws([&] { other.load_state_dict(without("state.0.step")); }, {"missing entry 'state.0.step'"});
  check_throws([&] { other.load_state_dict(without("param_groups.0.lr")); }, {"missing entry 'param_groups.0.lr'"});
  check_throws([&] { other.load_state_dict(with("state.0.step", scalar_tensor(1.5))); }, {"state.0.step", "1.5"});
  check_throws([&] { other.load_state_dict(with("param_groups.0.betas.0", scalar_tensor(2.0))); },
               {"invalid beta parameter at index 0: 2"});
  // amsgrad state into a non-amsgrad optimizer.
  check_throws([&] { other.load_state_dict(with("state.0.max_exp_avg_sq", zeros({2, 2}))); },
               {"unexpected entry 'state.0.max_exp_avg_sq'"});
  // Nothing changed by the failed loads.
  BOOST_TEST(other.lr() == 0.2);
  BOOST_TEST(other.state_dict().size() == 5u);  // only the param_groups entries
  other.load_state_dict(good);
  BOOST_TEST(other.lr() == 0.1);
  BOOST_TEST(other.step_count(0) == 1);
}
