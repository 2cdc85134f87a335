// xg::linalg (autograd/linalg.hpp): values and gradients against PyTorch 1.13
// (tools/make_linalg_fixtures.py), float64 gradchecks, and the errors.
#define BOOST_TEST_MODULE test_linalg
#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "autograd/linalg.hpp"
#include "test_helpers.hpp"

using namespace xg;
using xg::testing::check_close;
using xg::testing::check_gradient;
using xg::testing::check_throws;

namespace {

const SafetensorsFile& fixtures() {
  static const SafetensorsFile f =
      load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/linalg/linalg_float64.safetensors");
  return f;
}
Tensor fx(const std::string& name) { return fixtures().tensors.at(name); }

// LAPACK here (OpenBLAS) and in PyTorch's build may order their sums differently: agreement to
// 1e-12 relative (1e-13 absolute) on well-conditioned 4×4 inputs, not bit for bit.
constexpr double kRtol = 1e-12, kAtol = 1e-13;

// out = fn(inputs...), then backward of sum(out · G): compared with PyTorch's out and gradients.
void check_parity(const std::string& op, const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                  const std::vector<std::string>& inputs, const std::vector<std::string>& grad_names) {
  std::vector<Tensor> leaves;
  for (const std::string& name : inputs) leaves.push_back(fx(name).clone().requires_grad_());
  const Tensor out = fn(leaves);
  check_close(out, fx(op + ".out"), kRtol, kAtol);
  (out * fx("G_" + op)).sum().backward();
  for (std::size_t i = 0; i < leaves.size(); ++i) check_close(leaves[i].grad(), fx(op + ".grad_" + grad_names[i]), kRtol, kAtol);
}

Tensor eye_like(const Tensor& x) { return eye(x.size(0), x.dtype()); }

// A symmetric positive-definite matrix built differentiably from any square x: x·xᵀ + I.
Tensor spd(const Tensor& x) { return matmul(x, transpose(x, 0, 1)) + eye_like(x); }

}  // namespace

BOOST_AUTO_TEST_CASE(linalg_inv_value) {
  check_parity("inv", [](const std::vector<Tensor>& in) { return linalg::inv(in[0]); }, {"A"}, {"A"});
  // A·A⁻¹ = I in float32 too
  Tensor a = fx("A").to(kFloat32);
  check_close(matmul(a, linalg::inv(a)), eye(4, kFloat32), 0, 1e-5);
  BOOST_TEST(linalg::inv(zeros({0, 0}, kFloat64)).numel() == 0);
}

BOOST_AUTO_TEST_CASE(linalg_det_value) {
  check_parity("det", [](const std::vector<Tensor>& in) { return linalg::det(in[0]); }, {"A"}, {"A"});
  BOOST_TEST(linalg::det(from_vector({1, 2, 2, 4}, {2, 2}, kFloat64)).item() == 0.0);
  BOOST_TEST(linalg::det(zeros({0, 0}, kFloat64)).item() == 1.0);  // empty product
  BOOST_TEST(linalg::det(from_vector({0, 1, 1, 0}, {2, 2}, kFloat32)).item() == -1.0);
}

BOOST_AUTO_TEST_CASE(linalg_slogdet_value) {
  check_parity("slogdet", [](const std::vector<Tensor>& in) { return std::get<1>(linalg::slogdet(in[0])); }, {"A"},
               {"A"});
  BOOST_TEST(std::get<0>(linalg::slogdet(fx("A"))).item() == fx("slogdet.sign").item());
  const auto [sign, logabs] = linalg::slogdet(from_vector({0, 3, 2, 0}, {2, 2}, kFloat64));
  BOOST_TEST(sign.item() == -1.0);
  BOOST_TEST(logabs.item() == std::log(6.0), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(!sign.requires_grad());
  const auto [s0, l0] = linalg::slogdet(from_vector({1, 2, 2, 4}, {2, 2}, kFloat64));
  BOOST_TEST(s0.item() == 0.0);
  BOOST_TEST(l0.item() == -std::numeric_limits<double>::infinity());
}

BOOST_AUTO_TEST_CASE(linalg_solve_value) {
  check_parity("solve", [](const std::vector<Tensor>& in) { return linalg::solve(in[0], in[1]); }, {"A", "B"},
               {"A", "B"});
  check_parity("solve_vec", [](const std::vector<Tensor>& in) { return linalg::solve(in[0], in[1]); }, {"A", "b"},
               {"A", "b"});
  BOOST_TEST(linalg::solve(zeros({0, 0}, kFloat64), zeros({0, 2}, kFloat64)).numel() == 0);
}

BOOST_AUTO_TEST_CASE(linalg_cholesky_value) {
  check_parity("cholesky", [](const std::vector<Tensor>& in) { return linalg::cholesky(in[0]); }, {"S"}, {"A"});
  check_parity("cholesky_upper", [](const std::vector<Tensor>& in) { return linalg::cholesky(in[0], true); }, {"S"},
               {"A"});
  // only the lower triangle is read
  Tensor s = fx("S").clone();
  s.set({0, 3}, 1e6);
  check_close(linalg::cholesky(s), linalg::cholesky(fx("S")), 0, 0);
}

BOOST_AUTO_TEST_CASE(linalg_inv_gradient) {
  check_gradient([](const std::vector<Tensor>& in) { return linalg::inv(in[0] + eye_like(in[0])); },
                 {xg::testing::leaf({4, 4}, 11, -0.4, 0.4)});
}

BOOST_AUTO_TEST_CASE(linalg_det_gradient) {
  check_gradient([](const std::vector<Tensor>& in) { return linalg::det(in[0]); }, {xg::testing::leaf({3, 3}, 12)});
}

BOOST_AUTO_TEST_CASE(linalg_slogdet_gradient) {
  check_gradient([](const std::vector<Tensor>& in) { return std::get<1>(linalg::slogdet(in[0])); },
                 {xg::testing::leaf({4, 4}, 13)});
}

BOOST_AUTO_TEST_CASE(linalg_solve_gradient) {
  check_gradient(
      [](const std::vector<Tensor>& in) { return linalg::solve(in[0] + eye_like(in[0]), in[1]); },
      {xg::testing::leaf({4, 4}, 14, -0.4, 0.4), xg::testing::leaf({4, 2}, 15)});
  check_gradient(
      [](const std::vector<Tensor>& in) { return linalg::solve(in[0] + eye_like(in[0]), in[1]); },
      {xg::testing::leaf({3, 3}, 16, -0.4, 0.4), xg::testing::leaf({3}, 17)});
}

BOOST_AUTO_TEST_CASE(linalg_cholesky_gradient) {
  // through x·xᵀ + I, so every perturbation of x stays symmetric positive-definite
  check_gradient([](const std::vector<Tensor>& in) { return linalg::cholesky(spd(in[0])); },
                 {xg::testing::leaf({4, 4}, 18)});
  check_gradient([](const std::vector<Tensor>& in) { return linalg::cholesky(spd(in[0]), true); },
                 {xg::testing::leaf({3, 3}, 19)});
}

BOOST_AUTO_TEST_CASE(linalg_solve_rejects_singular) {
  Tensor singular = from_vector({1, 2, 3, 2, 4, 6, 1, 0, 1}, {3, 3}, kFloat64);
  check_throws<std::runtime_error>([&] { linalg::solve(singular, ones({3}, kFloat64)); },
                                   {"linalg.solve: matrix [3, 3] is singular"});
  check_throws<std::runtime_error>([&] { linalg::inv(singular); }, {"linalg.inv: matrix [3, 3] is singular"});
}

BOOST_AUTO_TEST_CASE(linalg_solve_rejects_shapes) {
  check_throws([] { linalg::solve(zeros({3, 3}, kFloat64), zeros({4, 2}, kFloat64)); },
               {"linalg.solve", "[3, 3]", "[4, 2]"});
  check_throws([] { linalg::solve(zeros({2, 3}, kFloat64), zeros({2}, kFloat64)); },
               {"linalg.solve", "square", "[2, 3]"});
  check_throws([] { linalg::solve(zeros({3, 3}, kFloat64), zeros({3}, kFloat32)); },
               {"linalg.solve", "float64", "float32"});
}

BOOST_AUTO_TEST_CASE(linalg_rejects_batches_and_non_matrices) {
  check_throws([] { linalg::inv(zeros({2, 3, 3}, kFloat64)); }, {"linalg.inv", "batched", "[2, 3, 3]"});
  check_throws([] { linalg::det(zeros({3}, kFloat64)); }, {"linalg.det", "square", "[3]"});
  check_throws([] { linalg::slogdet(zeros({2, 2}, kInt64)); }, {"linalg.slogdet", "int64"});
}

BOOST_AUTO_TEST_CASE(linalg_cholesky_rejects_not_positive_definite) {
  Tensor a = from_vector({4, 2, 0, 2, 1, 0, 0, 0, 1}, {3, 3}, kFloat64);  // minor of order 2 is 0
  check_throws<std::runtime_error>([&] { linalg::cholesky(a); },
                                   {"linalg.cholesky", "[3, 3]", "not positive-definite", "order 2"});
}

BOOST_AUTO_TEST_CASE(linalg_det_rejects_gradient_at_singular) {
  Tensor a = from_vector({1, 2, 2, 4}, {2, 2}, kFloat64).requires_grad_();
  Tensor d = linalg::det(a);
  check_throws<std::runtime_error>([&] { d.backward(); }, {"linalg.det backward", "singular", "[2, 2]"});
}
