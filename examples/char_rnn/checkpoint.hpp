#pragma once
// char_rnn's training checkpoints: what they hold, how they are written and read back, and the
// checks every command applies to the weights it loads.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "model.hpp"
#include "optim/optimizer.hpp"
#include "training.hpp"
#include "xgrad.hpp"

namespace char_rnn {

/// The best validation loss so far, the step it was reached at (−1: unknown, a checkpoint from
/// before it was recorded), and the evaluations since then without improvement (for --patience).
struct BestSoFar {
  double val = INFINITY;
  std::int64_t step = -1, evals_since = 0;
  /// Records an evaluation at `step`; true if it improved on the best.
  bool record(double loss, std::int64_t at) {
    if (loss < val) {
      val = loss, step = at, evals_since = 0;
      return true;
    }
    ++evals_since;
    return false;
  }
};

/// A checkpoint's contents: model weights under their PyTorch names, the optimizer's state
/// under "optimizer.", the carried hidden state as "train.hidden" (an LSTM's cell state as
/// "train.cell"), the rest in metadata.
struct Checkpoint {
  TrainConfig config;
  Vocabulary vocab;
  std::int64_t step = 0, data_position = 0;
  /// The random generator state of every rank (one entry: a single-process run). A run under
  /// `mpirun -np N` saves N (its world size); hidden then holds all N·batch streams.
  std::vector<std::string> rng;
  std::string data_fingerprint;  // absent in checkpoints written before it was recorded
  BestSoFar best;
  double elapsed = 0;
  xg::StateDict model, optimizer;
  State hidden;
};

/// What the command line's validators cannot check, checked again on the configuration stored in
/// a checkpoint: throws std::invalid_argument naming the option.
void check_config(const TrainConfig& c);

/// Reads a checkpoint written by save_checkpoint (the data checksum is verified by the loader);
/// throws std::runtime_error naming `path` for anything missing or malformed.
Checkpoint load_checkpoint(const std::string& path);

/// Writes everything a bitwise resume needs, atomically (see xg::save_safetensors): `hidden` holds
/// the carried state of every stream of the job and `rng` every rank's generator state.
void save_checkpoint(const std::string& path, const CharRNN& model, const xg::optim::Optimizer& optimizer,
                     const TrainConfig& config, const Vocabulary& vocab, std::int64_t step, std::int64_t data_position,
                     const State& hidden, const std::vector<std::string>& rng, const BestSoFar& best, double elapsed,
                     const std::string& data_fingerprint);

/// Refuses model weights that hold NaN or ±Inf (a run that diverged): they would sample garbage
/// and evaluate to nan. Names the file, the first bad tensor and how many values are bad.
void require_finite(const std::string& path, const xg::StateDict& weights);

/// The model weights in `path`, for --init-weights: a plain weights file (e.g. from --dump-init
/// or PyTorch), or a char_rnn checkpoint, whose model part is taken (its optimizer state and
/// carried state are left out) after checking it was trained on the same vocabulary.
xg::StateDict initial_weights(const std::string& path, const Vocabulary& vocab);

}  // namespace char_rnn
