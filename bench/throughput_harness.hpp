#pragma once
// The part of the side-by-side char-RNN throughput programs (bench/char_rnn_throughput.cpp and
// bench/peers/libtorch_char_rnn.cpp) that is not about the framework: flags, timing, page-fault
// and RSS accounting, and the JSON line. Header-only, so the libtorch peer needs no xgrad library.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

struct Args {
  std::int64_t hidden = 0, layers = 0, batch = 0, seq = 0, steps = 0, threads = 0;
  std::int64_t vocab = 65, embed = 64, warmup = 3;
  std::string model = "rnn";  // rnn, lstm or gru
};

inline std::string usage(const std::string& program) {
  return "usage: " + program + " --hidden H --layers L --batch B --seq T --steps N --threads K\n" +
         std::string(program.size() + 7, ' ') + " [--vocab V=65] [--embed E=64] [--warmup W=3] [--model rnn|lstm|gru]\n";
}

// Every flag takes one positive integer (warmup may be 0); the six without defaults are required.
// Exits 0 after --help; throws std::invalid_argument for anything else it cannot accept.
inline Args parse_args(int argc, char** argv, const std::string& program) {
  Args a;
  std::map<std::string, std::int64_t*> flags = {
      {"--hidden", &a.hidden}, {"--layers", &a.layers},   {"--batch", &a.batch}, {"--seq", &a.seq},
      {"--steps", &a.steps},   {"--threads", &a.threads}, {"--vocab", &a.vocab}, {"--embed", &a.embed},
      {"--warmup", &a.warmup}};
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << usage(program);
      std::exit(0);
    }
    if (flag == "--model") {
      if (i + 1 >= argc) throw std::invalid_argument("flag --model needs a value");
      a.model = argv[++i];
      if (a.model != "rnn" && a.model != "lstm" && a.model != "gru")
        throw std::invalid_argument("flag --model must be rnn, lstm or gru, got '" + a.model + "'");
      continue;
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
    if (!ok)
      throw std::invalid_argument("flag " + flag + " must be " + (flag == "--warmup" ? "≥ 0" : "> 0") + ", got " + value);
    *it->second = v;
  }
  for (const char* required : {"--hidden", "--layers", "--batch", "--seq", "--steps", "--threads"})
    if (*flags[required] == 0) throw std::invalid_argument(std::string("missing required flag ") + required);
  return a;
}

inline rusage self_usage() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage;
}

/// Runs `warmup` untimed steps, then `steps` timed ones, and prints the JSON line
/// {"impl", sizes, chars_per_s (from the median step), median/min step ms, peak RSS,
///  minor page faults per timed step, blas_kernel, threads, loss}.
inline void run_and_report(const char* impl, const Args& a, const std::string& kernel,
                           const std::function<double(std::int64_t)>& train_step) {
  double loss = 0;
  for (std::int64_t i = 0; i < a.warmup; ++i) loss = train_step(i);
  // Page faults in the timed steps: buffers re-mapped every step show up here.
  const long faults_before = self_usage().ru_minflt;
  std::vector<double> ms;
  for (std::int64_t i = 0; i < a.steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    loss = train_step(a.warmup + i);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  const double faults = static_cast<double>(self_usage().ru_minflt - faults_before) / static_cast<double>(a.steps);
  std::sort(ms.begin(), ms.end());
  const std::size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
  const double chars_per_s = static_cast<double>(a.batch * a.seq) / (median / 1000.0);
  const double peak_rss_mib = static_cast<double>(self_usage().ru_maxrss) / 1024.0;  // Linux: KiB
  std::printf(
      "{\"impl\":\"%s\",\"model\":\"%s\",\"H\":%lld,\"L\":%lld,\"B\":%lld,\"T\":%lld,\"V\":%lld,\"E\":%lld,\"steps\":%lld,"
      "\"chars_per_s\":%.1f,\"median_step_ms\":%.3f,\"min_step_ms\":%.3f,\"peak_rss_mib\":%.1f,"
      "\"minor_faults_per_step\":%.1f,\"blas_kernel\":\"%s\",\"threads\":%lld,\"loss\":%.4f}\n",
      impl, a.model.c_str(), static_cast<long long>(a.hidden), static_cast<long long>(a.layers), static_cast<long long>(a.batch),
      static_cast<long long>(a.seq), static_cast<long long>(a.vocab), static_cast<long long>(a.embed),
      static_cast<long long>(a.steps), chars_per_s, median, ms.front(), peak_rss_mib, faults, kernel.c_str(),
      static_cast<long long>(a.threads), loss);
}

}  // namespace bench
