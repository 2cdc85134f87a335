#include "checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace char_rnn {
namespace {

constexpr const char* kFormat = "xgrad-char-rnn-1";

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

}  // namespace

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


void require_finite(const std::string& path, const xg::StateDict& weights) {
  for (const auto& [name, t] : weights) {
    if (t.dtype() == xg::kInt64) continue;
    const std::vector<double> values = t.to_vector();
    const auto bad = std::count_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); });
    if (bad > 0)
      throw std::runtime_error("'" + path + "': weight '" + name + "' has " + std::to_string(bad) + " non-finite value" +
                               (bad > 1 ? "s" : "") + " (NaN or Inf) out of " + std::to_string(values.size()) +
                               ": the model diverged; use an earlier checkpoint");
  }
}

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
    c.best.val = std::stod(meta("best_val"));
    c.elapsed = std::stod(meta("elapsed_seconds"));
    // Absent in checkpoints written before they were recorded.
    if (auto it = file.metadata.find("best_step"); it != file.metadata.end()) c.best.step = std::stoll(it->second);
    if (auto it = file.metadata.find("evals_since_best"); it != file.metadata.end())
      c.best.evals_since = std::stoll(it->second);
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
  c.rng = {meta("rng")};
  // Runs under mpirun -np N (N > 1) record N and ranks 1 … N−1's generator states.
  if (auto it = file.metadata.find("world_size"); it != file.metadata.end()) {
    char* end = nullptr;
    const long long n = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n < 1 || n > 1000000)
      throw std::runtime_error("'" + path + "' has a malformed world_size '" + it->second + "'");
    for (long long r = 1; r < n; ++r) c.rng.push_back(meta(("rng.rank" + std::to_string(r)).c_str()));
  }
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
                     const State& hidden, const std::vector<std::string>& rng, const BestSoFar& best, double elapsed,
                     const std::string& data_fingerprint) {
  xg::StateDict all = model.state_dict();
  for (const auto& [name, t] : optimizer.state_dict()) all.insert("optimizer." + name, t);
  if (hidden.h.defined()) all.insert("train.hidden", hidden.h);
  if (hidden.c.defined()) all.insert("train.cell", hidden.c);
  char best_text[64], secs[64];
  std::snprintf(best_text, sizeof best_text, "%.17g", best.val);
  std::snprintf(secs, sizeof secs, "%.3f", elapsed);
  std::map<std::string, std::string> metadata{
                       {"format", kFormat},
                        {"config", to_json(config).dump()},
                        {"vocab", vocab.to_hex()},
                        {"step", std::to_string(step)},
                        {"data_position", std::to_string(data_position)},
                        {"data_fingerprint", data_fingerprint},
                        {"rng", rng.at(0)},
                        {"best_val", best_text},
                        {"best_step", std::to_string(best.step)},
                        {"evals_since_best", std::to_string(best.evals_since)},
                        {"elapsed_seconds", secs}};
  if (rng.size() > 1) {
    metadata["world_size"] = std::to_string(rng.size());
    for (std::size_t r = 1; r < rng.size(); ++r) metadata["rng.rank" + std::to_string(r)] = rng[r];
  }
  xg::save_safetensors(path, all, metadata);
}

xg::StateDict initial_weights(const std::string& path, const Vocabulary& vocab) {
  xg::SafetensorsFile file = xg::load_safetensors(path);
  xg::StateDict weights;
  if (auto it = file.metadata.find("format"); it != file.metadata.end() && it->second == kFormat) {
    Checkpoint c = load_checkpoint(path);
    if (c.vocab.symbols != vocab.symbols)
      throw std::runtime_error("the checkpoint's vocabulary (" + std::to_string(c.vocab.size()) +
                               " symbols) differs from the data's (" + std::to_string(vocab.size()) +
                               "): its embedding rows would mean other characters");
    weights = c.model;
  } else {
    weights = file.tensors;
  }
  require_finite(path, weights);
  return weights;
}

}  // namespace char_rnn
