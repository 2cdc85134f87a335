#define BOOST_TEST_MODULE ops_recurrent
#include "test_helpers.hpp"

#include "autograd/ops_recurrent.hpp"

using namespace xg;
using xg::testing::check_gradient;
using xg::testing::check_gradient_multi;
using xg::testing::check_throws;
using xg::testing::leaf;
using Inputs = std::vector<Tensor>;

// Gradient checks use PyTorch's gradcheck tolerances: eps 1e-6, atol 1e-5, rtol 1e-3, float64.

namespace {
// h_t = tanh(x_t + h_{t−1} Wᵀ) over `steps` steps; returns every h_t.
Inputs unroll(const Tensor& x, const Tensor& h0, const Tensor& w, std::int64_t steps) {
  RecurrentWeight recurrent(w);
  Inputs hs;
  Tensor h = h0;
  for (std::int64_t t = 0; t < steps; ++t) {
    h = tanh(recurrent.add_product(select(x, 0, t), h));
    hs.push_back(h);
  }
  return hs;
}
}  // namespace

BOOST_AUTO_TEST_CASE(add_product_value) {
  Tensor w = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  Tensor h = from_vector({1, 0, -1}, {1, 3}, kFloat64);
  Tensor base = from_vector({10, 20}, {1, 2}, kFloat64);
  // h·Wᵀ = [1 − 3, 4 − 6] = [−2, −2]
  BOOST_TEST(RecurrentWeight(w).add_product(base, h).to_vector() == std::vector<double>({8, 18}),
             boost::test_tools::per_element());
}

// From two rows on, the product runs on the weight packed into panels of 16 floats / 8 doubles
// (AVX2), depth in chunks of 256 and rows in tiles of 6: sizes around every edge, against a
// long-double sum. Tolerance: depth · ε · (|base| + Σ|h||w|), the bound of any summation order.
template <typename T>
void check_packed_product(Dtype dtype) {
  Generator gen(21);
  for (std::int64_t n : {1, 2, 5, 6, 7, 13})
    for (std::int64_t out : {1, 15, 16, 17, 40})
      for (std::int64_t in : {1, 255, 256, 300}) {
        const Tensor w = randn({out, in}, gen, dtype), h = randn({n, in}, gen, dtype), base = randn({n, out}, gen, dtype);
        const Tensor got = RecurrentWeight(w).add_product(base, h);
        const T *pw = w.data<T>(), *ph = h.data<T>(), *pb = base.data<T>(), *pg = got.data<T>();
        for (std::int64_t r = 0; r < n; ++r)
          for (std::int64_t o = 0; o < out; ++o) {
            long double sum = pb[r * out + o], magnitude = std::abs(pb[r * out + o]);
            for (std::int64_t k = 0; k < in; ++k) {
              sum += static_cast<long double>(ph[r * in + k]) * pw[o * in + k];
              magnitude += std::abs(static_cast<long double>(ph[r * in + k]) * pw[o * in + k]);
            }
            const long double bound = static_cast<long double>(in + 1) * std::numeric_limits<T>::epsilon() * magnitude;
            BOOST_TEST_CONTEXT("n " << n << ", out " << out << ", in " << in << ", element (" << r << ", " << o << ")") {
              BOOST_TEST(std::abs(pg[r * out + o] - sum) <= bound);
            }
          }
      }
}

BOOST_AUTO_TEST_CASE(add_product_value_on_the_packed_weight) {
  check_packed_product<float>(kFloat32);
  check_packed_product<double>(kFloat64);
}

// The backward's g·W also runs on a packing (of Wᵀ) made by the first backward step; the engine's
// version check must still stop a backward after the weight changed in place, and nothing stale
// may be used when the same weight is packed again for the next forward.
BOOST_AUTO_TEST_CASE(packed_weight_follows_in_place_updates) {
  Tensor x = leaf({3, 4, 5}, 12), w = leaf({5, 5}, 13);
  Tensor loss = sum(unroll(x, zeros({4, 5}, kFloat64), w, 3).back());
  {
    NoGradGuard no_grad;
    w.mul_(2.0);
  }
  check_throws<std::runtime_error>([&] { loss.backward(); }, {"add_product", "modified by an inplace operation"});
  // A fresh forward after the update uses the new values: compare with the unpacked formula.
  Tensor h = zeros({4, 5}, kFloat64);
  for (std::int64_t t = 0; t < 3; ++t) h = tanh(select(x, 0, t) + matmul(h, transpose(w, 0, 1)));
  xg::testing::check_close(unroll(x, zeros({4, 5}, kFloat64), w, 3).back(), h, 1e-12, 1e-14);
}

BOOST_AUTO_TEST_CASE(add_product_gradient_over_a_recurrence) {
  for (std::int64_t steps : {1, 5}) {
    Tensor x = leaf({steps, 3, 4}, 1), h0 = leaf({3, 4}, 2), w = leaf({4, 4}, 3, -0.6, 0.6);
    check_gradient_multi([steps](const Inputs& in) { return unroll(in[0], in[1], in[2], steps); }, {x, h0, w});
  }
  // A non-square weight (O ≠ I) used once.
  Tensor base = leaf({2, 3}, 4), h = leaf({2, 5}, 5), w = leaf({3, 5}, 6);
  check_gradient([](const Inputs& in) { return RecurrentWeight(in[2]).add_product(in[0], in[1]); }, {base, h, w});
}

BOOST_AUTO_TEST_CASE(weight_gradient_matches_per_step_linear) {
  // The hub's single gemm must equal the sum of the per-step products PyTorch would form.
  Tensor x = leaf({6, 2, 3}, 7), h0 = leaf({2, 3}, 8);
  Tensor w1 = leaf({3, 3}, 9), w2 = w1.detach().clone().requires_grad_();
  Tensor gout = randn({2, 3}, kFloat64);
  unroll(x, h0, w1, 6).back().backward(gout);
  Tensor h = h0;
  for (std::int64_t t = 0; t < 6; ++t) h = tanh(select(x, 0, t) + matmul(h, transpose(w2, 0, 1)));
  h.backward(gout);
  xg::testing::check_close(w1.grad(), w2.grad(), 1e-12, 1e-14);
}

BOOST_AUTO_TEST_CASE(retain_graph_and_partial_backward) {
  Tensor x = leaf({4, 2, 3}, 10), w = leaf({3, 3}, 11);
  Inputs hs = unroll(x, zeros({2, 3}, kFloat64), w, 4);
  Tensor loss = sum(hs[1]);  // only the first two steps are reached
  loss.backward(Tensor(), /*retain_graph=*/true);
  const auto once = w.grad().to_vector();
  loss.backward();
  const auto twice = w.grad().to_vector();
  for (std::size_t i = 0; i < once.size(); ++i) BOOST_TEST(std::abs(twice[i] - 2 * once[i]) < 1e-12);
}

BOOST_AUTO_TEST_CASE(add_product_rejects_bad_shapes) {
  RecurrentWeight r(zeros({4, 3}));
  check_throws([&] { r.add_product(zeros({2, 4}), zeros({2, 5})); }, {"add_product", "[2, 5]", "[4, 3]"});
  check_throws([&] { r.add_product(zeros({3, 4}), zeros({2, 3})); }, {"add_product", "[3, 4]"});
  check_throws([&] { r.add_product(zeros({2, 4}, kFloat64), zeros({2, 3})); }, {"add_product", "float64", "float32"});
  check_throws([] { RecurrentWeight(zeros({4})); }, {"RecurrentWeight", "2-D", "[4]"});
}
