#define BOOST_TEST_MODULE ops_nn
#include "test_helpers.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace xg;
using xg::testing::check_close;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

// Gradient checks use PyTorch's gradcheck defaults: float64, eps 1e-6, atol 1e-5, rtol 1e-3.

namespace {

// The (4, 3) logits and targets the PyTorch constants below were computed from:
//   x = torch.tensor([[0.5,-1.0,2.0],[1.5,0.25,-0.75],[0.0,1.0,-2.0],[-0.5,0.5,1.25]], dtype=torch.float64)
//   t = torch.tensor([0, 2, -100, 1]);  w = torch.tensor([0.5, 2.0, 1.5], dtype=torch.float64)
Tensor logits() {
  return from_vector({0.5, -1.0, 2.0, 1.5, 0.25, -0.75, 0.0, 1.0, -2.0, -0.5, 0.5, 1.25}, {4, 3}, kFloat64);
}
Tensor targets() { return from_vector(std::vector<std::int64_t>{0, 2, -100, 1}, {4}); }
Tensor class_weight() { return from_vector({0.5, 2.0, 1.5}, {3}, kFloat64); }

void check_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-12) {
  const auto v = t.to_vector();
  BOOST_TEST_REQUIRE(v.size() == expected.size());
  for (std::size_t i = 0; i < v.size(); ++i)
    BOOST_TEST(std::abs(v[i] - expected[i]) <= tol * (1 + std::abs(expected[i])),
               "element " << i << ": " << v[i] << " vs expected " << expected[i]);
}

const char* reduction_name(Reduction r) {
  return r == Reduction::None ? "none" : r == Reduction::Mean ? "mean" : "sum";
}

}  // namespace

// ---- softmax / log_softmax ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(softmax_value) {
  Tensor x = from_vector({1, 2, 3, 1, 1, 1}, {2, 3}, kFloat64);
  const double z = std::exp(1) + std::exp(2) + std::exp(3);
  check_values(softmax(x, -1), {std::exp(1) / z, std::exp(2) / z, std::exp(3) / z, 1. / 3, 1. / 3, 1. / 3});
  // Along dim 0: columns (1,1) → ½,½; (2,1) and (3,1) → σ of the difference.
  const double s1 = 1 / (1 + std::exp(-1.0)), s2 = 1 / (1 + std::exp(-2.0));
  check_values(softmax(x, 0), {0.5, s1, s2, 0.5, 1 - s1, 1 - s2});
  // Max-subtracted: huge logits don't overflow.
  check_values(softmax(from_vector({1000, 1000}, {2}), 0), {0.5, 0.5}, 1e-6);
  check_values(softmax(scalar_tensor(3.0, kFloat64), 0), {1.0});
}

BOOST_AUTO_TEST_CASE(log_softmax_value) {
  Tensor x = from_vector({1, 2, 3}, {3}, kFloat64);
  const double lse = std::log(std::exp(1) + std::exp(2) + std::exp(3));
  check_values(log_softmax(x, 0), {1 - lse, 2 - lse, 3 - lse});
  // (2, 2, 2) along the middle dim: pairs (x, x+2) → (−log(1+e²), −log(1+e⁻²)).
  Tensor y = from_vector({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2}, kFloat64);
  const double lo = -std::log1p(std::exp(2.0)), hi = -std::log1p(std::exp(-2.0));
  check_values(log_softmax(y, 1), {lo, lo, hi, hi, lo, lo, hi, hi});
  check_values(log_softmax(from_vector({1000, 0}, {2}), 0), {0, -1000}, 1e-6);
}

BOOST_AUTO_TEST_CASE(softmax_gradient) {
  for (std::int64_t dim : {0, 1, -1}) {
    BOOST_TEST_CONTEXT("dim " << dim) {
      check_gradient([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {leaf({3, 4}, 1, -2, 2)});
      check_gradient([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {leaf({2, 3, 4}, 2, -2, 2)});
      check_gradient([dim](const std::vector<Tensor>& in) { return softmax(in[0], dim); }, {leaf({1, 3, 1}, 3, -2, 2)});
    }
  }
}

BOOST_AUTO_TEST_CASE(log_softmax_gradient) {
  for (std::int64_t dim : {0, 1, -1}) {
    BOOST_TEST_CONTEXT("dim " << dim) {
      check_gradient([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); }, {leaf({3, 4}, 4, -2, 2)});
      check_gradient([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); },
                     {leaf({2, 3, 4}, 5, -2, 2)});
      check_gradient([dim](const std::vector<Tensor>& in) { return log_softmax(in[0], dim); },
                     {leaf({1, 3, 1}, 6, -2, 2)});
    }
  }
}

BOOST_AUTO_TEST_CASE(softmax_rejects_bad_inputs) {
  check_throws([] { softmax(zeros({2, 3}), 2); }, {"softmax", "dim 2", "rank 2"});
  check_throws([] { log_softmax(zeros({2, 3}), -3); }, {"log_softmax", "dim -3"});
  check_throws([] { softmax(zeros({2}, kInt64), 0); }, {"softmax", "int64"});
}

// ---- cross_entropy -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(cross_entropy_value) {
  // Equal logits: −log(1/3). Logits (1, 2, 3) with target 2: log(e + e² + e³) − 3.
  Tensor equal = zeros({1, 3}, kFloat64);
  check_values(cross_entropy(equal, from_vector(std::vector<std::int64_t>{1}, {1})), {std::log(3.0)});
  Tensor x = from_vector({1, 2, 3}, {3}, kFloat64);
  Tensor loss = cross_entropy(x, from_vector(std::vector<std::int64_t>{2}, {}));
  BOOST_TEST(loss.dim() == 0);
  check_values(loss, {std::log(std::exp(1) + std::exp(2) + std::exp(3)) - 3});
  // Label smoothing ε on equal logits: every −log p_c = log 3, so the loss stays log 3.
  check_values(cross_entropy(equal, from_vector(std::vector<std::int64_t>{0}, {1}),
                             CrossEntropyOptions().label_smoothing(0.3)),
               {std::log(3.0)});
  // Weighted mean over rows (0, 0, 0)→t=0 (w 2) and (0, 0, 0)→t=1 (w 1): (2·log3 + log3)/3 = log 3.
  check_values(cross_entropy(zeros({2, 3}, kFloat64), from_vector(std::vector<std::int64_t>{0, 1}, {2}),
                             CrossEntropyOptions().weight(from_vector({2, 1, 5}, {3}, kFloat64))),
               {std::log(3.0)});
}

BOOST_AUTO_TEST_CASE(cross_entropy_value_matches_pytorch) {
  // F.cross_entropy(x, t, weight=W, label_smoothing=ls, reduction=r) with x, t, w from logits()/targets();
  // "-" = no weight. ignore_index is the default −100 (row 2 is ignored).
  struct Case {
    bool weighted;
    double smoothing;
    Reduction reduction;
    std::vector<double> expected;
  };
  const std::vector<Case> cases = {
      {false, 0.0, Reduction::None, {1.7413112966571571, 2.580672609407224, 0.0, 1.24843345474315}},
      {false, 0.0, Reduction::Mean, {1.8568057869358439}},
      {false, 0.0, Reduction::Sum, {5.570417360807531}},
      {false, 0.2, Reduction::None, {1.7413112966571571, 2.3640059427405573, 0.0, 1.2651001214098165}},
      {false, 0.2, Reduction::Mean, {1.7901391202691772}},
      {false, 0.2, Reduction::Sum, {5.370417360807531}},
      {true, 0.0, Reduction::None, {0.8706556483285786, 3.871008914110836, 0.0, 2.4968669094863}},
      {true, 0.0, Reduction::Mean, {1.8096328679814286}},
      {true, 0.0, Reduction::Sum, {7.2385314719257146}},
      {true, 0.2, Reduction::None, {1.2108741977714381, 3.5766531604639287, 0.0, 2.28874244885388}},
      {true, 0.2, Reduction::Mean, {1.7690674517723117}},
      {true, 0.2, Reduction::Sum, {7.076269807089247}},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT("weight " << c.weighted << " smoothing " << c.smoothing << " " << reduction_name(c.reduction)) {
      CrossEntropyOptions o;
      o.label_smoothing(c.smoothing).reduction(c.reduction);
      if (c.weighted) o.weight(class_weight());
      check_values(cross_entropy(logits(), targets(), o), c.expected);
      // float32 agrees to float precision.
      if (c.weighted) o.weight(class_weight().to(kFloat32));
      check_values(cross_entropy(logits().to(kFloat32), targets(), o), c.expected, 1e-6);
    }
  }
  // 3-D input (N, C, d) = x.flatten().reshape(2, 3, 2), t3 = [[0, 2], [1, 1]]:
  //   F.cross_entropy(x3, t3, reduction='none'); F.cross_entropy(x3, t3, weight=w, label_smoothing=0.1)
  Tensor x3 = from_vector(logits().to_vector(), {2, 3, 2}, kFloat64);
  Tensor t3 = from_vector(std::vector<std::int64_t>{0, 2, 1, 1}, {2, 2});
  Tensor none = cross_entropy(x3, t3, CrossEntropyOptions().reduction(Reduction::None));
  BOOST_TEST(shape_str(none.shape()) == "[2, 2]");
  check_values(none, {1.8342584333938963, 2.421836971100098, 3.0239090561799076, 2.4191488742256406});
  check_values(cross_entropy(x3, t3, CrossEntropyOptions().weight(class_weight()).label_smoothing(0.1)),
               {2.4469090431214964});
}

BOOST_AUTO_TEST_CASE(cross_entropy_gradient_matches_pytorch) {
  // xr = x.requires_grad_(); F.cross_entropy(xr, t, weight=w, label_smoothing=0.2).backward(); xr.grad.flatten()
  Tensor x = logits().requires_grad_();
  cross_entropy(x, targets(), CrossEntropyOptions().weight(class_weight()).label_smoothing(0.2)).backward();
  check_values(x.grad(), {-0.07911826797666055, -0.02681457112155209, 0.10593283909821263, 0.2550947917553905,
                          0.042140088132472255, -0.2972348798878628, 0.0, 0.0, 0.0, 0.04093008441938145,
                          -0.29942148004834207, 0.2584913956289607});
}

BOOST_AUTO_TEST_CASE(cross_entropy_gradient) {
  const Tensor ignoring = from_vector(std::vector<std::int64_t>{0, 2, 3, 1}, {4});  // 3 is the ignore_index below
  const Tensor target_3d = from_vector(std::vector<std::int64_t>{0, 2, 3, 1, 1, 0}, {2, 3});
  for (bool weighted : {false, true})
    for (bool ignore : {false, true})
      for (double smoothing : {0.0, 0.2})
        for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
          CrossEntropyOptions o;
          o.label_smoothing(smoothing).reduction(r);
          if (weighted) o.weight(from_vector({0.5, 2.0, 1.5, 0.7}, {4}, kFloat64));
          if (ignore) o.ignore_index(3);
          BOOST_TEST_CONTEXT("weight " << weighted << " ignore " << ignore << " smoothing " << smoothing << " "
                                       << reduction_name(r)) {
            check_gradient([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], ignoring, o); },
                           {leaf({4, 4}, 1, -2, 2)});
            check_gradient([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], target_3d, o); },
                           {leaf({2, 4, 3}, 2, -2, 2)});
            check_gradient(
                [&](const std::vector<Tensor>& in) { return cross_entropy(in[0], from_vector(std::vector<std::int64_t>{2}, {}), o); },
                {leaf({4}, 3, -2, 2)});
          }
        }
}

BOOST_AUTO_TEST_CASE(cross_entropy_all_ignored_mean_is_nan) {
  Tensor x = leaf({2, 3}, 1);
  Tensor t = from_vector(std::vector<std::int64_t>{-100, -100}, {2});
  Tensor loss = cross_entropy(x, t);
  BOOST_TEST(std::isnan(loss.item()));
  BOOST_TEST(cross_entropy(x, t, CrossEntropyOptions().reduction(Reduction::Sum)).item() == 0.0);
  BOOST_TEST(std::isnan(nll_loss(x, t).item()));
  loss.backward();
  BOOST_TEST(x.grad().to_vector() == std::vector<double>(6, 0.0), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cross_entropy_rejects_bad_inputs) {
  const Tensor t = from_vector(std::vector<std::int64_t>{0, 1}, {2});
  check_throws([&] { cross_entropy(zeros({2, 3}), from_vector(std::vector<std::int64_t>{0, 7}, {2})); },
               {"cross_entropy", "target 7", "3 classes"});
  check_throws([&] { cross_entropy(zeros({2, 3}), from_vector(std::vector<std::int64_t>{-1, 0}, {2})); },
               {"cross_entropy", "target -1"});
  check_throws([&] { cross_entropy(zeros({3, 3}), t); }, {"cross_entropy", "[3, 3]", "[3]", "[2]"});
  check_throws([&] { cross_entropy(zeros({2, 3, 4}), t); }, {"cross_entropy", "[2, 3, 4]", "[2, 4]"});
  check_throws([&] { cross_entropy(zeros({2, 3}), zeros({2})); }, {"cross_entropy", "target", "int64"});
  check_throws([&] { cross_entropy(zeros({2, 3}, kInt64), t); }, {"cross_entropy", "input", "int64"});
  check_throws([&] { cross_entropy(scalar_tensor(1), t); }, {"cross_entropy", "(N, C)", "[]"});
  check_throws([&] { cross_entropy(zeros({2, 3}), t, CrossEntropyOptions().weight(ones({4}))); },
               {"cross_entropy", "weight [4]", "3"});
  check_throws([&] { cross_entropy(zeros({2, 3}), t, CrossEntropyOptions().weight(ones({3}, kFloat64))); },
               {"cross_entropy", "float64"});
  check_throws([&] { cross_entropy(zeros({2, 3}), t, CrossEntropyOptions().label_smoothing(1.5)); },
               {"cross_entropy", "label_smoothing", "1.5"});
}

// ---- nll_loss / mse_loss -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nll_loss_value) {
  // Picks −x[i, t_i]: rows 0, 1, 3 give −0.5, 0.75, −0.5; the ignored row 2 gives 0.
  check_values(nll_loss(logits(), targets(), NLLLossOptions().reduction(Reduction::None)), {-0.5, 0.75, 0, -0.5});
  check_values(nll_loss(logits(), targets(), NLLLossOptions().reduction(Reduction::Sum)), {-0.25});
  check_values(nll_loss(logits(), targets()), {-0.25 / 3});
  // Weighted mean (−0.5·0.5 + 0.75·1.5 − 0.5·2)/(0.5 + 1.5 + 2) = −0.03125,
  // as F.nll_loss(x, t, weight=w) gives.
  check_values(nll_loss(logits(), targets(), NLLLossOptions().weight(class_weight())), {-0.03125});
}

BOOST_AUTO_TEST_CASE(nll_loss_gradient) {
  const Tensor target = from_vector(std::vector<std::int64_t>{0, 2, 3, 1}, {4});
  const Tensor target_3d = from_vector(std::vector<std::int64_t>{0, 2, 3, 1, 1, 0}, {2, 3});
  for (bool weighted : {false, true})
    for (bool ignore : {false, true})
      for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
        NLLLossOptions o;
        o.reduction(r);
        if (weighted) o.weight(from_vector({0.5, 2.0, 1.5, 0.7}, {4}, kFloat64));
        if (ignore) o.ignore_index(3);
        BOOST_TEST_CONTEXT("weight " << weighted << " ignore " << ignore << " " << reduction_name(r)) {
          check_gradient([&](const std::vector<Tensor>& in) { return nll_loss(in[0], target, o); }, {leaf({4, 4}, 1)});
          check_gradient([&](const std::vector<Tensor>& in) { return nll_loss(in[0], target_3d, o); },
                         {leaf({2, 4, 3}, 2)});
        }
      }
}

BOOST_AUTO_TEST_CASE(nll_loss_rejects_bad_inputs) {
  check_throws([] { nll_loss(zeros({2, 3}), from_vector(std::vector<std::int64_t>{0, 3}, {2})); },
               {"nll_loss", "target 3", "3 classes"});
  check_throws([] { nll_loss(zeros({2, 3}), from_vector(std::vector<std::int64_t>{0}, {1})); },
               {"nll_loss", "[2, 3]", "[1]"});
}

BOOST_AUTO_TEST_CASE(mse_loss_value) {
  Tensor a = from_vector({1, 2, 3, 4}, {2, 2}, kFloat64);
  Tensor b = from_vector({0, 2, 5, 1}, {2, 2}, kFloat64);
  check_values(mse_loss(a, b, Reduction::None), {1, 0, 4, 9});
  check_values(mse_loss(a, b, Reduction::Sum), {14});
  check_values(mse_loss(a, b), {3.5});
}

BOOST_AUTO_TEST_CASE(mse_loss_gradient) {
  for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
    BOOST_TEST_CONTEXT(reduction_name(r)) {
      check_gradient([r](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], r); },
                     {leaf({3, 4}, 1), leaf({3, 4}, 2)});
      check_gradient([r](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], r); }, {leaf({5}, 3), leaf({5}, 4)});
    }
  }
}

BOOST_AUTO_TEST_CASE(mse_loss_rejects_bad_inputs) {
  check_throws([] { mse_loss(zeros({2, 3}), zeros({3})); }, {"mse_loss", "[2, 3]", "[3]"});
  check_throws([] { mse_loss(zeros({3}), zeros({3}, kFloat64)); }, {"mse_loss", "float32", "float64"});
}

// ---- dropout -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(dropout_value) {
  const std::int64_t n = 100000;
  for (double p : {0.1, 0.5, 0.8}) {
    BOOST_TEST_CONTEXT("p " << p) {
      Generator g(42);
      Tensor y = dropout(ones({n}, kFloat64), p, true, g);
      const auto v = y.to_vector();
      std::int64_t zeroed = 0;
      for (double e : v) {
        if (e == 0.0) ++zeroed;
        else BOOST_TEST(std::abs(e - 1 / (1 - p)) < 1e-12);  // survivors are scaled by 1/(1−p)
      }
      // Binomial: the fraction has standard deviation √(p(1−p)/n) ≤ 0.0016; allow 5σ.
      BOOST_TEST(std::abs(static_cast<double>(zeroed) / n - p) < 0.008);
    }
  }
}

BOOST_AUTO_TEST_CASE(dropout_same_seed_same_mask) {
  Generator g1(7), g2(7), g3(8);
  Tensor x = ones({1000});
  const auto a = dropout(x, 0.5, true, g1).to_vector();
  BOOST_TEST(a == dropout(x, 0.5, true, g2).to_vector(), boost::test_tools::per_element());
  BOOST_TEST(a != dropout(x, 0.5, true, g3).to_vector());
}

BOOST_AUTO_TEST_CASE(dropout_identity_and_extremes) {
  Tensor x = from_vector({1, -2, 3}, {3}, kFloat64);
  Generator g(1);
  BOOST_TEST(dropout(x, 0.5, false, g).to_vector() == x.to_vector(), boost::test_tools::per_element());
  BOOST_TEST(dropout(x, 0.0, true, g).to_vector() == x.to_vector(), boost::test_tools::per_element());
  Tensor xl = x.detach().requires_grad_();
  Tensor y = dropout(xl, 1.0, true, g);
  BOOST_TEST(y.to_vector() == std::vector<double>(3, 0.0), boost::test_tools::per_element());
  y.backward(ones({3}, kFloat64));
  BOOST_TEST(xl.grad().to_vector() == std::vector<double>(3, 0.0), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dropout_gradient) {
  // The gradient is the mask times the scale: exactly out/x for x ≠ 0.
  Tensor x = xg::testing::leaf_away_from_zero({50}, 3);
  Generator g(5);
  Tensor y = dropout(x, 0.3, true, g);
  Tensor up = uniform({50}, -1, 1, g, kFloat64);
  y.backward(up);
  const auto vx = x.to_vector(), vy = y.to_vector(), vu = up.to_vector(), vg = x.grad().to_vector();
  for (std::size_t i = 0; i < vx.size(); ++i) {
    const double mask = vy[i] / vx[i];
    BOOST_TEST((std::abs(mask) < 1e-12 || std::abs(mask - 1 / 0.7) < 1e-12));
    BOOST_TEST(std::abs(vg[i] - vu[i] * mask) < 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(dropout_rejects_bad_probability) {
  check_throws([] { dropout(ones({3}), 1.5); }, {"dropout", "between 0 and 1", "1.5"});
  check_throws([] { dropout(ones({3}), -0.1); }, {"dropout", "-0.1"});
  check_throws([] { dropout(ones({3}, kInt64), 0.5); }, {"dropout", "int64"});
}

// ---- embedding / one_hot -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(embedding_value) {
  Tensor w = from_vector({0, 1, 10, 11, 20, 21}, {3, 2}, kFloat64);
  Tensor idx = from_vector(std::vector<std::int64_t>{2, 0, 2, 1}, {2, 2});
  Tensor e = embedding(idx, w);
  BOOST_TEST(shape_str(e.shape()) == "[2, 2, 2]");
  BOOST_TEST(e.to_vector() == std::vector<double>({20, 21, 0, 1, 20, 21, 10, 11}), boost::test_tools::per_element());
  BOOST_TEST(shape_str(embedding(from_vector(std::vector<std::int64_t>{1}, {}), w).shape()) == "[2]");
}

BOOST_AUTO_TEST_CASE(embedding_gradient) {
  // Repeated index 2 accumulates both rows of the upstream gradient; padding row 0 gets none.
  Tensor w = leaf({4, 2}, 1);
  Tensor idx = from_vector(std::vector<std::int64_t>{2, 0, 2, 3}, {4});
  Tensor up = from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {4, 2}, kFloat64);
  embedding(idx, w, /*padding_idx=*/0).backward(up);
  BOOST_TEST(w.grad().to_vector() == std::vector<double>({0, 0, 0, 0, 6, 8, 7, 8}), boost::test_tools::per_element());
  check_gradient([&](const std::vector<Tensor>& in) { return embedding(idx, in[0]); }, {leaf({4, 3}, 2)});
  Tensor idx2 = from_vector(std::vector<std::int64_t>{1, 1, 0, 2, 1, 0}, {2, 3});
  // (With a padding_idx the analytic gradient deliberately differs from the numeric one.)
  check_gradient([&](const std::vector<Tensor>& in) { return embedding(idx2, in[0]); }, {leaf({3, 2}, 3)});
}

BOOST_AUTO_TEST_CASE(embedding_rejects_bad_inputs) {
  check_throws([] { embedding(from_vector(std::vector<std::int64_t>{0, 5}, {2}), zeros({5, 2})); },
               {"embedding", "index 5", "num_embeddings 5"});
  check_throws([] { embedding(from_vector(std::vector<std::int64_t>{-1}, {1}), zeros({5, 2})); },
               {"embedding", "index -1"});
  check_throws([] { embedding(zeros({2}), zeros({5, 2})); }, {"embedding", "int64"});
  check_throws([] { embedding(from_vector(std::vector<std::int64_t>{0}, {1}), zeros({5})); }, {"embedding", "2-D", "[5]"});
  check_throws([] { embedding(from_vector(std::vector<std::int64_t>{0}, {1}), zeros({5, 2}), 5); },
               {"embedding", "padding_idx 5"});
}

BOOST_AUTO_TEST_CASE(one_hot_value) {
  Tensor h = one_hot(from_vector(std::vector<std::int64_t>{2, 0, 1}, {3}), 4);
  BOOST_TEST(shape_str(h.shape()) == "[3, 4]");
  BOOST_TEST((h.dtype() == kFloat32));
  BOOST_TEST(h.to_vector() == std::vector<double>({0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0}),
             boost::test_tools::per_element());
  Tensor inferred = one_hot(from_vector(std::vector<std::int64_t>{1, 0}, {1, 2}), -1, kInt64);
  BOOST_TEST(shape_str(inferred.shape()) == "[1, 2, 2]");
  BOOST_TEST(inferred.to_vector() == std::vector<double>({0, 1, 1, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_hot_rejects_bad_inputs) {
  check_throws([] { one_hot(from_vector(std::vector<std::int64_t>{3}, {1}), 3); }, {"one_hot", "index 3", "3"});
  check_throws([] { one_hot(from_vector(std::vector<std::int64_t>{-2}, {1}), 3); }, {"one_hot", "-2"});
  check_throws([] { one_hot(zeros({2}), 3); }, {"one_hot", "int64"});
}
