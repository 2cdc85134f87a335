#include "training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "checkpoint.hpp"
#include "corpus.hpp"
#include "job.hpp"
#include "model.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
#include "report.hpp"
#include "xgrad.hpp"

namespace char_rnn {
namespace {

// The signal that asked training to stop (SIGINT: Ctrl-C; SIGTERM: docker stop, systemd,
// Kubernetes), 0 if none. The first one saves a checkpoint and exits 0; the handler then restores
// the default action, so a second one ends the process at once.
volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_stop_signal(int signal) {
  interrupted = signal;
  std::signal(signal, SIG_DFL);
}

// FNV-1a (64-bit) of the training text: a resumed run must read the very text it was trained on.
std::string fingerprint(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char byte : text) h = (h ^ byte) * 1099511628211ull;
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::equivalent(a, b, ec)) return true;
  return std::filesystem::absolute(a, ec).lexically_normal() == std::filesystem::absolute(b, ec).lexically_normal();
}

std::unique_ptr<xg::optim::Optimizer> make_optimizer(const TrainConfig& c, std::vector<xg::Tensor> params) {
  if (c.optimizer == "adam") return std::make_unique<xg::optim::Adam>(params, xg::optim::AdamOptions(c.lr));
  if (c.optimizer == "adamw") return std::make_unique<xg::optim::AdamW>(params, xg::optim::AdamWOptions(c.lr));
  if (c.optimizer == "sgd") return std::make_unique<xg::optim::SGD>(params, xg::optim::SGDOptions(c.lr).momentum(0.9));
  if (c.optimizer == "rmsprop") return std::make_unique<xg::optim::RMSprop>(params, xg::optim::RMSpropOptions(c.lr));
  throw std::invalid_argument("--optimizer must be adam, adamw, sgd or rmsprop, got '" + c.optimizer + "'");
}

std::shared_ptr<CharRNN> make_model(const TrainConfig& c, std::int64_t vocab) {
  return std::make_shared<CharRNN>(vocab, c.embed, c.hidden, c.layers, c.dropout, c.model);
}

/// Mean cross-entropy (nats/char) over every window of `tokens`, hidden state carried across
/// windows, in eval mode without recording a graph. `batch` streams per rank of `job` (fewer if
/// the text is short): the ranks share the streams and the sums, so N ranks with batch B give
/// the loss one process gives with batch N·B.
double validation_loss(CharRNN& model, const std::vector<std::int64_t>& tokens, std::int64_t batch, std::int64_t seq,
                       const Job& job) {
  xg::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const std::int64_t windows_that_fit = static_cast<std::int64_t>(tokens.size()) / (seq + 1);
  if (windows_that_fit < job.size())
    throw std::runtime_error("the validation split has " + std::to_string(tokens.size()) + " characters, fewer than " +
                             std::to_string(job.size()) + " processes × one window of --seq " + std::to_string(seq) +
                             " + 1");
  batch = std::max<std::int64_t>(1, std::min<std::int64_t>(batch, windows_that_fit / job.size()));
  StreamBatcher batcher(tokens, batch, seq, job.rank(), job.size());
  std::vector<std::int64_t> inputs, targets;
  State hidden;
  double total = 0;
  std::int64_t count = 0;
  for (std::int64_t w = 0; w < batcher.windows_per_epoch(); ++w) {
    batcher.next(inputs, targets);
    auto [logits, h_n] = model.forward(xg::from_vector(inputs, {seq, batch}), hidden);
    xg::Tensor loss = xg::cross_entropy(logits, xg::from_vector(targets, {seq * batch}),
                                        xg::CrossEntropyOptions().reduction(xg::Reduction::Sum));
    total += loss.item();
    count += seq * batch;
    hidden = h_n;
  }
  model.train(was_training);
  const std::vector<double> sums = job.sum({total, static_cast<double>(count)});
  return sums[0] / sums[1];
}

}  // namespace

int train(const TrainConfig& requested, Job& job) {
  check_config(requested);
  if (requested.threads > 0) xg::set_num_threads(requested.threads);
  const std::string out_dir = requested.out;
  const std::string last_path = out_dir + "/last.safetensors", best_path = out_dir + "/best.safetensors";
  TrainConfig config = requested;
  Checkpoint resumed;
  if (requested.resume) {
    if (!std::filesystem::exists(last_path))
      throw std::runtime_error("--resume: there is no checkpoint " + last_path +
                               " (train without --resume first, or give the --out of an earlier run)");
    resumed = load_checkpoint(last_path);
    if (static_cast<int>(resumed.rng.size()) != job.size())
      throw std::runtime_error("--resume: " + last_path + " was written by a job of " +
                               std::to_string(resumed.rng.size()) + " process" + (resumed.rng.size() == 1 ? "" : "es") +
                               "; resume it with the same number (" +
                               (resumed.rng.size() == 1 ? std::string("without mpirun")
                                                        : "mpirun -np " + std::to_string(resumed.rng.size())) +
                               "), this job has " + std::to_string(job.size()));
    // The model, data and optimizer are the checkpoint's; how long to go on is the command line's.
    config = resumed.config;
    config.steps = requested.steps;
    config.minutes = requested.minutes;
    config.eval_every = requested.eval_every;
    config.patience = requested.patience;
    config.out = requested.out;
    // An empty --data (main.cpp: not given) means the checkpoint's. Another path is accepted only
    // for the same text (a moved file); without a recorded fingerprint it must be the same file.
    if (!requested.data.empty()) {
      if (resumed.data_fingerprint.empty() && !same_file(requested.data, resumed.config.data))
        throw std::runtime_error("--resume: the checkpoint was trained on '" + resumed.config.data + "', not '" +
                                 requested.data + "' (omit --data to continue on its data)");
      config.data = requested.data;
    }
  }
  const std::string text = read_text_file(config.data);
  const std::string data_fingerprint = fingerprint(text);
  if (requested.resume && !resumed.data_fingerprint.empty() && data_fingerprint != resumed.data_fingerprint)
    throw std::runtime_error("--resume: data file '" + config.data + "' is not the text the checkpoint was trained on ('" +
                             resumed.config.data + "', " + resumed.data_fingerprint + "; this file has " +
                             data_fingerprint + ")");
  const Vocabulary vocab = build_vocabulary(text);
  if (requested.resume && vocab.symbols != resumed.vocab.symbols)
    throw std::runtime_error("the data file's vocabulary (" + std::to_string(vocab.size()) +
                             " symbols) differs from the checkpoint's (" + std::to_string(resumed.vocab.size()) + ")");
  const Split split = split_tokens(encode(text, vocab), config.val_fraction);
  StreamBatcher batcher(split.train, config.batch, config.seq, job.rank(), job.size());
  if (split.val.size() < static_cast<std::size_t>(config.seq + 1))
    throw std::runtime_error("the validation split has " + std::to_string(split.val.size()) +
                             " characters, fewer than one window of --seq " + std::to_string(config.seq) + " + 1");

  xg::manual_seed(config.seed);
  auto model = make_model(config, vocab.size());
  if (!config.init_weights.empty()) {
    try {
      model->load_state_dict(initial_weights(config.init_weights, vocab));
    } catch (const std::exception& e) {
      throw std::runtime_error("--init-weights '" + config.init_weights + "': " + e.what());
    }
  }
  job.replicate(model);  // every rank now holds rank 0's weights
  if (!requested.dump_init.empty() && job.is_main()) model->save(requested.dump_init);
  // Dropout masks must differ between ranks (the model's initial weights came from rank 0's).
  if (job.rank() > 0) xg::manual_seed(config.seed + static_cast<std::uint64_t>(job.rank()));
  auto optimizer = make_optimizer(config, model->parameters());

  std::int64_t step = 0;
  BestSoFar best;
  double elapsed_before = 0;
  State hidden;
  if (requested.resume) {
    require_finite(last_path, resumed.model);
    model->load_state_dict(resumed.model);
    optimizer->load_state_dict(resumed.optimizer);
    hidden = {job.shard(resumed.hidden.h, 1), job.shard(resumed.hidden.c, 1)};
    step = resumed.step;
    batcher.set_position(resumed.data_position);
    xg::default_generator().set_state_from_string(resumed.rng[static_cast<std::size_t>(job.rank())]);
    best = resumed.best;
    elapsed_before = resumed.elapsed;
  }
  const std::int64_t total_steps = config.steps > 0 ? config.steps : (config.minutes > 0 ? 0 : 1000);
  if (job.is_main()) {
    std::filesystem::create_directories(out_dir);
    std::cerr << "char_rnn: " << xg::backend_summary() << "\n"
              << "char_rnn: " << text.size() << " characters, vocabulary " << vocab.size() << ", train "
              << split.train.size() << ", validation " << split.val.size() << "; model " << model->num_parameters()
              << " parameters" << (requested.resume ? ", resumed at step " + std::to_string(step) : "") << "\n";
    if (job.size() > 1)
      std::cerr << "char_rnn: " << job.size() << " processes × --batch " << config.batch << " = " << job.size() * config.batch
                << " streams per step (rank 0 prints and writes)\n";
  }

  interrupted = 0;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  Progress progress(total_steps, config.minutes);
  const auto params = model->parameters();
  std::vector<LogRow> rows;
  std::vector<std::int64_t> inputs, targets;
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto elapsed = [&] { return elapsed_before + std::chrono::duration<double>(clock::now() - start).count(); };
  double chars_per_s = 0, last_val = NAN, last_train = NAN, allreduce_wait = 0;
  bool evaluated_last = false, stopped_early = false;
  // Collective: every rank's carried state and generator go into the file rank 0 writes.
  auto checkpoint = [&](const std::string& path) {
    const State all_streams{job.gather(hidden.h, 1), job.gather(hidden.c, 1)};
    const std::vector<std::string> rng = job.gather(xg::default_generator().to_string());
    if (job.is_main())
      save_checkpoint(path, *model, *optimizer, config, vocab, step, batcher.position(), all_streams, rng, best,
                      elapsed(), data_fingerprint);
  };
  auto show_progress = [&] {
    if (!job.is_main()) return;
    ProgressFields fields;
    fields.step = step;
    fields.train_loss = last_train;
    fields.val_loss = last_val;
    fields.best_val = best.val;
    fields.best_step = best.step;
    fields.chars_per_s = chars_per_s;
    progress.update(fields, elapsed(), evaluated_last);
  };
  // Validation loss now; checkpoints (best too when it improved), log.csv and the plot.
  auto evaluate_and_save = [&] {
    last_val = validation_loss(*model, split.val, config.batch, config.seq, job);
    if (!rows.empty() && rows.back().step == step) rows.back().val_loss = last_val;
    const bool improved = best.record(last_val, step);
    checkpoint(last_path);
    if (improved) checkpoint(best_path);
    if (job.is_main()) {
      append_csv(out_dir + "/log.csv", rows);
      write_loss_plot(out_dir + "/loss.svg", read_csv(out_dir + "/log.csv"));
    }
    rows.clear();
    evaluated_last = true;
    stopped_early = config.patience > 0 && best.evals_since >= config.patience;
  };

  // Under mpirun the ranks agree before every step (a signal or the time budget may reach them
  // at different steps): all stop together, and the last checkpoint has every rank's state.
  while (!job.any(!((total_steps == 0 || step < total_steps) &&
                    (config.minutes <= 0 || elapsed() < 60 * config.minutes) && !interrupted && !stopped_early))) {
    const auto t0 = clock::now();
    if (batcher.next(inputs, targets)) hidden = State();  // a new pass over the data
    auto [logits, h_n] = model->forward(xg::from_vector(inputs, {config.seq, config.batch}), hidden);
    xg::Tensor loss = xg::cross_entropy(logits, xg::from_vector(targets, {config.seq * config.batch}));
    const double train_loss = job.sum({loss.item()})[0] / job.size();  // the mean over all streams
    if (!std::isfinite(train_loss)) {  // before the step: the weights and the checkpoints stay finite
      if (job.is_main()) progress.finish();
      throw std::runtime_error("training diverged: the loss of step " + std::to_string(step + 1) + " is " +
                               xg::format_number(train_loss) + " (try a lower --lr or --clip); " +
                               (std::filesystem::exists(last_path) ? last_path + " holds the last checkpoint"
                                                                   : "no checkpoint was written"));
    }
    optimizer->zero_grad();
    loss.backward();  // under mpirun: the gradients come back averaged over the ranks
    allreduce_wait += job.allreduce_wait_seconds();
    xg::optim::clip_grad_norm_(params, config.clip);
    optimizer->step();
    hidden = h_n.detach();  // truncated BPTT: carry the state, not the graph
    ++step;
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    const double rate = static_cast<double>(config.seq * config.batch * job.size()) / dt;
    chars_per_s = chars_per_s == 0 ? rate : 0.9 * chars_per_s + 0.1 * rate;
    rows.push_back({step, elapsed(), train_loss, NAN, optimizer->lr(), chars_per_s});
    evaluated_last = false;
    if (step % config.eval_every == 0 || step == total_steps) evaluate_and_save();
    last_train = train_loss;
    show_progress();
  }
  const bool signalled = job.any(interrupted != 0);  // on any rank: all ranks call this
  if (!evaluated_last && step > 0) {
    if (signalled) {  // no time for a validation pass: save where we are
      checkpoint(last_path);
      if (job.is_main()) {
        append_csv(out_dir + "/log.csv", rows);
        write_loss_plot(out_dir + "/loss.svg", read_csv(out_dir + "/log.csv"));
      }
    } else {
      evaluate_and_save();
      show_progress();  // the final evaluation's line
    }
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!job.is_main()) return 0;
  progress.finish();
  char line[512];
  const char* how = interrupted == SIGTERM ? "stopped by SIGTERM, checkpoint saved"
                    : signalled          ? "interrupted, checkpoint saved"
                    : stopped_early      ? "stopped early"
                                         : "done";
  std::snprintf(line, sizeof line, "char_rnn: %s at step %lld after %s; best validation loss %.4f nats/char%s", how,
                static_cast<long long>(step), format_duration(elapsed()).c_str(), best.val,
                best.step >= 0 ? (" at step " + std::to_string(best.step)).c_str() : "");
  std::cerr << line << "\n";
  if (stopped_early) {
    std::snprintf(line, sizeof line,
                  "char_rnn: early stop: no improvement in %lld evaluations (--patience %lld); now %.4f",
                  static_cast<long long>(best.evals_since), static_cast<long long>(config.patience), last_val);
    std::cerr << line << "\n";
  } else if (best.evals_since >= 2 && last_val > best.val) {
    // Validation has been rising since the best: say so, with what to do about it.
    std::snprintf(line, sizeof line,
                  "char_rnn: warning: overfitting: validation loss rose to %.4f over the last %lld evaluations "
                  "(best %.4f); best.safetensors keeps the best model, --patience N stops such runs early",
                  last_val, static_cast<long long>(best.evals_since), best.val);
    std::cerr << line << "\n";
  }
  if (job.size() > 1 && step > resumed.step) {
    std::snprintf(line, sizeof line,
                  "char_rnn: gradient all-reduce over %d processes: %.2f ms per step waited at the end of backward",
                  job.size(), 1e3 * allreduce_wait / static_cast<double>(step - resumed.step));
    std::cerr << line << "\n";
  }
  std::cerr << "char_rnn: wrote " << last_path << ", " << best_path << ", " << out_dir << "/log.csv, " << out_dir
            << "/loss.svg\n";
  return 0;
}

int sample(const std::string& path, std::int64_t length, double temperature, const std::string& prime,
           std::uint64_t seed) {
  if (!(temperature > 0)) throw std::invalid_argument("--temperature must be positive, got " + xg::format_number(temperature));
  Checkpoint ckpt = load_checkpoint(path);
  require_finite(path, ckpt.model);
  auto model = make_model(ckpt.config, ckpt.vocab.size());
  model->load_state_dict(ckpt.model);
  model->eval();
  xg::NoGradGuard no_grad;
  xg::Generator generator(seed);
  std::string start = prime.empty() ? std::string(1, ckpt.vocab.symbols.find('\n') != std::string::npos ? '\n' : ckpt.vocab.symbols[0]) : prime;
  std::vector<std::int64_t> ids = encode(start, ckpt.vocab);
  std::cout << prime << std::flush;
  State hidden;
  xg::Tensor logits;
  std::tie(logits, hidden) = model->forward(xg::from_vector(ids, {static_cast<std::int64_t>(ids.size()), 1}), hidden);
  for (std::int64_t i = 0; i < length; ++i) {
    xg::Tensor last = xg::select(logits, 0, logits.size(0) - 1);
    const std::vector<double> p = xg::softmax(xg::div(last, temperature).to(xg::kFloat64), 0).to_vector();
    double u = generator.uniform(), acc = 0;
    std::int64_t next = static_cast<std::int64_t>(p.size()) - 1;
    for (std::size_t k = 0; k < p.size(); ++k)
      if ((acc += p[k]) > u) {
        next = static_cast<std::int64_t>(k);
        break;
      }
    std::cout << ckpt.vocab.symbols[static_cast<std::size_t>(next)];
    if (i % 64 == 63) std::cout << std::flush;
    std::tie(logits, hidden) = model->forward(xg::from_vector(std::vector<std::int64_t>{next}, {1, 1}), hidden);
  }
  std::cout << std::endl;
  return 0;
}

int evaluate(const std::string& path, const std::string& data, double val_fraction, const Job& job) {
  Checkpoint ckpt = load_checkpoint(path);
  require_finite(path, ckpt.model);
  auto model = make_model(ckpt.config, ckpt.vocab.size());
  model->load_state_dict(ckpt.model);
  const std::string text = read_text_file(data.empty() ? ckpt.config.data : data);
  const Split split = split_tokens(encode(text, ckpt.vocab), val_fraction > 0 ? val_fraction : ckpt.config.val_fraction);
  // A run under mpirun -np N evaluated N·batch streams: so does this process, for the same number.
  const auto streams = ckpt.config.batch * static_cast<std::int64_t>(ckpt.rng.size());
  const double loss = validation_loss(*model, split.val, streams, ckpt.config.seq, job);
  std::printf("validation loss: %.4f nats/char (%.4f bits/char) over %zu characters, checkpoint step %lld\n", loss,
              loss / std::log(2.0), split.val.size(), static_cast<long long>(ckpt.step));
  return 0;
}

}  // namespace char_rnn
