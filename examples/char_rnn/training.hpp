#pragma once
#include <cstdint>
#include <string>

namespace char_rnn {

class Job;

/// Everything `char_rnn train` is configured with (saved in every checkpoint).
struct TrainConfig {
  std::string data = "data/tinyshakespeare.txt";
  double val_fraction = 0.1;
  std::string model = "rnn";  // rnn, lstm or gru
  std::int64_t embed = 64, hidden = 512, layers = 2;
  double dropout = 0.0;
  std::int64_t seq = 100, batch = 32;
  double lr = 2e-3;
  std::string optimizer = "adam";
  double clip = 5.0;
  std::int64_t steps = 0;  // 0: until --minutes runs out
  double minutes = 0;      // 0: no time budget
  std::int64_t eval_every = 100;
  std::int64_t patience = 0;  // stop after this many evaluations without improvement (0: never)
  std::uint64_t seed = 1337;
  std::string out = "runs/char_rnn";
  bool resume = false;
  std::string init_weights;  // optional safetensors with initial model weights (for parity runs)
  std::string dump_init;     // optional: write the initial model weights here and continue
  int threads = 0;           // xg::set_num_threads (0: library default)
};

/// `char_rnn train` in every process of `job` (one, or the ranks of mpirun -np N: each trains on
/// its own `batch` streams, gradients averaged; rank 0 prints and writes). Returns the exit code.
int train(const TrainConfig& config, Job& job);
/// `char_rnn sample`: streams `length` characters after `prime` to stdout.
int sample(const std::string& checkpoint, std::int64_t length, double temperature, const std::string& prime,
           std::uint64_t seed);
/// `char_rnn eval`: prints validation loss of a checkpoint over a data file's validation split.
int evaluate(const std::string& checkpoint, const std::string& data, double val_fraction, const Job& job);

}  // namespace char_rnn
