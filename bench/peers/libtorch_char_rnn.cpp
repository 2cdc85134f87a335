// The libtorch peer of bench/char_rnn_throughput.cpp: the same model, step, data shapes, timing
// and JSON line, with the PyTorch C++ frontend (Debian's libtorch-dev 1.13):
//   Embedding(V, E) → RNN(E, H, L, tanh) → Linear(H, V) → cross_entropy → backward
//   → clip_grad_norm_(5) → Adam(2e-3)
//
//   libtorch_char_rnn --hidden 512 --layers 2 --batch 32 --seq 100 --steps 20 --threads 2
#include <dlfcn.h>

#include <algorithm>
#include <functional>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../throughput_harness.hpp"

#include <torch/torch.h>

namespace {


// Debian's libtorch reaches OpenBLAS through libblas.so.3; ask it which kernel it runs and give it
// the same thread count (torch::set_num_threads only sizes the OpenMP pool).
std::string openblas_kernel(int threads) {
  auto* corename = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  auto* set_threads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (set_threads) set_threads(threads);
  return corename ? corename() : "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a;
  try {
    a = bench::parse_args(argc, argv, "libtorch_char_rnn");
  } catch (const std::invalid_argument& e) {
    std::cerr << "libtorch_char_rnn: " << e.what() << "\n" << bench::usage("libtorch_char_rnn");
    return 2;
  }
  at::set_num_interop_threads(1);
  torch::set_num_threads(static_cast<int>(a.threads));
  const std::string kernel = openblas_kernel(static_cast<int>(a.threads));
  torch::manual_seed(0);

  torch::nn::Embedding embedding(a.vocab, a.embed);
  // The recurrent layer; `recur` runs it from a zero state and returns its output (T, B, H).
  torch::nn::RNN rnn(torch::nn::RNNOptions(a.embed, a.hidden).num_layers(a.layers).nonlinearity(torch::kTanh));
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(a.embed, a.hidden).num_layers(a.layers));
  torch::nn::GRU gru(torch::nn::GRUOptions(a.embed, a.hidden).num_layers(a.layers));
  std::function<torch::Tensor(const torch::Tensor&)> recur = [&](const torch::Tensor& x) {
    if (a.model == "lstm") return std::get<0>(lstm->forward(x));
    if (a.model == "gru") return std::get<0>(gru->forward(x));
    return std::get<0>(rnn->forward(x));
  };
  std::vector<torch::Tensor> recurrent_params =
      a.model == "lstm" ? lstm->parameters() : (a.model == "gru" ? gru->parameters() : rnn->parameters());
  torch::nn::Linear head(a.hidden, a.vocab);
  std::vector<torch::Tensor> params;
  for (const auto& p : embedding->parameters()) params.push_back(p);
  for (const auto& p : recurrent_params) params.push_back(p);
  for (const auto& p : head->parameters()) params.push_back(p);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(2e-3));

  auto data_rng = torch::make_generator<torch::CPUGeneratorImpl>(1234);
  const std::int64_t n_batches = std::min<std::int64_t>(8, a.steps + a.warmup);
  std::vector<torch::Tensor> inputs, targets;
  for (std::int64_t i = 0; i < n_batches; ++i) {
    inputs.push_back(torch::randint(0, a.vocab, {a.seq, a.batch}, data_rng, torch::kLong));
    targets.push_back(torch::randint(0, a.vocab, {a.seq * a.batch}, data_rng, torch::kLong));
  }

  auto train_step = [&](std::int64_t i) {
    const auto& x = inputs[static_cast<std::size_t>(i % n_batches)];
    const auto& y = targets[static_cast<std::size_t>(i % n_batches)];
    adam.zero_grad();
    torch::Tensor emb = embedding->forward(x);                 // (T, B, E)
    torch::Tensor out = recur(emb);                            // (T, B, H), h0 = 0
    torch::Tensor logits = head->forward(out);                 // (T, B, V)
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits.reshape({a.seq * a.batch, a.vocab}), y);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, 5.0);
    adam.step();
    return loss.item<double>();
  };

  bench::run_and_report("libtorch", a, kernel, train_step);
  return 0;
}
