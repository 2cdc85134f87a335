// char_rnn: train, sample and evaluate a character-level RNN language model with xgrad.
//   char_rnn train --data data/tinyshakespeare.txt --steps 2000 --out runs/shakespeare
//   char_rnn sample --checkpoint runs/shakespeare/best.safetensors --prime "ROMEO:"
//   char_rnn eval --checkpoint runs/shakespeare/best.safetensors --data data/tinyshakespeare.txt
//   mpirun -np 2 char_rnn train ...   (data parallel: each process trains on its own --batch streams)
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "job.hpp"
#include "training.hpp"

namespace {
// Every failure is one line on stderr: "char_rnn: error: <what>".
int fail(std::string what, int status) {
  for (std::size_t at = what.find('\n'); at != std::string::npos; at = what.find('\n', at))
    what.replace(at, 1, at + 1 == what.size() ? "" : "; ");
  std::cerr << "char_rnn: error: " << what << "\n";
  return status;
}

// A numeric option check whose message reads "--hidden: must be positive, got -5" (CLI11's
// PositiveNumber reports "not in range 0.000000 to <DBL_MAX written out in full>"). NaN fails all.
CLI::Validator number_that_is(const std::string& requirement, std::function<bool(double)> ok) {
  return CLI::Validator(
      [requirement, ok](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0') return "expected a number, got '" + text + "'";
        return ok(value) ? std::string() : "must be " + requirement + ", got " + text;
      },
      requirement);
}
const CLI::Validator kPositive = number_that_is("positive", [](double v) { return v > 0; });
const CLI::Validator kNonNegative = number_that_is("non-negative", [](double v) { return v >= 0; });
const CLI::Validator kFraction = number_that_is("in [0, 1]", [](double v) { return v >= 0 && v <= 1; });
const CLI::Validator kOpenFraction = number_that_is("in (0, 1)", [](double v) { return v > 0 && v < 1; });

// A name from a fixed list: "--model: must be rnn, lstm or gru, got 'transformer'".
CLI::Validator one_of(const std::vector<std::string>& names) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i)
    list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return CLI::Validator(
      [names, list](std::string& text) -> std::string {
        for (const std::string& n : names)
          if (text == n) return std::string();
        return "must be " + list + ", got '" + text + "'";
      },
      list);
}

// Exit statuses, the same for every subcommand (also in docs/errors.md).
constexpr int kRuntimeError = 1;  // a file, the data or a checkpoint is bad, or I/O failed
constexpr int kUsageError = 2;    // the command line is wrong (nothing was read or written)
const char* const kExitStatus =
    "Exit status: 0 success (also when Ctrl-C or SIGTERM stopped training: a checkpoint is saved);\n"
    "1 runtime error (a file, the data or a checkpoint is bad, or I/O failed);\n"
    "2 usage error (an unknown or malformed option, or an impossible value).";
}  // namespace

int main(int argc, char** argv) {
  char_rnn::Job job;  // joins the MPI job when started by mpirun/srun; else a job of one
  CLI::App app{"Character-level RNN language model (xgrad)"};
  app.require_subcommand(1);
  app.footer(kExitStatus);

  char_rnn::TrainConfig c;
  CLI::App* train = app.add_subcommand("train", "train a model, writing checkpoints, log.csv and loss.svg to --out");
  train->add_option("--data", c.data, "UTF-8 text file")->capture_default_str();
  train->add_option("--val-fraction", c.val_fraction, "last fraction of the text used for validation")
      ->check(kOpenFraction)->capture_default_str();
  train->add_option("--model", c.model, "rnn, lstm or gru")->check(one_of({"rnn", "lstm", "gru"}))->capture_default_str();
  train->add_option("--embed", c.embed, "embedding size")->check(kPositive)->capture_default_str();
  train->add_option("--hidden", c.hidden, "hidden size")->check(kPositive)->capture_default_str();
  train->add_option("--layers", c.layers, "RNN layers")->check(kPositive)->capture_default_str();
  train->add_option("--dropout", c.dropout, "dropout between RNN layers")->check(kFraction)->capture_default_str();
  train->add_option("--seq", c.seq, "characters per BPTT window")->check(kPositive)->capture_default_str();
  train->add_option("--batch", c.batch, "parallel streams")->check(kPositive)->capture_default_str();
  train->add_option("--lr", c.lr, "learning rate")->check(kPositive)->capture_default_str();
  train->add_option("--optimizer", c.optimizer, "adam, adamw, sgd or rmsprop")
      ->check(one_of({"adam", "adamw", "sgd", "rmsprop"}))->capture_default_str();
  train->add_option("--clip", c.clip, "gradient norm clip")->check(kPositive)->capture_default_str();
  train->add_option("--steps", c.steps, "training steps (default 1000 without --minutes)")->check(kPositive);
  train->add_option("--minutes", c.minutes, "time budget in minutes (with --steps: whichever ends first)")
      ->check(kPositive);
  train->add_option("--eval-every", c.eval_every, "evaluate and checkpoint every K steps")
      ->check(kPositive)->capture_default_str();
  train->add_option("--patience", c.patience,
                    "early stopping: stop (and save) after N evaluations without a better validation loss")
      ->check(kPositive);
  train->add_option("--seed", c.seed, "random seed")->capture_default_str();
  train->add_option("--out", c.out, "output directory")->capture_default_str();
  train->add_flag("--resume", c.resume, "continue from OUT/last.safetensors");
  train->add_option("--init-weights", c.init_weights,
                    "start from these model weights: a safetensors file of weights or a char_rnn checkpoint");
  train->add_option("--dump-init", c.dump_init, "write the initial model weights here (safetensors)");
  train->add_option("--threads", c.threads, "threads (default: the CPUs this process may use)")->check(kPositive);

  std::string checkpoint, prime, data;
  std::int64_t length = 1000;
  double temperature = 0.8, val_fraction = 0;
  std::uint64_t seed = 1;
  CLI::App* sample = app.add_subcommand("sample", "generate text from a checkpoint");
  sample->add_option("--checkpoint", checkpoint, "a .safetensors checkpoint")->required();
  sample->add_option("--length", length, "characters to generate")->check(kNonNegative)->capture_default_str();
  sample->add_option("--temperature", temperature, "softmax temperature")->check(kPositive)->capture_default_str();
  sample->add_option("--prime", prime, "text to start from");
  sample->add_option("--seed", seed, "random seed")->capture_default_str();

  CLI::App* eval = app.add_subcommand("eval", "validation loss of a checkpoint");
  eval->add_option("--checkpoint", checkpoint, "a .safetensors checkpoint")->required();
  eval->add_option("--data", data, "text file (default: the one it was trained on)");
  eval->add_option("--val-fraction", val_fraction, "validation fraction (default: the training run's)")
      ->check(kOpenFraction);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parsed the same command line: one message is enough.
    if (e.get_exit_code() == 0) return job.is_main() ? app.exit(e) : 0;  // --help
    return job.is_main() ? fail(std::string(e.what()) + " (run with --help for usage)", kUsageError) : kUsageError;
  }
  if (job.size() > 1 && !*train)
    return job.is_main() ? fail("only train runs under mpirun; start sample and eval as one process", kUsageError)
                         : kUsageError;
  // On --resume the data is the checkpoint's unless --data is given (then it must be the same text).
  if (c.resume && train->count("--data") == 0) c.data.clear();
  try {
    if (*train) return char_rnn::train(c, job);
    if (*sample) return char_rnn::sample(checkpoint, length, temperature, prime, seed);
    return char_rnn::evaluate(checkpoint, data, val_fraction, job);
  } catch (const std::exception& e) {
    // Under mpirun the other ranks may be waiting for this one in a collective: end the job.
    if (job.size() > 1) job.abort("char_rnn: error: " + std::string(e.what()), kRuntimeError);
    return fail(e.what(), kRuntimeError);
  }
}
