// What a packed batch costs: an LSTM forward + backward over
//   one      a single sequence of 100 steps (batch 1)
//   packed   lengths {100, 10} through pack_padded_sequence (step t runs only the rows still going)
//   padded   the same two sequences padded to 100 steps (batch 2, every step computed)
// The packed batch should cost about one sequence of 100 steps plus 10 steps, well under 2× one.
//   packed_sequence [repeats=15] [hidden=256] [model=lstm|gru|rnn] [only=one|packed|padded]
// Prints min / median / max milliseconds per forward + backward and the ratios of the medians.
// With `only`, runs that configuration `repeats` times and nothing else (for instruction counts:
// valgrind --tool=callgrind bench/packed_sequence 1 256 lstm packed).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "xgrad.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace xg::nn::utils::rnn;

struct Timing {
  double min, median, max;
};

Timing measure(int repeats, const std::function<void()>& run) {
  run();  // warm-up: allocator, BLAS buffers
  std::vector<double> ms;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2], ms.back()};
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 15;
  const std::int64_t hidden = argc > 2 ? std::atoll(argv[2]) : 256, input = 64, T = 100;
  const std::string model = argc > 3 ? argv[3] : "lstm";
  xg::manual_seed(0);
  xg::nn::LSTM lstm(xg::nn::LSTMOptions(input, hidden));
  xg::nn::GRU gru(xg::nn::GRUOptions(input, hidden));
  xg::nn::RNN rnn(xg::nn::RNNOptions(input, hidden));
  // Sum of the output's elements, backpropagated: a full forward + backward.
  auto run_padded = [&](const xg::Tensor& x) {
    xg::Tensor out = model == "gru" ? gru.forward(x).first : model == "rnn" ? rnn.forward(x).first : lstm.forward(x).first;
    xg::sum(out).backward();
  };
  auto run_packed = [&](const PackedSequence& x) {
    PackedSequence out = model == "gru" ? gru.forward(x).first : model == "rnn" ? rnn.forward(x).first : lstm.forward(x).first;
    xg::sum(out.data()).backward();
  };
  const xg::Tensor one = xg::randn({T, 1, input});
  const xg::Tensor two = xg::randn({T, 2, input});
  const xg::Tensor lengths = xg::from_vector(std::vector<std::int64_t>{T, 10}, {2});

  if (argc > 4) {
    const std::string only = argv[4];
    for (int r = 0; r < repeats; ++r) {
      if (only == "one") run_padded(one);
      else if (only == "packed") run_packed(pack_padded_sequence(two, lengths));
      else run_padded(two);
    }
    return 0;
  }
  const Timing t_one = measure(repeats, [&] { run_padded(one); });
  const Timing t_packed = measure(repeats, [&] { run_packed(pack_padded_sequence(two, lengths)); });
  const Timing t_padded = measure(repeats, [&] { run_padded(two); });
  std::printf("%s, input %lld, hidden %lld, %d repeats: ms per forward + backward (min / median / max)\n",
              model.c_str(), static_cast<long long>(input), static_cast<long long>(hidden), repeats);
  std::printf("  one sequence, 100 steps     %8.2f %8.2f %8.2f\n", t_one.min, t_one.median, t_one.max);
  std::printf("  packed, lengths {100, 10}   %8.2f %8.2f %8.2f\n", t_packed.min, t_packed.median, t_packed.max);
  std::printf("  padded, 2 × 100 steps       %8.2f %8.2f %8.2f\n", t_padded.min, t_padded.median, t_padded.max);
  std::printf("  packed / one = %.2f, padded / one = %.2f\n", t_packed.median / t_one.median,
              t_padded.median / t_one.median);
  return 0;
}
