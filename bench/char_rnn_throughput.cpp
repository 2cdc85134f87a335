// Training throughput of the char-RNN step with xgrad:
//   Embedding(V, E) → RNN(E, H, L, tanh) → Linear(H, V) → cross_entropy → backward
//   → clip_grad_norm_(5) → Adam(2e-3)
// on seeded random tokens (T, B). Prints one JSON line; bench/peers/libtorch_char_rnn.cpp is the
// same program for libtorch, and bench/run.sh runs both side by side.
//
//   char_rnn_throughput --hidden 512 --layers 2 --batch 32 --seq 100 --steps 20 --threads 2
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "xgrad.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"

namespace {

struct Args {
  std::int64_t hidden = 0, layers = 0, batch = 0, seq = 0, steps = 0, threads = 0;
  std::int64_t vocab = 65, embed = 64, warmup = 3;
};

const char* kUsage =
    "usage: char_rnn_throughput --hidden H --layers L --batch B --seq T --steps N --threads K\n"
    "                           [--vocab V=65] [--embed E=64] [--warmup W=3]\n";

// Every flag takes one positive integer (warmup may be 0); the six without defaults are required.
Args parse_args(int argc, char** argv) {
  Args a;
  std::map<std::string, std::int64_t*> flags = {
      {"--hidden", &a.hidden}, {"--layers", &a.layers}, {"--batch", &a.batch}, {"--seq", &a.seq},
      {"--steps", &a.steps},   {"--threads", &a.threads}, {"--vocab", &a.vocab}, {"--embed", &a.embed},
      {"--warmup", &a.warmup}};
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    auto it = flags.find(flag);
    if (it == flags.end()) throw std::invalid_argument("unknown flag '" + flag + "'");
    if (i + 1 >= argc) throw std::invalid_argument("flag " + flag + " needs a value");
    const std::string value = argv[++i];
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || value.empty())
      throw std::invalid_argument("flag " + flag + " expects an integer, got '" + value + "'");
    const bool ok = flag == "--warmup" ? v >= 0 : v > 0;
    if (!ok) throw std::invalid_argument("flag " + flag + " must be " + (flag == "--warmup" ? "≥ 0" : "> 0") +
                                         ", got " + value);
    *it->second = v;
  }
  for (const char* required : {"--hidden", "--layers", "--batch", "--seq", "--steps", "--threads"})
    if (*flags[required] == 0) throw std::invalid_argument(std::string("missing required flag ") + required);
  return a;
}

rusage self_usage() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage;
}

double peak_rss_mib() {
  const rusage usage = self_usage();
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  try {
    a = parse_args(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "char_rnn_throughput: " << e.what() << "\n" << kUsage;
    return 2;
  }
  xg::set_num_threads(static_cast<int>(a.threads));
  xg::manual_seed(0);

  auto embedding = std::make_shared<xg::nn::Embedding>(a.vocab, a.embed);
  auto rnn = std::make_shared<xg::nn::RNN>(xg::nn::RNNOptions(a.embed, a.hidden).num_layers(a.layers));
  auto head = std::make_shared<xg::nn::Linear>(a.hidden, a.vocab);
  std::vector<xg::Tensor> params;
  for (auto* m : std::initializer_list<xg::nn::Module*>{embedding.get(), rnn.get(), head.get()})
    for (const auto& p : m->parameters()) params.push_back(p);
  xg::optim::Adam adam(params, xg::optim::AdamOptions(2e-3));

  // A few pre-drawn batches, cycled, so data generation stays out of the timed loop.
  xg::Generator data_rng(1234);
  const std::int64_t n_batches = std::min<std::int64_t>(8, a.steps + a.warmup);
  std::vector<xg::Tensor> inputs, targets;
  for (std::int64_t i = 0; i < n_batches; ++i) {
    inputs.push_back(xg::randint(0, a.vocab, {a.seq, a.batch}, data_rng));
    targets.push_back(xg::randint(0, a.vocab, {a.seq * a.batch}, data_rng));
  }

  double loss_value = 0;
  auto train_step = [&](std::int64_t i) {
    const auto& x = inputs[static_cast<std::size_t>(i % n_batches)];
    const auto& y = targets[static_cast<std::size_t>(i % n_batches)];
    adam.zero_grad();
    xg::Tensor emb = embedding->forward(x);                       // (T, B, E)
    xg::Tensor out = rnn->forward(emb).first;                     // (T, B, H), h0 = 0
    xg::Tensor logits = head->forward(out);                       // (T, B, V)
    xg::Tensor loss = xg::cross_entropy(xg::reshape(logits, {a.seq * a.batch, a.vocab}), y);
    loss.backward();
    xg::optim::clip_grad_norm_(params, 5.0);
    adam.step();
    loss_value = loss.item();
  };

  for (std::int64_t i = 0; i < a.warmup; ++i) train_step(i);
  // Page faults in the timed steps: buffers re-mapped every step show up here.
  const long faults_before = self_usage().ru_minflt;
  std::vector<double> ms;
  for (std::int64_t i = 0; i < a.steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    train_step(a.warmup + i);
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double faults_per_step = static_cast<double>(self_usage().ru_minflt - faults_before) / static_cast<double>(a.steps);
  std::sort(ms.begin(), ms.end());
  const std::size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  const double chars_per_s = static_cast<double>(a.batch * a.seq) / (median / 1000.0);

  const xg::BackendInfo info = xg::backend_info();
  std::printf(
      "{\"impl\":\"xgrad\",\"H\":%lld,\"L\":%lld,\"B\":%lld,\"T\":%lld,\"V\":%lld,\"E\":%lld,\"steps\":%lld,"
      "\"chars_per_s\":%.1f,\"median_step_ms\":%.3f,\"min_step_ms\":%.3f,\"peak_rss_mib\":%.1f,"
      "\"minor_faults_per_step\":%.1f,\"blas_kernel\":\"%s\",\"threads\":%lld,\"loss\":%.4f}\n",
      static_cast<long long>(a.hidden), static_cast<long long>(a.layers), static_cast<long long>(a.batch),
      static_cast<long long>(a.seq), static_cast<long long>(a.vocab), static_cast<long long>(a.embed),
      static_cast<long long>(a.steps), chars_per_s, median, ms.front(), peak_rss_mib(), faults_per_step,
      info.kernel.c_str(),
      static_cast<long long>(a.threads), loss_value);
  return 0;
}
