// Sequence classification with variable-length batches: Embedding → LSTM over a PackedSequence →
// Linear on h_n. Each sequence's h_n is taken at its own last token, so padding never leaks in.
//
// The task (synthetic, seeded): sequences of 4 to 40 tokens from {a, b, c, d, e, f}; the label says
// whether the sequence holds more a's than b's (ties are never generated). A model has to count
// over the whole sequence, whatever its length.
//
//   seq_classification [--steps N] [--seed S]
// Prints the loss and held-out accuracy every 50 steps; exits 1 if the final held-out accuracy is
// not above 95 %.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "xgrad.hpp"

namespace {

using namespace xg::nn::utils::rnn;
constexpr std::int64_t kVocab = 6, kMinLength = 4, kMaxLength = 40;

// A padded batch (T, B) of token ids, the lengths, and the labels.
struct Batch {
  xg::Tensor tokens, lengths, labels;
};

Batch make_batch(std::int64_t size, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int64_t> length_of(kMinLength, kMaxLength), token_of(0, kVocab - 1);
  std::vector<std::vector<std::int64_t>> sequences;
  std::vector<std::int64_t> lengths, labels;
  while (static_cast<std::int64_t>(sequences.size()) < size) {
    std::vector<std::int64_t> s(static_cast<std::size_t>(length_of(rng)));
    for (auto& t : s) t = token_of(rng);
    const auto a = std::count(s.begin(), s.end(), 0), b = std::count(s.begin(), s.end(), 1);
    if (a == b) continue;  // no ties: every label is well defined
    lengths.push_back(static_cast<std::int64_t>(s.size()));
    labels.push_back(a > b ? 1 : 0);
    sequences.push_back(std::move(s));
  }
  const std::int64_t T = *std::max_element(lengths.begin(), lengths.end());
  std::vector<std::int64_t> padded(static_cast<std::size_t>(T * size), 0);  // (T, B), padding id 0
  for (std::int64_t b = 0; b < size; ++b)
    for (std::int64_t t = 0; t < lengths[static_cast<std::size_t>(b)]; ++t)
      padded[static_cast<std::size_t>(t * size + b)] = sequences[static_cast<std::size_t>(b)][static_cast<std::size_t>(t)];
  return {xg::from_vector(padded, {T, size}), xg::from_vector(lengths, {size}), xg::from_vector(labels, {size})};
}

// Embedding(6, 8) → LSTM(8, 32) on the packed batch → Linear(32, 2) on h_n.
struct Classifier : xg::nn::Module {
  Classifier() : Module("Classifier") {
    embedding = register_module("embedding", std::make_shared<xg::nn::Embedding>(kVocab, 8));
    lstm = register_module("lstm", std::make_shared<xg::nn::LSTM>(xg::nn::LSTMOptions(8, 32)));
    head = register_module("head", std::make_shared<xg::nn::Linear>(32, 2));
  }
  // tokens (T, B), lengths (B) → logits (B, 2)
  xg::Tensor forward(const xg::Tensor& tokens, const xg::Tensor& lengths) {
    const PackedSequence packed = pack_padded_sequence(embedding->forward(tokens), lengths, false, false);
    auto [output, state] = lstm->forward(packed);
    return head->forward(xg::select(state.first, 0, 0));  // h_n of the last layer: (B, 32)
  }
  std::shared_ptr<xg::nn::Embedding> embedding;
  std::shared_ptr<xg::nn::LSTM> lstm;
  std::shared_ptr<xg::nn::Linear> head;
};

double accuracy(Classifier& model, const Batch& batch) {
  xg::NoGradGuard no_grad;
  const xg::Tensor predicted = model.forward(batch.tokens, batch.lengths).argmax(1);
  const auto p = predicted.to_vector(), y = batch.labels.to_vector();
  std::size_t right = 0;
  for (std::size_t i = 0; i < p.size(); ++i) right += p[i] == y[i];
  return static_cast<double>(right) / static_cast<double>(p.size());
}

}  // namespace

int main(int argc, char** argv) {
  int steps = 400;
  std::uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: seq_classification [--steps N] [--seed S]\n");
      return 2;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  xg::manual_seed(seed);
  std::mt19937_64 rng(seed);
  const Batch held_out = make_batch(1000, rng);
  Classifier model;
  xg::optim::Adam optimizer(model.parameters(), 1e-2);
  double acc = 0;
  for (int step = 1; step <= steps; ++step) {
    const Batch batch = make_batch(32, rng);
    optimizer.zero_grad();
    xg::Tensor loss = xg::cross_entropy(model.forward(batch.tokens, batch.lengths), batch.labels);
    loss.backward();
    xg::optim::clip_grad_norm_(model.parameters(), 1.0);
    optimizer.step();
    if (step % 50 == 0 || step == steps) {
      acc = accuracy(model, held_out);
      std::printf("step %4d  loss %.4f  held-out accuracy %.1f %%\n", step, loss.item(), 100 * acc);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("final held-out accuracy %.1f %% after %d steps in %.1f s\n", 100 * acc, steps, seconds);
  return acc > 0.95 ? 0 : 1;
}
