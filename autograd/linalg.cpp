#include "autograd/linalg.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_linalg.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_unary.hpp"
#include "autograd/xtensor.hpp"

namespace xg::linalg {
namespace {

using detail::dispatch_floating;

// A single square float matrix, else a message naming the op and the shape.
void check_square_matrix(const char* op, const Tensor& A, const char* what = "A") {
  detail::check_floating(op, A, what);
  if (A.dim() > 2)
    throw std::invalid_argument(std::string(op) + ": batched input " + shape_str(A.shape()) +
                                " is not supported (one [n, n] matrix at a time; see docs/api.md)");
  if (A.dim() != 2 || A.size(0) != A.size(1))
    throw std::invalid_argument(std::string(op) + ": " + what + " must be a square matrix, got " + shape_str(A.shape()));
}

std::string singular(const char* op, const Tensor& A) {
  return std::string(op) + ": matrix " + shape_str(A.shape()) + " is singular";
}

Tensor t(const Tensor& m) { return transpose(m, 0, 1); }

// LU of A (column-major copy, through xtensor-blas): the sign of the permutation times the
// diagonal's signs and Σ log|u_ii|, or sign 0 when a pivot is exactly zero.
template <class T>
std::pair<T, T> sign_logabsdet(const Tensor& A) {
  const auto [sign, logabs] = xt::linalg::slogdet(as_xtensor<T>(A));
  return {sign, logabs};
}

}  // namespace

Tensor inv(const Tensor& A) {
  check_square_matrix("linalg.inv", A);
  Tensor out = empty(A.shape(), A.dtype());
  if (A.numel() > 0)
    dispatch_floating("linalg.inv", A.dtype(), [&](auto tag) {
      using T = decltype(tag);
      try {
        as_xtensor<T>(out) = xt::linalg::inv(as_xtensor<T>(A));
      } catch (const std::runtime_error&) {
        throw std::runtime_error(singular("linalg.inv", A));
      }
    });
  if (needs_grad({&A})) {
    // Every closure here is written in recorded ops on saved tensors: differentiable again.
    record(out, "linalg.inv", {A}, [inverse = detail::save_for_backward(out)](const Tensor& g) {
      const Tensor inverse_t = t(inverse);
      return std::vector<Tensor>{neg(matmul(matmul(inverse_t, g), inverse_t))};
    });
  }
  return out;
}

Tensor det(const Tensor& A) {
  check_square_matrix("linalg.det", A);
  Tensor out = empty({}, A.dtype());
  dispatch_floating("linalg.det", A.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // xt::linalg::det multiplies LU's pivots, so it overflows/underflows only when det does.
    as_xtensor<T>(out)() = A.numel() == 0 ? T(1) : xt::linalg::det(as_xtensor<T>(A));
  });
  if (needs_grad({&A})) {
    record(out, "linalg.det", {A}, [a = detail::save_for_backward(A), d = detail::save_for_backward(out)](const Tensor& g) {
      if (d.item() == 0.0)
        throw std::runtime_error("linalg.det backward: matrix " + shape_str(a.shape()) +
                                 " is singular; its gradient (the adjugate) is not implemented");
      return std::vector<Tensor>{t(inv(a)) * (g * d)};
    });
  }
  return out;
}

std::tuple<Tensor, Tensor> slogdet(const Tensor& A) {
  check_square_matrix("linalg.slogdet", A);
  Tensor sign = empty({}, A.dtype());
  Tensor logabsdet = empty({}, A.dtype());
  dispatch_floating("linalg.slogdet", A.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const auto [s, l] = A.numel() == 0 ? std::pair<T, T>{1, 0} : sign_logabsdet<T>(A);
    as_xtensor<T>(sign)() = s;
    as_xtensor<T>(logabsdet)() = l;
  });
  if (needs_grad({&A})) {
    record(logabsdet, "linalg.slogdet", {A}, [a = detail::save_for_backward(A), s = sign.detach()](const Tensor& g) {
      if (s.item() == 0.0)
        throw std::runtime_error("linalg.slogdet backward: matrix " + shape_str(a.shape()) +
                                 " is singular (log|det| = -inf has no gradient)");
      return std::vector<Tensor>{t(inv(a)) * g};
    });
  }
  return {sign, logabsdet};
}

Tensor solve(const Tensor& A, const Tensor& B) {
  check_square_matrix("linalg.solve", A);
  detail::check_floating("linalg.solve", B, "B");
  detail::check_same_dtype("linalg.solve", A, B);
  const std::int64_t n = A.size(0);
  if (B.dim() < 1 || B.dim() > 2 || B.size(0) != n)
    throw std::invalid_argument("linalg.solve: cannot solve A " + shape_str(A.shape()) + " with B " +
                                shape_str(B.shape()) + " (B must be [" + std::to_string(n) + "] or [" +
                                std::to_string(n) + ", k]; batches are not supported)");
  Tensor out = empty(B.shape(), B.dtype());
  if (out.numel() > 0)
    dispatch_floating("linalg.solve", A.dtype(), [&](auto tag) {
      using T = decltype(tag);
      try {
        as_xtensor<T>(out) = xt::linalg::solve(as_xtensor<T>(A), as_xtensor<T>(B));
      } catch (const std::runtime_error&) {
        throw std::runtime_error(singular("linalg.solve", A));
      }
    });
  if (needs_grad({&A, &B})) {
    record(out, "linalg.solve", {A, B}, [a = detail::save_for_backward(A), x = detail::save_for_backward(out)](const Tensor& g) {
      const Tensor grad_b = solve(t(a), g);
      const Tensor grad_a = x.dim() == 1 ? neg(matmul(unsqueeze(grad_b, 1), unsqueeze(x, 0)))
                                         : neg(matmul(grad_b, t(x)));
      return std::vector<Tensor>{grad_a, grad_b};
    });
  }
  return out;
}

Tensor cholesky(const Tensor& A, bool upper) {
  check_square_matrix("linalg.cholesky", A);
  Tensor L = empty(A.shape(), A.dtype());
  const std::int64_t n = A.size(0);
  dispatch_floating("linalg.cholesky", A.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (n == 0) return;
    // potrf through xtensor-blas's LAPACK binding (xt::linalg::cholesky drops LAPACK's info,
    // which names the failing minor).
    xt::xtensor<T, 2, xt::layout_type::column_major> m = as_xtensor<T>(A);
    const int info = xt::lapack::potr(m, 'L');
    if (info > 0)
      throw std::runtime_error("linalg.cholesky: matrix " + shape_str(A.shape()) +
                               " is not positive-definite (the leading minor of order " + std::to_string(info) +
                               " is not positive-definite)");
    auto l = as_xtensor<T>(L);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) l(i, j) = j <= i ? m(i, j) : T(0);
  });
  if (needs_grad({&A})) {
    record(L, "linalg.cholesky", {A}, [l = detail::save_for_backward(L)](const Tensor& g) {
      if (is_grad_enabled()) {
        // create_graph: the same formula in recorded ops; tril with the halved diagonal is a
        // product with a constant mask.
        const std::int64_t m = l.size(0);
        Tensor mask = zeros({m, m}, l.dtype());
        for (std::int64_t i = 0; i < m; ++i)
          for (std::int64_t j = 0; j <= i; ++j) mask.set({i, j}, i == j ? 0.5 : 1.0);
        const Tensor phi = mul(matmul(t(l), g), mask);
        const Tensor l_inv = inv(l);
        const Tensor s = matmul(matmul(t(l_inv), phi), l_inv);
        return std::vector<Tensor>{mul(add(s, t(s)), 0.5)};
      }
      Tensor grad_a = empty(l.shape(), l.dtype());
      dispatch_floating("linalg.cholesky backward", l.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const auto lv = as_xtensor<T>(l);
        xt::xtensor<T, 2> phi = xt::linalg::dot(xt::transpose(lv), as_xtensor<T>(g));
        phi = xt::tril(phi);
        for (std::size_t i = 0; i < phi.shape()[0]; ++i) phi(i, i) *= T(0.5);
        const xt::xtensor<T, 2> l_inv = xt::linalg::inv(lv);
        const xt::xtensor<T, 2> s = xt::linalg::dot(xt::linalg::dot(xt::transpose(l_inv), phi), l_inv);
        as_xtensor<T>(grad_a) = T(0.5) * (s + xt::transpose(s));
      });
      return std::vector<Tensor>{grad_a};
    });
  }
  return upper ? t(L) : L;
}

}  // namespace xg::linalg
