// char_rnn: train, sample and evaluate a character-level RNN language model with xgrad.
//   char_rnn train --data data/tinyshakespeare.txt --steps 2000 --out runs/shakespeare
//   char_rnn sample --checkpoint runs/shakespeare/best.safetensors --prime "ROMEO:"
//   char_rnn eval --checkpoint runs/shakespeare/best.safetensors --data data/tinyshakespeare.txt
#include <CLI/CLI.hpp>
#include <iostream>

#include "training.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Character-level RNN language model (xgrad)"};
  app.require_subcommand(1);

  char_rnn::TrainConfig c;
  CLI::App* train = app.add_subcommand("train", "train a model, writing checkpoints, log.csv and loss.svg to --out");
  train->add_option("--data", c.data, "UTF-8 text file")->capture_default_str();
  train->add_option("--val-fraction", c.val_fraction, "last fraction of the text used for validation")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  train->add_option("--model", c.model, "rnn, lstm or gru")->capture_default_str();
  train->add_option("--embed", c.embed, "embedding size")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--hidden", c.hidden, "hidden size")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--layers", c.layers, "RNN layers")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--dropout", c.dropout, "dropout between RNN layers")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  train->add_option("--seq", c.seq, "characters per BPTT window")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--batch", c.batch, "parallel streams")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--lr", c.lr, "learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--optimizer", c.optimizer, "adam, adamw, sgd or rmsprop")->capture_default_str();
  train->add_option("--clip", c.clip, "gradient norm clip")->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--steps", c.steps, "training steps (default 1000 without --minutes)")->check(CLI::NonNegativeNumber);
  train->add_option("--minutes", c.minutes, "time budget in minutes")->check(CLI::NonNegativeNumber);
  train->add_option("--eval-every", c.eval_every, "evaluate and checkpoint every K steps")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train->add_option("--seed", c.seed, "random seed")->capture_default_str();
  train->add_option("--out", c.out, "output directory")->capture_default_str();
  train->add_flag("--resume", c.resume, "continue from OUT/last.safetensors");
  train->add_option("--init-weights", c.init_weights, "start from these model weights (safetensors)");
  train->add_option("--dump-init", c.dump_init, "write the initial model weights here (safetensors)");
  train->add_option("--threads", c.threads, "BLAS threads (default: all cores)")->check(CLI::PositiveNumber);

  std::string checkpoint, prime, data;
  std::int64_t length = 1000;
  double temperature = 0.8, val_fraction = 0;
  std::uint64_t seed = 1;
  CLI::App* sample = app.add_subcommand("sample", "generate text from a checkpoint");
  sample->add_option("--checkpoint", checkpoint, "a .safetensors checkpoint")->required();
  sample->add_option("--length", length, "characters to generate")->check(CLI::NonNegativeNumber)->capture_default_str();
  sample->add_option("--temperature", temperature, "softmax temperature")->check(CLI::PositiveNumber)->capture_default_str();
  sample->add_option("--prime", prime, "text to start from");
  sample->add_option("--seed", seed, "random seed")->capture_default_str();

  CLI::App* eval = app.add_subcommand("eval", "validation loss of a checkpoint");
  eval->add_option("--checkpoint", checkpoint, "a .safetensors checkpoint")->required();
  eval->add_option("--data", data, "text file (default: the one it was trained on)");
  eval->add_option("--val-fraction", val_fraction, "validation fraction (default: the training run's)")
      ->check(CLI::Range(0.0, 1.0));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*train) return char_rnn::train(c);
    if (*sample) return char_rnn::sample(checkpoint, length, temperature, prime, seed);
    return char_rnn::evaluate(checkpoint, data, val_fraction);
  } catch (const std::exception& e) {
    std::cerr << "char_rnn: error: " << e.what() << "\n";
    return 1;
  }
}
