#define BOOST_TEST_MODULE ops_linalg
#include "test_helpers.hpp"

#include "autograd/detail/blas.hpp"

#include <array>
#include <cmath>
#include <vector>

using namespace xg;
using xg::testing::check_close;
using xg::testing::check_gradient;
using xg::testing::check_throws;
using xg::testing::leaf;

namespace {

// Element (b, i, j) of a tensor viewed as a batch of matrices; 2-D and batch-size-1 tensors
// are shared by every batch entry, as matmul broadcasts them.
double entry(const std::vector<double>& v, const Shape& s, std::int64_t b, std::int64_t i, std::int64_t j) {
  if (s.size() == 2) return v[i * s[1] + j];
  const std::int64_t bb = s[0] == 1 ? 0 : b;
  return v[(bb * s[1] + i) * s[2] + j];
}

// Naive triple loop C[b] = A[b]·B[b] for 2-D/3-D operands (the reference every BLAS result is checked against).
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const std::int64_t m = sa[sa.size() - 2], k = sa.back(), n = sb.back();
  const std::int64_t batch = sa.size() == 3 && sa[0] != 1 ? sa[0] : (sb.size() == 3 ? sb[0] : 1);
  const bool batched = sa.size() == 3 || sb.size() == 3;
  const auto va = a.to_vector(), vb = b.to_vector();
  std::vector<double> out(batch * m * n, 0.0);
  for (std::int64_t bi = 0; bi < batch; ++bi)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (std::int64_t p = 0; p < k; ++p) acc += entry(va, sa, bi, i, p) * entry(vb, sb, bi, p, j);
        out[(bi * m + i) * n + j] = acc;
      }
  return from_vector(out, batched ? Shape{batch, m, n} : Shape{m, n}, kFloat64);
}

// Mᵀ of a 2-D tensor, by hand.
Tensor naive_transpose(const Tensor& t) {
  const std::int64_t r = t.size(0), c = t.size(1);
  const auto v = t.to_vector();
  std::vector<double> out(r * c);
  for (std::int64_t i = 0; i < r; ++i)
    for (std::int64_t j = 0; j < c; ++j) out[j * r + i] = v[i * c + j];
  return from_vector(out, {c, r}, kFloat64);
}

Tensor random(const Shape& shape, std::uint64_t seed, Dtype dtype) {
  Generator g(seed);
  return uniform(shape, -1.0, 1.0, g, dtype);
}

// gradcheck uses PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3 (float64).
void check_matmul_gradient(const Shape& sa, const Shape& sb) {
  BOOST_TEST_CONTEXT("matmul " << shape_str(sa) << " x " << shape_str(sb)) {
    check_gradient([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); }, {leaf(sa, 1), leaf(sb, 2)});
  }
}

}  // namespace

// ---- matmul values ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(matmul_value) {
  Tensor a = from_vector({1, 2, 3, 4}, {2, 2});
  Tensor b = from_vector({5, 6, 7, 8}, {2, 2});
  Tensor c = matmul(a, b);
  BOOST_TEST(shape_str(c.shape()) == "[2, 2]");
  BOOST_TEST(c.to_vector() == std::vector<double>({19, 22, 43, 50}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(matmul_value_vectors) {
  Tensor v = from_vector({1, 2, 3}, {3}, kFloat64);
  Tensor w = from_vector({4, 5, 6}, {3}, kFloat64);
  Tensor dot = matmul(v, w);  // 4 + 10 + 18
  BOOST_TEST(dot.dim() == 0);
  BOOST_TEST(dot.item() == 32.0);
  Tensor m = from_vector({1, 0, 2, 0, 1, -1}, {2, 3}, kFloat64);
  Tensor mv = matmul(m, v);  // [1 + 6, 2 − 3]
  BOOST_TEST(shape_str(mv.shape()) == "[2]");
  BOOST_TEST(mv.to_vector() == std::vector<double>({7, -1}), boost::test_tools::per_element());
  Tensor vm = matmul(from_vector({1, 2}, {2}, kFloat64), m);  // [1, 2, 2 − 2]
  BOOST_TEST(shape_str(vm.shape()) == "[3]");
  BOOST_TEST(vm.to_vector() == std::vector<double>({1, 2, 0}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(matmul_value_batched) {
  // (2, 1, 2)·(2, 2, 1): each batch is a dot product.
  Tensor a = from_vector({1, 2, 3, 4}, {2, 1, 2}, kFloat64);
  Tensor b = from_vector({5, 6, 7, 8}, {2, 2, 1}, kFloat64);
  Tensor c = matmul(a, b);
  BOOST_TEST(shape_str(c.shape()) == "[2, 1, 1]");
  BOOST_TEST(c.to_vector() == std::vector<double>({17, 53}), boost::test_tools::per_element());
  // 2-D on either side broadcasts over the batch; batch size 1 broadcasts too.
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4, 5}, {5, 2}}, {{4, 5}, {3, 5, 2}}, {{3, 4, 5}, {3, 5, 2}}, {{1, 4, 5}, {3, 5, 2}}, {{3, 4, 5}, {1, 5, 2}}};
  for (const auto& [sa, sb] : cases) {
    Tensor x = random(sa, 3, kFloat64), y = random(sb, 4, kFloat64);
    check_close(matmul(x, y), naive_matmul(x, y), 1e-12, 1e-12);
  }
  // 1-D against 3-D: the vector is a row (left) or a column (right), then dropped.
  Tensor batch = random({2, 3, 4}, 5, kFloat64);
  BOOST_TEST(shape_str(matmul(batch, random({4}, 6, kFloat64)).shape()) == "[2, 3]");
  BOOST_TEST(shape_str(matmul(random({3}, 7, kFloat64), batch).shape()) == "[2, 4]");
}

BOOST_AUTO_TEST_CASE(matmul_matches_naive_loop) {
  const std::vector<std::array<std::int64_t, 3>> sizes = {{1, 1, 1}, {2, 3, 4}, {7, 1, 5}, {17, 33, 9}, {64, 64, 64},
                                                          {3, 100, 2}, {65, 31, 1}};
  for (Dtype dtype : {kFloat32, kFloat64}) {
    const double tol = dtype == kFloat32 ? 1e-5 : 1e-12;
    for (const auto& [m, k, n] : sizes) {
      BOOST_TEST_CONTEXT(dtype_name(dtype) << " " << m << "x" << k << "x" << n) {
        Tensor a = random({m, k}, 10 + m, dtype), b = random({k, n}, 20 + n, dtype);
        check_close(matmul(a, b), naive_matmul(a, b), tol, tol);
        // Transposed backward paths: dA = G·Bᵀ, dB = Aᵀ·G.
        Tensor al = a.detach().requires_grad_(), bl = b.detach().requires_grad_();
        Tensor g = random({m, n}, 30, dtype);
        matmul(al, bl).backward(g);
        check_close(al.grad(), naive_matmul(g, naive_transpose(b)), tol, tol);
        check_close(bl.grad(), naive_matmul(naive_transpose(a), g), tol, tol);
      }
    }
  }
}

// detail::gemm against a naive loop on raw, padded buffers: every transpose combination, beta 0
// (C prefilled with NaN, which must not leak through), 1 and 0.5, and the one-row / one-column
// shapes that take the gemv route, plus shapes large enough to be split in two.
template <typename T>
void check_raw_gemm(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, T beta, double tol) {
  const std::int64_t pad = 3;
  const std::int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
  const std::int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
  Generator g(static_cast<std::uint64_t>(m * 131 + n * 17 + k));
  auto fill = [&g](std::int64_t count) {
    const auto v = uniform({count}, -1.0, 1.0, g, kFloat64).to_vector();
    return std::vector<T>(v.begin(), v.end());
  };
  const std::vector<T> a = fill(a_rows * lda), b = fill(b_rows * ldb);
  std::vector<T> c = beta == T(0) ? std::vector<T>(m * ldc, std::nan("")) : fill(m * ldc);
  const std::vector<T> c_before = c;
  xg::detail::gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < ldc; ++j) {
      if (j >= n) {  // padding between rows is never written
        BOOST_TEST((std::isnan(c[i * ldc + j]) ? std::isnan(c_before[i * ldc + j]) : c[i * ldc + j] == c_before[i * ldc + j]));
        continue;
      }
      double acc = beta == T(0) ? 0.0 : static_cast<double>(beta) * c_before[i * ldc + j];
      for (std::int64_t p = 0; p < k; ++p)
        acc += static_cast<double>(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
      BOOST_TEST(std::abs(c[i * ldc + j] - acc) <= tol * (1 + std::abs(acc)),
                 "C[" << i << "," << j << "] = " << c[i * ldc + j] << ", expected " << acc);
    }
}

BOOST_AUTO_TEST_CASE(raw_gemm_matches_naive_loop) {
  const std::vector<std::array<std::int64_t, 3>> sizes = {{1, 7, 5},   {6, 1, 5},   {1, 1, 9},     {1, 300, 200},
                                                          {250, 1, 40}, {4, 3, 2}, {130, 257, 260}};
  for (const auto& [m, n, k] : sizes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (double beta : {0.0, 1.0, 0.5}) {
          BOOST_TEST_CONTEXT(m << "x" << n << "x" << k << " ta " << ta << " tb " << tb << " beta " << beta) {
            check_raw_gemm<float>(ta, tb, m, n, k, static_cast<float>(beta), 1e-5);
            check_raw_gemm<double>(ta, tb, m, n, k, beta, 1e-12);
          }
        }
}

BOOST_AUTO_TEST_CASE(matmul_batched_backward_matches_naive_loop) {
  // (b, m, k)·(k, n): forward and dB fold the batch into one gemm; check them against loops.
  for (Dtype dtype : {kFloat32, kFloat64}) {
    const double tol = dtype == kFloat32 ? 1e-5 : 1e-12;
    Tensor a = random({3, 5, 4}, 1, dtype).requires_grad_(), b = random({4, 6}, 2, dtype).requires_grad_();
    Tensor g = random({3, 5, 6}, 3, dtype);
    matmul(a, b).backward(g);
    // dB = Σ_i A[i]ᵀ G[i]; dA[i] = G[i] Bᵀ
    const auto va = a.to_vector(), vb = b.to_vector(), vg = g.to_vector(), da = a.grad().to_vector(),
               db = b.grad().to_vector();
    for (int p = 0; p < 4; ++p)
      for (int j = 0; j < 6; ++j) {
        double acc = 0;
        for (int i = 0; i < 3; ++i)
          for (int r = 0; r < 5; ++r) acc += va[(i * 5 + r) * 4 + p] * vg[(i * 5 + r) * 6 + j];
        BOOST_TEST(std::abs(db[p * 6 + j] - acc) <= tol * (1 + std::abs(acc)));
      }
    for (int i = 0; i < 3; ++i)
      for (int r = 0; r < 5; ++r)
        for (int p = 0; p < 4; ++p) {
          double acc = 0;
          for (int j = 0; j < 6; ++j) acc += vg[(i * 5 + r) * 6 + j] * vb[p * 6 + j];
          BOOST_TEST(std::abs(da[(i * 5 + r) * 4 + p] - acc) <= tol * (1 + std::abs(acc)));
        }
  }
}

BOOST_AUTO_TEST_CASE(matmul_value_zero_size) {
  Tensor empty_rows = matmul(zeros({0, 3}), ones({3, 4}));
  BOOST_TEST(shape_str(empty_rows.shape()) == "[0, 4]");
  // An empty reduction dimension gives zeros, as in PyTorch.
  Tensor a = ones({3, 0}, kFloat64).requires_grad_(), b = ones({0, 4}, kFloat64).requires_grad_();
  Tensor c = matmul(a, b);
  BOOST_TEST(c.to_vector() == std::vector<double>(12, 0.0), boost::test_tools::per_element());
  c.backward(ones({3, 4}, kFloat64));
  BOOST_TEST(shape_str(a.grad().shape()) == "[3, 0]");
  BOOST_TEST(shape_str(b.grad().shape()) == "[0, 4]");
  Tensor w = ones({5, 2}, kFloat64).requires_grad_();
  matmul(zeros({0, 0, 5}, kFloat64), w).backward(zeros({0, 0, 2}, kFloat64));
  BOOST_TEST(w.grad().to_vector() == std::vector<double>(10, 0.0), boost::test_tools::per_element());
  Tensor x = full({2, 0}, 1.0, kFloat64).requires_grad_();
  Tensor wl = ones({3, 0}, kFloat64).requires_grad_();
  Tensor y = linear(x, wl, from_vector({1, 2, 3}, {3}, kFloat64));
  BOOST_TEST(y.to_vector() == std::vector<double>({1, 2, 3, 1, 2, 3}), boost::test_tools::per_element());
}

// ---- matmul gradients --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(matmul_gradient) {
  check_matmul_gradient({4}, {4});
  check_matmul_gradient({3, 4}, {4});
  check_matmul_gradient({4}, {4, 2});
  check_matmul_gradient({3, 4}, {4, 2});
  check_matmul_gradient({1, 1}, {1, 3});
  check_matmul_gradient({2, 3, 4}, {2, 4, 5});
  check_matmul_gradient({2, 3, 4}, {4, 5});
  check_matmul_gradient({3, 4}, {2, 4, 5});
  check_matmul_gradient({1, 3, 4}, {2, 4, 5});
  check_matmul_gradient({2, 3, 4}, {1, 4, 5});
  check_matmul_gradient({2, 3, 4}, {4});
  check_matmul_gradient({3}, {2, 3, 4});
}

BOOST_AUTO_TEST_CASE(matmul_gradient_only_where_required) {
  Tensor a = leaf({2, 3}, 1);
  Tensor b = random({3, 4}, 2, kFloat64);  // constant
  matmul(a, b).backward(ones({2, 4}, kFloat64));
  BOOST_TEST(!b.grad().defined());
  // dA = 1·Bᵀ: row sums of B in every row
  const auto vb = b.to_vector();
  const auto da = a.grad().to_vector();
  for (int i = 0; i < 2; ++i)
    for (int p = 0; p < 3; ++p) BOOST_TEST(std::abs(da[i * 3 + p] - (vb[p * 4] + vb[p * 4 + 1] + vb[p * 4 + 2] + vb[p * 4 + 3])) < 1e-12);
}

// ---- linear / addmm ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(linear_value) {
  // x [[1, 2], [3, 4]], W [[1, 0], [0, 1], [1, 1]], b [0.5, −1, 2]: x Wᵀ + b
  Tensor x = from_vector({1, 2, 3, 4}, {2, 2}, kFloat64);
  Tensor w = from_vector({1, 0, 0, 1, 1, 1}, {3, 2}, kFloat64);
  Tensor b = from_vector({0.5, -1, 2}, {3}, kFloat64);
  Tensor y = linear(x, w, b);
  BOOST_TEST(shape_str(y.shape()) == "[2, 3]");
  BOOST_TEST(y.to_vector() == std::vector<double>({1.5, 1, 5, 3.5, 3, 9}), boost::test_tools::per_element());
  BOOST_TEST(linear(x, w).to_vector() == std::vector<double>({1, 2, 3, 3, 4, 7}), boost::test_tools::per_element());
  // Leading dims fold into rows: (2, 1, 2) → (2, 1, 3); a 1-D input gives (3).
  BOOST_TEST(shape_str(linear(from_vector({1, 2, 3, 4}, {2, 1, 2}, kFloat64), w, b).shape()) == "[2, 1, 3]");
  Tensor v = linear(from_vector({1, 2}, {2}, kFloat64), w, b);
  BOOST_TEST(v.to_vector() == std::vector<double>({1.5, 1, 5}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(linear_matches_naive_loop) {
  for (Dtype dtype : {kFloat32, kFloat64}) {
    const double tol = dtype == kFloat32 ? 1e-5 : 1e-12;
    Tensor x = random({7, 5}, 1, dtype).requires_grad_(), w = random({3, 5}, 2, dtype).requires_grad_();
    Tensor b = random({3}, 3, dtype).requires_grad_();
    Tensor g = random({7, 3}, 4, dtype);
    Tensor y = linear(x, w, b);
    Tensor expected = naive_matmul(x, naive_transpose(w));
    const auto vb = b.to_vector();
    auto ve = expected.to_vector();
    for (std::size_t i = 0; i < ve.size(); ++i) ve[i] += vb[i % 3];
    check_close(y, from_vector(ve, {7, 3}, kFloat64), tol, tol);
    y.backward(g);
    check_close(x.grad(), naive_matmul(g, w), tol, tol);
    check_close(w.grad(), naive_matmul(naive_transpose(g), x), tol, tol);
    const auto vg = g.to_vector();
    std::vector<double> db(3, 0.0);
    for (std::size_t i = 0; i < vg.size(); ++i) db[i % 3] += vg[i];
    check_close(b.grad(), from_vector(db, {3}, kFloat64), tol, tol);
  }
}

BOOST_AUTO_TEST_CASE(linear_gradient) {
  auto with_bias = [](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); };
  auto without_bias = [](const std::vector<Tensor>& in) { return linear(in[0], in[1]); };
  check_gradient(with_bias, {leaf({4, 3}, 1), leaf({2, 3}, 2), leaf({2}, 3)});
  check_gradient(with_bias, {leaf({2, 3, 3}, 4), leaf({5, 3}, 5), leaf({5}, 6)});
  check_gradient(with_bias, {leaf({3}, 7), leaf({1, 3}, 8), leaf({1}, 9)});
  check_gradient(without_bias, {leaf({4, 3}, 10), leaf({2, 3}, 11)});
  check_gradient(without_bias, {leaf({2, 2, 3}, 12), leaf({4, 3}, 13)});
}

BOOST_AUTO_TEST_CASE(linear_gradient_only_where_required) {
  Tensor x = random({3, 2}, 1, kFloat64);
  Tensor w = leaf({4, 2}, 2);
  Tensor b = random({4}, 3, kFloat64);
  linear(x, w, b).backward(ones({3, 4}, kFloat64));
  BOOST_TEST(!x.grad().defined());
  BOOST_TEST(!b.grad().defined());
  BOOST_TEST(w.grad().defined());
}

BOOST_AUTO_TEST_CASE(addmm_value) {
  Tensor a = from_vector({1, 2, 3, 4}, {2, 2}, kFloat64);
  Tensor b = from_vector({5, 6, 7, 8}, {2, 2}, kFloat64);
  BOOST_TEST(addmm(from_vector({1, -1}, {2}, kFloat64), a, b).to_vector() == std::vector<double>({20, 21, 44, 49}),
             boost::test_tools::per_element());
  BOOST_TEST(addmm(from_vector({1, -1}, {2, 1}, kFloat64), a, b).to_vector() == std::vector<double>({20, 23, 42, 49}),
             boost::test_tools::per_element());
  BOOST_TEST(addmm(scalar_tensor(2, kFloat64), a, b).to_vector() == std::vector<double>({21, 24, 45, 52}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(addmm_gradient) {
  auto f = [](const std::vector<Tensor>& in) { return addmm(in[0], in[1], in[2]); };
  check_gradient(f, {leaf({3, 4}, 1), leaf({3, 2}, 2), leaf({2, 4}, 3)});
  check_gradient(f, {leaf({4}, 4), leaf({3, 2}, 5), leaf({2, 4}, 6)});
  check_gradient(f, {leaf({3, 1}, 7), leaf({3, 5}, 8), leaf({5, 4}, 9)});
}

// ---- errors ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(matmul_rejects_bad_shapes) {
  check_throws([] { matmul(zeros({3, 4}), zeros({5, 2})); }, {"matmul: cannot multiply [3, 4] by [5, 2]"});
  check_throws([] { matmul(zeros({3}), zeros({4})); }, {"matmul: cannot multiply [3] by [4]"});
  check_throws([] { matmul(zeros({2, 3, 4}), zeros({3, 4, 2})); }, {"matmul", "[2, 3, 4]", "[3, 4, 2]", "batch"});
  check_throws([] { matmul(scalar_tensor(1), zeros({3})); }, {"matmul", "at least 1-D"});
  check_throws([] { matmul(zeros({2, 2, 3, 4}), zeros({3, 4, 2})); },
               {"matmul: cannot multiply [2, 2, 3, 4] by [3, 4, 2] (batch dims [2, 2] and [3] do not broadcast)"});
}

BOOST_AUTO_TEST_CASE(matmul_rejects_bad_dtypes) {
  check_throws([] { matmul(zeros({2, 2}), zeros({2, 2}, kFloat64)); }, {"matmul", "float32", "float64"});
  check_throws([] { matmul(zeros({2, 2}, kInt64), zeros({2, 2}, kInt64)); }, {"matmul", "int64"});
  check_throws([] { matmul(Tensor(), zeros({2, 2})); }, {"matmul", "undefined"});
}

BOOST_AUTO_TEST_CASE(linear_rejects_bad_inputs) {
  check_throws([] { linear(zeros({2, 5}), zeros({3, 4})); }, {"linear: input has 5 features but weight [3, 4] expects 4"});
  check_throws([] { linear(zeros({2, 4}), zeros({3, 4}), zeros({4})); }, {"linear", "bias [4]", "[3, 4]"});
  check_throws([] { linear(zeros({2, 4}), zeros({3, 4}, kFloat64)); }, {"linear", "float32", "float64"});
  check_throws([] { linear(zeros({2, 4}, kInt64), zeros({3, 4}, kInt64)); }, {"linear", "int64"});
  check_throws([] { linear(zeros({2, 4}), zeros({4})); }, {"linear", "2-D", "[4]"});
  check_throws([] { linear(scalar_tensor(1), zeros({3, 1})); }, {"linear", "1-D"});
}

BOOST_AUTO_TEST_CASE(addmm_rejects_bad_inputs) {
  check_throws([] { addmm(zeros({3, 2}), zeros({3, 4}), zeros({5, 2})); }, {"addmm: cannot multiply [3, 4] by [5, 2]"});
  check_throws([] { addmm(zeros({4}), zeros({3, 4}), zeros({4, 2})); }, {"addmm", "bias [4]", "[3, 2]"});
  check_throws([] { addmm(zeros({2}), zeros({3}), zeros({3, 2})); }, {"addmm", "2-D"});
  check_throws([] { addmm(zeros({2}, kFloat64), zeros({3, 3}), zeros({3, 2})); }, {"addmm", "float64"});
}
