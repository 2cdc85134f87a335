// Training throughput of the char-RNN step with xgrad:
//   Embedding(V, E) → RNN(E, H, L, tanh) → Linear(H, V) → cross_entropy → backward
//   → clip_grad_norm_(5) → Adam(2e-3)
// on seeded random tokens (T, B). Prints one JSON line; bench/peers/libtorch_char_rnn.cpp is the
// same program for libtorch, and bench/run.sh runs both side by side.
//
//   char_rnn_throughput --hidden 512 --layers 2 --batch 32 --seq 100 --steps 20 --threads 2

#include <algorithm>
#include <functional>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "throughput_harness.hpp"

#include "xgrad.hpp"
#include "optim/adam.hpp"
#include "optim/clip_grad.hpp"

int main(int argc, char** argv) {
  bench::Args a;
  try {
    a = bench::parse_args(argc, argv, "char_rnn_throughput");
  } catch (const std::invalid_argument& e) {
    std::cerr << "char_rnn_throughput: " << e.what() << "\n" << bench::usage("char_rnn_throughput");
    return 2;
  }
  xg::set_num_threads(static_cast<int>(a.threads));
  xg::manual_seed(0);

  auto embedding = std::make_shared<xg::nn::Embedding>(a.vocab, a.embed);
  // The recurrent layer; `recur` runs it from a zero state and returns its output (T, B, H).
  std::shared_ptr<xg::nn::Module> rnn;
  std::function<xg::Tensor(const xg::Tensor&)> recur;
  if (a.model == "lstm") {
    auto m = std::make_shared<xg::nn::LSTM>(xg::nn::LSTMOptions(a.embed, a.hidden).num_layers(a.layers));
    rnn = m, recur = [m](const xg::Tensor& x) { return m->forward(x).first; };
  } else if (a.model == "gru") {
    auto m = std::make_shared<xg::nn::GRU>(xg::nn::GRUOptions(a.embed, a.hidden).num_layers(a.layers));
    rnn = m, recur = [m](const xg::Tensor& x) { return m->forward(x).first; };
  } else {
    auto m = std::make_shared<xg::nn::RNN>(xg::nn::RNNOptions(a.embed, a.hidden).num_layers(a.layers));
    rnn = m, recur = [m](const xg::Tensor& x) { return m->forward(x).first; };
  }
  auto head = std::make_shared<xg::nn::Linear>(a.hidden, a.vocab);
  std::vector<xg::Tensor> params;
  for (auto* m : std::initializer_list<xg::nn::Module*>{embedding.get(), rnn.get(), head.get()})
    for (const auto& p : m->parameters()) params.push_back(p);
  xg::optim::Adam adam(params, xg::optim::AdamOptions(2e-3));

  // A few pre-drawn batches, cycled, so data generation stays out of the timed loop.
  xg::Generator data_rng(1234);
  const std::int64_t n_batches = std::min<std::int64_t>(8, a.steps + a.warmup);
  std::vector<xg::Tensor> inputs, targets;
  for (std::int64_t i = 0; i < n_batches; ++i) {
    inputs.push_back(xg::randint(0, a.vocab, {a.seq, a.batch}, data_rng));
    targets.push_back(xg::randint(0, a.vocab, {a.seq * a.batch}, data_rng));
  }

  auto train_step = [&](std::int64_t i) {
    const auto& x = inputs[static_cast<std::size_t>(i % n_batches)];
    const auto& y = targets[static_cast<std::size_t>(i % n_batches)];
    adam.zero_grad();
    xg::Tensor emb = embedding->forward(x);                       // (T, B, E)
    xg::Tensor out = recur(emb);                                  // (T, B, H), h0 = 0
    xg::Tensor logits = head->forward(out);                       // (T, B, V)
    xg::Tensor loss = xg::cross_entropy(xg::reshape(logits, {a.seq * a.batch, a.vocab}), y);
    loss.backward();
    xg::optim::clip_grad_norm_(params, 5.0);
    adam.step();
    return loss.item();
  };

  bench::run_and_report("xgrad", a, xg::backend_info().kernel, train_step);
  return 0;
}
