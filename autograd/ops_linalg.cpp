#include "autograd/ops_linalg.hpp"


#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/blas.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/double_backward.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_binary.hpp"

namespace xg {
using detail::dispatch_floating;
using detail::gemm;

namespace {

// A batched product C[i] = A[i]·B[i] with C (batch, m, n) contiguous. A batch stride of 0 means
// that operand is shared by every batch entry (a 2-D operand, or a 3-D one with batch size 1).
struct BatchedDims {
  std::int64_t batch = 1, m = 1, k = 1, n = 1;
  std::int64_t stride_a = 0, stride_b = 0;
};

template <typename T>
void batched_forward(const BatchedDims& d, const T* a, const T* b, T* c) {
  if (d.stride_b == 0 && (d.stride_a != 0 || d.batch == 1)) {
    // B shared: the batch folds into the rows of one gemm ((batch·m)×k times k×n).
    gemm(false, false, d.batch * d.m, d.n, d.k, a, d.k, b, d.n, T(0), c, d.n);
    return;
  }
  for (std::int64_t i = 0; i < d.batch; ++i)
    gemm(false, false, d.m, d.n, d.k, a + i * d.stride_a, d.k, b + i * d.stride_b, d.n, T(0), c + i * d.m * d.n, d.n);
}

// dA[i] = dC[i]·B[i]ᵀ (summed over the batch when A is shared). da must be zeroed when A is shared.
template <typename T>
void batched_grad_a(const BatchedDims& d, const T* gc, const T* b, T* da) {
  if (d.stride_b == 0 && (d.stride_a != 0 || d.batch == 1)) {
    gemm(false, true, d.batch * d.m, d.k, d.n, gc, d.n, b, d.n, T(0), da, d.k);
    return;
  }
  for (std::int64_t i = 0; i < d.batch; ++i) {
    const T beta = d.stride_a == 0 ? T(1) : T(0);
    gemm(false, true, d.m, d.k, d.n, gc + i * d.m * d.n, d.n, b + i * d.stride_b, d.n, beta, da + i * d.stride_a,
         d.k);
  }
}

// dB[i] = A[i]ᵀ·dC[i] (summed over the batch when B is shared). db must be zeroed when B is shared.
template <typename T>
void batched_grad_b(const BatchedDims& d, const T* a, const T* gc, T* db) {
  if (d.stride_b == 0 && (d.stride_a != 0 || d.batch == 1)) {
    // Σ_i A[i]ᵀ dC[i] is one gemm with the batch folded into the reduction dimension.
    gemm(true, false, d.k, d.n, d.batch * d.m, a, d.k, gc, d.n, T(0), db, d.n);
    return;
  }
  for (std::int64_t i = 0; i < d.batch; ++i) {
    const T beta = d.stride_b == 0 ? T(1) : T(0);
    gemm(true, false, d.k, d.n, d.m, a + i * d.stride_a, d.k, gc + i * d.m * d.n, d.n, beta, db + i * d.stride_b,
         d.n);
  }
}

std::string cannot_multiply(const char* op, const Tensor& a, const Tensor& b) {
  return std::string(op) + ": cannot multiply " + shape_str(a.shape()) + " by " + shape_str(b.shape());
}

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  detail::check_floating(op, a, "first operand");
  detail::check_floating(op, b, "second operand");
  detail::check_same_dtype(op, a, b);
}

// Gradients of a batched product w.r.t. whichever operands need them; a/b are only read when
// the other operand's gradient is wanted, so callers may pass an undefined tensor otherwise.
std::vector<Tensor> product_backward(const char* op, const BatchedDims& d, const Tensor& g, const Tensor& a,
                                     const Shape& shape_a, bool ga, const Tensor& b, const Shape& shape_b, bool gb) {
  std::vector<Tensor> grads(2);
  dispatch_floating(op, g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (ga) {
      grads[0] = d.stride_a == 0 || d.batch == 0 ? zeros(shape_a, g.dtype()) : empty(shape_a, g.dtype());
      batched_grad_a(d, g.data<T>(), b.data<T>(), grads[0].data<T>());
    }
    if (gb) {
      grads[1] = d.stride_b == 0 || d.batch == 0 ? zeros(shape_b, g.dtype()) : empty(shape_b, g.dtype());
      batched_grad_b(d, a.data<T>(), g.data<T>(), grads[1].data<T>());
    }
  });
  return grads;
}

// product_backward in recorded ops (create_graph): dA = dC·Bᵀ, dB = Aᵀ·dC with 1-D operands
// as a row / column matrix, and the batch summed back to a shared operand's shape.
std::vector<Tensor> product_backward_recorded(const Tensor& g, const Tensor& a, const Shape& sa, bool ga,
                                              const Tensor& b, const Shape& sb, bool gb) {
  const bool a_vector = sa.size() == 1, b_vector = sb.size() == 1;
  Shape gs = g.shape();  // g with the dims of 1-D operands restored: (batch?, m, n)
  if (a_vector) gs.insert(gs.end() - (b_vector ? 0 : 1), 1);
  if (b_vector) gs.push_back(1);
  const Tensor g3 = reshape(g, gs);
  std::vector<Tensor> grads(2);
  if (ga) {
    const Shape a_matrix = a_vector ? Shape{1, sa[0]} : sa;
    const Tensor bm = b_vector ? reshape(b, {sb[0], 1}) : b;
    grads[0] = reshape(detail::reduce_to_shape(matmul(g3, transpose(bm, -1, -2)), a_matrix), sa);
  }
  if (gb) {
    const Shape b_matrix = b_vector ? Shape{sb[0], 1} : sb;
    const Tensor am = a_vector ? reshape(a, {1, sa[0]}) : a;
    grads[1] = reshape(detail::reduce_to_shape(matmul(transpose(am, -1, -2), g3), b_matrix), sb);
  }
  return grads;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  const char* op = "matmul";
  check_operands(op, a, b);
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const std::int64_t ra = a.dim(), rb = b.dim();
  if (ra == 0 || rb == 0)
    throw std::invalid_argument(cannot_multiply(op, a, b) + " (both operands must be at least 1-D)");
  if (ra > 3 || rb > 3)
    throw std::invalid_argument(cannot_multiply(op, a, b) + " (only 1-D, 2-D and 3-D operands are supported)");

  // A 1-D left operand is a row vector, a 1-D right operand a column vector (dropped afterwards).
  BatchedDims d;
  d.m = ra == 1 ? 1 : sa[ra - 2];
  d.k = sa[ra - 1];
  const std::int64_t kb = rb == 1 ? sb[0] : sb[rb - 2];
  d.n = rb == 1 ? 1 : sb[rb - 1];
  if (d.k != kb) throw std::invalid_argument(cannot_multiply(op, a, b));
  const std::int64_t batch_a = ra == 3 ? sa[0] : -1;  // -1: no batch dim, broadcasts to any
  const std::int64_t batch_b = rb == 3 ? sb[0] : -1;
  if (batch_a >= 0 && batch_b >= 0 && batch_a != batch_b && batch_a != 1 && batch_b != 1)
    throw std::invalid_argument(cannot_multiply(op, a, b) + " (batch sizes " + std::to_string(batch_a) + " and " +
                                std::to_string(batch_b) + " do not broadcast)");
  const bool batched = batch_a >= 0 || batch_b >= 0;
  d.batch = !batched ? 1 : batch_a < 0 ? batch_b : batch_b < 0 ? batch_a : batch_a == 1 ? batch_b : batch_a;
  // A batch of size 1 is shared by every output entry, like a 2-D operand.
  d.stride_a = batch_a >= 0 && batch_a != 1 ? d.m * d.k : 0;
  d.stride_b = batch_b >= 0 && batch_b != 1 ? d.k * d.n : 0;

  Shape out_shape;
  if (batched) out_shape.push_back(d.batch);
  if (ra >= 2) out_shape.push_back(d.m);
  if (rb >= 2) out_shape.push_back(d.n);
  Tensor out = empty(out_shape, a.dtype());
  dispatch_floating(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    batched_forward(d, a.data<T>(), b.data<T>(), out.data<T>());
  });

  if (needs_grad({&a, &b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    record(out, op, {a, b},
           [d, ga, gb, a = gb ? detail::save_for_backward(a) : Tensor(), b = ga ? detail::save_for_backward(b) : Tensor(), sa, sb](const Tensor& g) {
             if (is_grad_enabled()) return product_backward_recorded(g, a, sa, ga, b, sb, gb);  // create_graph
             return product_backward("matmul", d, g, a, sa, ga, b, sb, gb);
           });
  }
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* op = "linear";
  detail::check_floating(op, x, "input");
  detail::check_floating(op, weight, "weight");
  detail::check_same_dtype(op, x, weight);
  if (weight.dim() != 2)
    throw std::invalid_argument(std::string(op) + ": weight must be 2-D (out_features, in_features), got " +
                                shape_str(weight.shape()));
  if (x.dim() == 0) throw std::invalid_argument(std::string(op) + ": input must be at least 1-D, got []");
  const std::int64_t out_f = weight.size(0), in_f = weight.size(1);
  if (x.size(-1) != in_f)
    throw std::invalid_argument(std::string(op) + ": input has " + std::to_string(x.size(-1)) +
                                " features but weight " + shape_str(weight.shape()) + " expects " +
                                std::to_string(in_f));
  const bool has_bias = bias.defined();
  if (has_bias) {
    detail::check_floating(op, bias, "bias");
    detail::check_same_dtype(op, x, bias);
    if (bias.dim() != 1 || bias.size(0) != out_f)
      throw std::invalid_argument(std::string(op) + ": bias " + shape_str(bias.shape()) + " does not match weight " +
                                  shape_str(weight.shape()) + " (expected [" + std::to_string(out_f) + "])");
  }
  const std::int64_t rows = in_f == 0 ? shape_numel(Shape(x.shape().begin(), x.shape().end() - 1)) : x.numel() / in_f;
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  Tensor out = empty(out_shape, x.dtype());
  dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* po = out.data<T>();
    if (has_bias) {
      const T* pb = bias.data<T>();
      for (std::int64_t r = 0; r < rows; ++r) std::memcpy(po + r * out_f, pb, sizeof(T) * out_f);
    }
    gemm(false, true, rows, out_f, in_f, x.data<T>(), in_f, weight.data<T>(), in_f, has_bias ? T(1) : T(0), po, out_f);
  });

  if (needs_grad({&x, &weight, &bias})) {
    const bool gx = x.requires_grad(), gw = weight.requires_grad(), gbias = has_bias && bias.requires_grad();
    record(out, op, {x, weight, bias},
           [gx, gw, gbias, rows, in_f, out_f, x = gw ? detail::save_for_backward(x) : Tensor(), w = gx ? detail::save_for_backward(weight) : Tensor(),
            sx = x.shape(), sw = weight.shape()](const Tensor& g) {
             std::vector<Tensor> grads(3);
             if (is_grad_enabled()) {  // create_graph: recorded, the leading dims flattened into rows
               const Tensor g2 = reshape(g, {rows, out_f});
               if (gx) grads[0] = reshape(matmul(g2, w), sx);
               if (gw) grads[1] = matmul(transpose(g2, 0, 1), reshape(x, {rows, in_f}));
               if (gbias) grads[2] = sum(g2, {0});
               return grads;
             }
             dispatch_floating("linear", g.dtype(), [&](auto tag) {
               using T = decltype(tag);
               const T* pg = g.data<T>();
               if (gx) {  // dx = dy·W
                 grads[0] = empty(sx, g.dtype());
                 gemm(false, false, rows, in_f, out_f, pg, out_f, w.data<T>(), in_f, T(0), grads[0].data<T>(), in_f);
               }
               if (gw) {  // dW = dyᵀ·x
                 grads[1] = empty(sw, g.dtype());
                 gemm(true, false, out_f, in_f, rows, pg, out_f, x.data<T>(), in_f, T(0), grads[1].data<T>(), in_f);
               }
               if (gbias) {  // db = column sums of dy, row by row (fixed order)
                 grads[2] = zeros({out_f}, g.dtype());
                 T* pb = grads[2].data<T>();
                 for (std::int64_t r = 0; r < rows; ++r)
                   for (std::int64_t j = 0; j < out_f; ++j) pb[j] += pg[r * out_f + j];
               }
             });
             return grads;
           });
  }
  return out;
}

Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b) {
  const char* op = "addmm";
  check_operands(op, a, b);
  detail::check_floating(op, bias, "bias");
  detail::check_same_dtype(op, a, bias);
  if (a.dim() != 2 || b.dim() != 2)
    throw std::invalid_argument(cannot_multiply(op, a, b) + " (addmm needs 2-D matrices)");
  BatchedDims d;
  d.m = a.size(0);
  d.k = a.size(1);
  d.n = b.size(1);
  if (b.size(0) != d.k) throw std::invalid_argument(cannot_multiply(op, a, b));
  const Shape out_shape{d.m, d.n};
  const Shape& sbias = bias.shape();
  bool broadcasts = sbias.size() <= 2;
  for (std::size_t i = 0; broadcasts && i < sbias.size(); ++i) {
    const std::int64_t want = out_shape[2 - sbias.size() + i];
    broadcasts = sbias[i] == want || sbias[i] == 1;
  }
  if (!broadcasts)
    throw std::invalid_argument(std::string(op) + ": bias " + shape_str(sbias) + " does not broadcast to " +
                                shape_str(out_shape));
  Tensor out = empty(out_shape, a.dtype());
  dispatch_floating(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pb = bias.data<T>();
    T* po = out.data<T>();
    // Right-aligned broadcast of a bias of rank ≤ 2: a size-1 dim has stride 0.
    const std::int64_t bias_cols = sbias.empty() ? 1 : sbias.back();
    const std::int64_t bias_rows = sbias.size() == 2 ? sbias[0] : 1;
    const std::int64_t col_stride = bias_cols == 1 ? 0 : 1;
    const std::int64_t row_stride = bias_rows == 1 ? 0 : bias_cols;
    for (std::int64_t i = 0; i < d.m; ++i)
      for (std::int64_t j = 0; j < d.n; ++j) po[i * d.n + j] = pb[i * row_stride + j * col_stride];
    gemm(false, false, d.m, d.n, d.k, a.data<T>(), d.k, b.data<T>(), d.n, T(1), po, d.n);
  });

  if (needs_grad({&bias, &a, &b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad(), gbias = bias.requires_grad();
    record(out, op, {bias, a, b},
           [d, ga, gb, gbias, sbias, a = gb ? detail::save_for_backward(a) : Tensor(), b = ga ? detail::save_for_backward(b) : Tensor(), sa = a.shape(),
            sb = b.shape()](const Tensor& g) {
             std::vector<Tensor> ab = is_grad_enabled() ? product_backward_recorded(g, a, sa, ga, b, sb, gb)
                                                        : product_backward("addmm", d, g, a, sa, ga, b, sb, gb);
             return std::vector<Tensor>{gbias ? detail::reduce_to_shape(g, sbias) : Tensor(), ab[0], ab[1]};
           });
  }
  return out;
}

}  // namespace xg
