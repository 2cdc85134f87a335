#define BOOST_TEST_MODULE autograd_gradgrad_modules
// gradgradcheck for every module (Linear, Embedding, RNN/LSTM/GRU incl. 2 bidirectional layers,
// their cells), the losses and torch.linalg's functions: second derivatives w.r.t. inputs,
// parameters and the grad_outputs against float64 central differences (eps 1e-6, atol 1e-5,
// rtol 1e-3), at tiny sizes.
#include "gradgrad_helpers.hpp"

using namespace xg;
using xg::testing::check_gradgrad;
using xg::testing::check_gradgrad_multi;
using xg::testing::leaf;
using In = std::vector<Tensor>;

namespace {
template <typename M>
In with_parameters(In inputs, const M& module) {
  for (const Tensor& p : module->parameters()) inputs.push_back(p);
  return inputs;
}
}  // namespace

BOOST_AUTO_TEST_CASE(linear_module_gradgrad) {
  manual_seed(1);
  auto lin = std::make_shared<nn::Linear>(3, 2);
  lin->to(kFloat64);
  check_gradgrad([&](const In& in) { Tensor y = lin->forward(in[0]); return mul(y, y); },
                 with_parameters({leaf({2, 3}, 1)}, lin));
}

BOOST_AUTO_TEST_CASE(embedding_module_gradgrad) {
  manual_seed(2);
  auto emb = std::make_shared<nn::Embedding>(nn::EmbeddingOptions(5, 3).padding_idx(0));
  emb->to(kFloat64);
  const Tensor ids = from_vector({0, 4, 2, 4}, {2, 2}, kInt64);
  check_gradgrad([&](const In&) { Tensor y = emb->forward(ids); return mul(tanh(y), y); }, with_parameters({}, emb));
}

namespace {
struct Grid {
  std::int64_t layers;
  bool bidirectional;
};
const Grid kGrid[] = {{1, false}, {2, true}};
}  // namespace

BOOST_AUTO_TEST_CASE(rnn_module_gradgrad) {
  for (const Grid& c : kGrid)
    for (auto nl : {nn::Nonlinearity::Tanh, nn::Nonlinearity::ReLU}) {
      BOOST_TEST_CONTEXT("layers " << c.layers << " bidirectional " << c.bidirectional << " relu " << (nl == nn::Nonlinearity::ReLU)) {
        manual_seed(3);
        auto rnn = std::make_shared<nn::RNN>(
            nn::RNNOptions(2, 2).num_layers(c.layers).bidirectional(c.bidirectional).nonlinearity(nl));
        rnn->to(kFloat64);
        const std::int64_t D = c.bidirectional ? 2 : 1;
        check_gradgrad_multi([&](const In& in) {
          auto [out, h] = rnn->forward(in[0], in[1]);
          return In{out, h};
        }, with_parameters({leaf({3, 2, 2}, 4), leaf({D * c.layers, 2, 2}, 5, -0.5, 0.5)}, rnn));
      }
    }
}

BOOST_AUTO_TEST_CASE(lstm_module_gradgrad) {
  for (const Grid& c : kGrid) {
    BOOST_TEST_CONTEXT("layers " << c.layers << " bidirectional " << c.bidirectional) {
      manual_seed(6);
      auto lstm = std::make_shared<nn::LSTM>(nn::LSTMOptions(2, 2).num_layers(c.layers).bidirectional(c.bidirectional));
      lstm->to(kFloat64);
      const std::int64_t D = c.bidirectional ? 2 : 1;
      check_gradgrad_multi([&](const In& in) {
        auto [out, state] = lstm->forward(in[0], {in[1], in[2]});
        return In{out, state.first, state.second};
      }, with_parameters({leaf({3, 2, 2}, 7), leaf({D * c.layers, 2, 2}, 8, -0.5, 0.5),
                          leaf({D * c.layers, 2, 2}, 9, -0.5, 0.5)}, lstm));
    }
  }
}

BOOST_AUTO_TEST_CASE(gru_module_gradgrad) {
  for (const Grid& c : kGrid) {
    BOOST_TEST_CONTEXT("layers " << c.layers << " bidirectional " << c.bidirectional) {
      manual_seed(10);
      auto gru = std::make_shared<nn::GRU>(nn::GRUOptions(2, 2).num_layers(c.layers).bidirectional(c.bidirectional));
      gru->to(kFloat64);
      const std::int64_t D = c.bidirectional ? 2 : 1;
      check_gradgrad_multi([&](const In& in) {
        auto [out, h] = gru->forward(in[0], in[1]);
        return In{out, h};
      }, with_parameters({leaf({3, 2, 2}, 11), leaf({D * c.layers, 2, 2}, 12, -0.5, 0.5)}, gru));
    }
  }
}

BOOST_AUTO_TEST_CASE(cells_gradgrad) {
  manual_seed(13);
  auto rnn = std::make_shared<nn::RNNCell>(2, 3);
  rnn->to(kFloat64);
  check_gradgrad([&](const In& in) { return rnn->forward(in[0], in[1]); },
                 with_parameters({leaf({2, 2}, 14), leaf({2, 3}, 15)}, rnn));
  auto lstm = std::make_shared<nn::LSTMCell>(2, 3);
  lstm->to(kFloat64);
  check_gradgrad_multi([&](const In& in) {
    auto [h, c] = lstm->forward(in[0], {in[1], in[2]});
    return In{h, c};
  }, with_parameters({leaf({2, 2}, 16), leaf({2, 3}, 17), leaf({2, 3}, 18)}, lstm));
  auto gru = std::make_shared<nn::GRUCell>(2, 3);
  gru->to(kFloat64);
  check_gradgrad([&](const In& in) { return gru->forward(in[0], in[1]); },
                 with_parameters({leaf({2, 2}, 19), leaf({2, 3}, 20)}, gru));
}

BOOST_AUTO_TEST_CASE(losses_gradgrad) {
  const Tensor target = from_vector({2, 0, 1}, {3}, kInt64);
  const Tensor target_3d = from_vector({2, 0, 1, 1}, {2, 2}, kInt64);
  const Tensor ignored = from_vector({2, -100, 1}, {3}, kInt64);
  const Tensor w = from_vector({0.5, 2.0, 1.0}, {3}, kFloat64);
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    BOOST_TEST_CONTEXT("reduction " << static_cast<int>(r)) {
      check_gradgrad([&](const In& x) { return cross_entropy(x[0], target, CrossEntropyOptions().reduction(r)); },
                     {leaf({3, 3}, 30)});
      check_gradgrad([&](const In& x) {
        return cross_entropy(x[0], ignored, CrossEntropyOptions().reduction(r).weight(w).label_smoothing(0.2));
      }, {leaf({3, 3}, 31)});
      check_gradgrad([&](const In& x) { return cross_entropy(x[0], target_3d, CrossEntropyOptions().reduction(r)); },
                     {leaf({2, 3, 2}, 32)});
      check_gradgrad([&](const In& x) {
        Tensor lp = log_softmax(x[0], 1);
        return nll_loss(lp, ignored, NLLLossOptions().reduction(r).weight(w));
      }, {leaf({3, 3}, 33)});
      check_gradgrad([&](const In& x) { return mse_loss(x[0], x[1], r); }, {leaf({2, 3}, 34), leaf({2, 3}, 35)});
    }
  }
  check_gradgrad([&](const In& x) { return cross_entropy(x[0], scalar_tensor(1, kInt64)); }, {leaf({3}, 36)});
  // The modules call the same functions.
  nn::CrossEntropyLoss ce;
  check_gradgrad([&](const In& x) { return ce.forward(x[0], target); }, {leaf({3, 3}, 37)});
}

BOOST_AUTO_TEST_CASE(linalg_gradgrad) {
  // Well-conditioned matrices: random entries plus 3·I.
  auto well = [](const Tensor& x) { return add(x, mul(from_vector({1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3}, kFloat64), 3.0)); };
  check_gradgrad([&](const In& x) { return linalg::inv(well(x[0])); }, {leaf({3, 3}, 40)});
  check_gradgrad([&](const In& x) { return linalg::det(well(x[0])); }, {leaf({3, 3}, 41)});
  check_gradgrad([&](const In& x) { return std::get<1>(linalg::slogdet(well(x[0]))); }, {leaf({3, 3}, 42)});
  check_gradgrad([&](const In& x) { return linalg::solve(well(x[0]), x[1]); }, {leaf({3, 3}, 43), leaf({3, 2}, 44)});
  check_gradgrad([&](const In& x) { return linalg::solve(well(x[0]), x[1]); }, {leaf({3, 3}, 45), leaf({3}, 46)});
  // A symmetric positive-definite input built from x (cholesky reads only the lower triangle).
  auto spd = [&](const Tensor& x) { return well(matmul(x, transpose(x, 0, 1))); };
  check_gradgrad([&](const In& x) { return linalg::cholesky(spd(x[0])); }, {leaf({3, 3}, 47)});
  check_gradgrad([&](const In& x) { return linalg::cholesky(spd(x[0]), true); }, {leaf({3, 3}, 48)});
}
