#include "training.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "corpus.hpp"
#include "model.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
#include "report.hpp"
#include "xgrad.hpp"

namespace char_rnn {
namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_sigint(int) { interrupted = 1; }

constexpr const char* kFormat = "xgrad-char-rnn-1";

// What the command line's validators cannot check (names, open ranges), checked before any file
// is read or written; also applied to the configuration stored in a checkpoint.
void check_config(const TrainConfig& c) {
  if (c.model != "rnn" && c.model != "lstm" && c.model != "gru")
    throw std::invalid_argument("--model must be rnn, lstm or gru, got '" + c.model + "'");
  if (c.optimizer != "adam" && c.optimizer != "adamw" && c.optimizer != "sgd" && c.optimizer != "rmsprop")
    throw std::invalid_argument("--optimizer must be adam, adamw, sgd or rmsprop, got '" + c.optimizer + "'");
  if (!(c.val_fraction > 0 && c.val_fraction < 1))
    throw std::invalid_argument("--val-fraction must be in (0, 1), got " + xg::format_number(c.val_fraction));
  if (!(c.dropout >= 0 && c.dropout <= 1))
    throw std::invalid_argument("--dropout must be in [0, 1], got " + xg::format_number(c.dropout));
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

nlohmann::json to_json(const TrainConfig& c) {
  return {{"data", c.data},       {"val_fraction", c.val_fraction}, {"model", c.model},   {"embed", c.embed},
          {"hidden", c.hidden},   {"layers", c.layers},             {"dropout", c.dropout}, {"seq", c.seq},
          {"batch", c.batch},     {"lr", c.lr},                     {"optimizer", c.optimizer}, {"clip", c.clip},
          {"seed", c.seed}};
}

TrainConfig from_json(const nlohmann::json& j) {
  TrainConfig c;
  c.data = j.at("data");
  c.val_fraction = j.at("val_fraction");
  c.model = j.at("model");
  c.embed = j.at("embed");
  c.hidden = j.at("hidden");
  c.layers = j.at("layers");
  c.dropout = j.at("dropout");
  c.seq = j.at("seq");
  c.batch = j.at("batch");
  c.lr = j.at("lr");
  c.optimizer = j.at("optimizer");
  c.clip = j.at("clip");
  c.seed = j.at("seed");
  return c;
}

/// A checkpoint's contents: model weights under their PyTorch names, the optimizer's state
/// under "optimizer.", the carried hidden state as "train.hidden" (an LSTM's cell state as
/// "train.cell"), the rest in metadata.
struct Checkpoint {
  TrainConfig config;
  Vocabulary vocab;
  std::int64_t step = 0, data_position = 0;
  std::string rng;
  std::string data_fingerprint;  // absent in checkpoints written before it was recorded
  double best_val = INFINITY, elapsed = 0;
  xg::StateDict model, optimizer;
  State hidden;
};

Checkpoint load_checkpoint(const std::string& path) {
  xg::SafetensorsFile file = xg::load_safetensors(path);
  auto meta = [&](const char* key) -> const std::string& {
    auto it = file.metadata.find(key);
    if (it == file.metadata.end())
      throw std::runtime_error("'" + path + "' is not a char_rnn checkpoint (metadata '" + key + "' missing)");
    return it->second;
  };
  if (meta("format") != kFormat)
    throw std::runtime_error("'" + path + "' has checkpoint format '" + meta("format") + "', expected " + kFormat);
  Checkpoint c;
  try {
    c.config = from_json(nlohmann::json::parse(meta("config")));
    c.step = std::stoll(meta("step"));
    c.data_position = std::stoll(meta("data_position"));
    c.best_val = std::stod(meta("best_val"));
    c.elapsed = std::stod(meta("elapsed_seconds"));
  } catch (const std::exception& e) {
    throw std::runtime_error("'" + path + "' has malformed checkpoint metadata: " + e.what());
  }
  try {
    check_config(c.config);
  } catch (const std::exception& e) {
    throw std::runtime_error("'" + path + "' has an invalid configuration: " + e.what());
  }
  if (auto it = file.metadata.find("data_fingerprint"); it != file.metadata.end()) c.data_fingerprint = it->second;
  c.vocab = Vocabulary::from_hex(meta("vocab"));
  c.rng = meta("rng");
  for (const auto& [name, t] : file.tensors) {
    if (name.rfind("optimizer.", 0) == 0) c.optimizer.insert(name.substr(10), t);
    else if (name == "train.hidden") c.hidden.h = t;
    else if (name == "train.cell") c.hidden.c = t;
    else c.model.insert(name, t);
  }
  if (c.hidden.c.defined() != (c.config.model == "lstm" && c.hidden.h.defined()))
    throw std::runtime_error("'" + path + "' has a malformed carried state: an lstm checkpoint holds train.hidden and " +
                             "train.cell together, other models only train.hidden");
  return c;
}

void save_checkpoint(const std::string& path, const CharRNN& model, const xg::optim::Optimizer& optimizer,
                     const TrainConfig& config, const Vocabulary& vocab, std::int64_t step, std::int64_t data_position,
                     const State& hidden, double best_val, double elapsed, const std::string& data_fingerprint) {
  xg::StateDict all = model.state_dict();
  for (const auto& [name, t] : optimizer.state_dict()) all.insert("optimizer." + name, t);
  if (hidden.h.defined()) all.insert("train.hidden", hidden.h);
  if (hidden.c.defined()) all.insert("train.cell", hidden.c);
  char best[64], secs[64];
  std::snprintf(best, sizeof best, "%.17g", best_val);
  std::snprintf(secs, sizeof secs, "%.3f", elapsed);
  xg::save_safetensors(path, all,
                       {{"format", kFormat},
                        {"config", to_json(config).dump()},
                        {"vocab", vocab.to_hex()},
                        {"step", std::to_string(step)},
                        {"data_position", std::to_string(data_position)},
                        {"data_fingerprint", data_fingerprint},
                        {"rng", xg::default_generator().to_string()},
                        {"best_val", best},
                        {"elapsed_seconds", secs}});
}

std::unique_ptr<xg::optim::Optimizer> make_optimizer(const TrainConfig& c, std::vector<xg::Tensor> params) {
  if (c.optimizer == "adam") return std::make_unique<xg::optim::Adam>(params, xg::optim::AdamOptions(c.lr));
  if (c.optimizer == "adamw") return std::make_unique<xg::optim::AdamW>(params, xg::optim::AdamWOptions(c.lr));
  if (c.optimizer == "sgd") return std::make_unique<xg::optim::SGD>(params, xg::optim::SGDOptions(c.lr).momentum(0.9));
  if (c.optimizer == "rmsprop") return std::make_unique<xg::optim::RMSprop>(params, xg::optim::RMSpropOptions(c.lr));
  throw std::invalid_argument("--optimizer must be adam, adamw, sgd or rmsprop, got '" + c.optimizer + "'");
}

std::unique_ptr<CharRNN> make_model(const TrainConfig& c, std::int64_t vocab) {
  return std::make_unique<CharRNN>(vocab, c.embed, c.hidden, c.layers, c.dropout, c.model);
}

/// Mean cross-entropy (nats/char) over every window of `tokens`, hidden state carried across
/// windows, in eval mode without recording a graph.
double validation_loss(CharRNN& model, const std::vector<std::int64_t>& tokens, std::int64_t batch, std::int64_t seq) {
  xg::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  batch = std::max<std::int64_t>(1, std::min<std::int64_t>(batch, static_cast<std::int64_t>(tokens.size()) / (seq + 1)));
  StreamBatcher batcher(tokens, batch, seq);
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
  return total / static_cast<double>(count);
}

}  // namespace

int train(const TrainConfig& requested) {
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
    // The model, data and optimizer are the checkpoint's; how long to go on is the command line's.
    config = resumed.config;
    config.steps = requested.steps;
    config.minutes = requested.minutes;
    config.eval_every = requested.eval_every;
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
  StreamBatcher batcher(split.train, config.batch, config.seq);
  if (split.val.size() < static_cast<std::size_t>(config.seq + 1))
    throw std::runtime_error("the validation split has " + std::to_string(split.val.size()) +
                             " characters, fewer than one window of --seq " + std::to_string(config.seq) + " + 1");

  xg::manual_seed(config.seed);
  auto model = make_model(config, vocab.size());
  if (!config.init_weights.empty()) {
    try {
      model->load(config.init_weights);
    } catch (const std::exception& e) {
      throw std::runtime_error("--init-weights '" + config.init_weights + "': " + e.what());
    }
  }
  if (!requested.dump_init.empty()) model->save(requested.dump_init);
  auto optimizer = make_optimizer(config, model->parameters());

  std::int64_t step = 0;
  double best_val = INFINITY, elapsed_before = 0;
  State hidden;
  if (requested.resume) {
    model->load_state_dict(resumed.model);
    optimizer->load_state_dict(resumed.optimizer);
    hidden = resumed.hidden;
    step = resumed.step;
    batcher.set_position(resumed.data_position);
    xg::default_generator().set_state_from_string(resumed.rng);
    best_val = resumed.best_val;
    elapsed_before = resumed.elapsed;
  }
  const std::int64_t total_steps = config.steps > 0 ? config.steps : (config.minutes > 0 ? 0 : 1000);
  std::filesystem::create_directories(out_dir);
  std::cerr << "char_rnn: " << xg::backend_summary() << "\n"
            << "char_rnn: " << text.size() << " characters, vocabulary " << vocab.size() << ", train "
            << split.train.size() << ", validation " << split.val.size() << "; model " << model->num_parameters()
            << " parameters" << (requested.resume ? ", resumed at step " + std::to_string(step) : "") << "\n";

  interrupted = 0;
  std::signal(SIGINT, on_sigint);
  Progress progress(total_steps, config.minutes);
  const auto params = model->parameters();
  std::vector<LogRow> rows;
  std::vector<std::int64_t> inputs, targets;
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto elapsed = [&] { return elapsed_before + std::chrono::duration<double>(clock::now() - start).count(); };
  double chars_per_s = 0;
  bool evaluated_last = false;
  auto checkpoint = [&](const std::string& path) {
    save_checkpoint(path, *model, *optimizer, config, vocab, step, batcher.position(), hidden, best_val, elapsed(),
                    data_fingerprint);
  };

  while ((total_steps == 0 || step < total_steps) && (config.minutes <= 0 || elapsed() < 60 * config.minutes) &&
         !interrupted) {
    const auto t0 = clock::now();
    if (batcher.next(inputs, targets)) hidden = State();  // a new pass over the data
    auto [logits, h_n] = model->forward(xg::from_vector(inputs, {config.seq, config.batch}), hidden);
    xg::Tensor loss = xg::cross_entropy(logits, xg::from_vector(targets, {config.seq * config.batch}));
    optimizer->zero_grad();
    loss.backward();
    xg::optim::clip_grad_norm_(params, config.clip);
    optimizer->step();
    hidden = h_n.detach();  // truncated BPTT: carry the state, not the graph
    ++step;
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    const double rate = static_cast<double>(config.seq * config.batch) / dt;
    chars_per_s = chars_per_s == 0 ? rate : 0.9 * chars_per_s + 0.1 * rate;
    rows.push_back({step, elapsed(), loss.item(), NAN, optimizer->lr(), chars_per_s});
    evaluated_last = false;
    if (step % config.eval_every == 0 || step == total_steps) {
      const double val = validation_loss(*model, split.val, config.batch, config.seq);
      rows.back().val_loss = val;
      const bool improved = val < best_val;
      if (improved) best_val = val;
      checkpoint(last_path);
      if (improved) checkpoint(best_path);
      append_csv(out_dir + "/log.csv", rows);
      rows.clear();
      write_loss_plot(out_dir + "/loss.svg", read_csv(out_dir + "/log.csv"));
      evaluated_last = true;
    }
    progress.update(step, loss.item(), evaluated_last ? best_val : NAN, chars_per_s, elapsed());
  }
  if (!evaluated_last && step > 0) {
    if (!interrupted) {
      const double val = validation_loss(*model, split.val, config.batch, config.seq);
      if (!rows.empty()) rows.back().val_loss = val;
      if (val < best_val) {
        best_val = val;
        checkpoint(best_path);
      }
    }
    checkpoint(last_path);
    append_csv(out_dir + "/log.csv", rows);
    write_loss_plot(out_dir + "/loss.svg", read_csv(out_dir + "/log.csv"));
  }
  progress.finish();
  std::signal(SIGINT, SIG_DFL);
  char summary[256];
  std::snprintf(summary, sizeof summary, "char_rnn: %s at step %lld after %s; best validation loss %.4f nats/char",
                interrupted ? "interrupted, checkpoint saved" : "done", static_cast<long long>(step),
                format_duration(elapsed()).c_str(), best_val);
  std::cerr << summary << "\n"
            << "char_rnn: wrote " << last_path << ", " << best_path << ", " << out_dir << "/log.csv, " << out_dir
            << "/loss.svg\n";
  return 0;
}

int sample(const std::string& path, std::int64_t length, double temperature, const std::string& prime,
           std::uint64_t seed) {
  if (!(temperature > 0)) throw std::invalid_argument("--temperature must be positive, got " + xg::format_number(temperature));
  Checkpoint ckpt = load_checkpoint(path);
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

int evaluate(const std::string& path, const std::string& data, double val_fraction) {
  Checkpoint ckpt = load_checkpoint(path);
  auto model = make_model(ckpt.config, ckpt.vocab.size());
  model->load_state_dict(ckpt.model);
  const std::string text = read_text_file(data.empty() ? ckpt.config.data : data);
  const Split split = split_tokens(encode(text, ckpt.vocab), val_fraction > 0 ? val_fraction : ckpt.config.val_fraction);
  const double loss = validation_loss(*model, split.val, ckpt.config.batch, ckpt.config.seq);
  std::printf("validation loss: %.4f nats/char (%.4f bits/char) over %zu characters, checkpoint step %lld\n", loss,
              loss / std::log(2.0), split.val.size(), static_cast<long long>(ckpt.step));
  return 0;
}

}  // namespace char_rnn
