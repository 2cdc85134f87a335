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

// A batched product C[i] = A[i]·B[i] with C (batch..., m, n) contiguous. The operands' batch
// dims broadcast against each other (right-aligned); a broadcast dim has stride 0, so a 2-D
// operand, or one whose batch dims are all 1, is one matrix shared by every batch entry.
struct BatchedDims {
  std::int64_t batch = 1, m = 1, k = 1, n = 1;
  std::int64_t matrices_a = 1, matrices_b = 1;    // distinct matrices each operand holds
  Shape batch_shape;                               // the broadcast batch dims (empty: one matrix)
  std::vector<std::int64_t> strides_a, strides_b;  // per batch dim, in elements; 0 where broadcast

  // B shared and A not broadcast: A's matrices are in output order, so the batch folds into
  // the rows of one gemm ((batch·m)×k times k×n), as does the reduction of dB.
  bool folds() const { return matrices_b == 1 && matrices_a == batch; }
  bool a_reused() const { return matrices_a != batch; }
  bool b_reused() const { return matrices_b != batch; }
};

// Calls f(i, offset of A[i], offset of B[i]) for every output batch entry i in order, walking the
// broadcast batch index like an odometer.
template <typename F>
void for_each_batch(const BatchedDims& d, F&& f) {
  std::vector<std::int64_t> index(d.batch_shape.size(), 0);
  std::int64_t offset_a = 0, offset_b = 0;
  for (std::int64_t i = 0; i < d.batch; ++i) {
    f(i, offset_a, offset_b);
    for (std::size_t dim = index.size(); dim-- > 0;) {
      offset_a += d.strides_a[dim];
      offset_b += d.strides_b[dim];
      if (++index[dim] < d.batch_shape[dim]) break;
      offset_a -= d.strides_a[dim] * d.batch_shape[dim];
      offset_b -= d.strides_b[dim] * d.batch_shape[dim];
      index[dim] = 0;
    }
  }
}

template <typename T>
void batched_forward(const BatchedDims& d, const T* a, const T* b, T* c) {
  if (d.folds()) {
    gemm(false, false, d.batch * d.m, d.n, d.k, a, d.k, b, d.n, T(0), c, d.n);
    return;
  }
  for_each_batch(d, [&](std::int64_t i, std::int64_t oa, std::int64_t ob) {
    gemm(false, false, d.m, d.n, d.k, a + oa, d.k, b + ob, d.n, T(0), c + i * d.m * d.n, d.n);
  });
}

// dA[i] = dC[i]·B[i]ᵀ, summed (in batch order) into a matrix of A shared by several entries.
// da must be zeroed when A is reused.
template <typename T>
void batched_grad_a(const BatchedDims& d, const T* gc, const T* b, T* da) {
  if (d.folds()) {
    gemm(false, true, d.batch * d.m, d.k, d.n, gc, d.n, b, d.n, T(0), da, d.k);
    return;
  }
  const T beta = d.a_reused() ? T(1) : T(0);
  for_each_batch(d, [&](std::int64_t i, std::int64_t oa, std::int64_t ob) {
    gemm(false, true, d.m, d.k, d.n, gc + i * d.m * d.n, d.n, b + ob, d.n, beta, da + oa, d.k);
  });
}

// dB[i] = A[i]ᵀ·dC[i], summed (in batch order) into a matrix of B shared by several entries.
// db must be zeroed when B is reused.
template <typename T>
void batched_grad_b(const BatchedDims& d, const T* a, const T* gc, T* db) {
  if (d.folds()) {
    // Σ_i A[i]ᵀ dC[i] is one gemm with the batch folded into the reduction dimension.
    gemm(true, false, d.k, d.n, d.batch * d.m, a, d.k, gc, d.n, T(0), db, d.n);
    return;
  }
  const T beta = d.b_reused() ? T(1) : T(0);
  for_each_batch(d, [&](std::int64_t i, std::int64_t oa, std::int64_t ob) {
    gemm(true, false, d.k, d.n, d.m, a + oa, d.k, gc + i * d.m * d.n, d.n, beta, db + ob, d.n);
  });
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
      grads[0] = d.a_reused() ? zeros(shape_a, g.dtype()) : empty(shape_a, g.dtype());
      batched_grad_a(d, g.data<T>(), b.data<T>(), grads[0].data<T>());
    }
    if (gb) {
      grads[1] = d.b_reused() ? zeros(shape_b, g.dtype()) : empty(shape_b, g.dtype());
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

// The product under matmul's rules, recorded as `op`: a 1-D left operand is a row vector, a 1-D
// right operand a column vector (both dropped from the result), and the dims before the last two
// are batch dims that broadcast. Callers check their own op's ranks first.
Tensor product(const char* op, const Tensor& a, const Tensor& b) {
  check_operands(op, a, b);
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const std::size_t ra = sa.size(), rb = sb.size();
  if (ra == 0 || rb == 0)
    throw std::invalid_argument(cannot_multiply(op, a, b) + " (both operands must be at least 1-D)");

  BatchedDims d;
  d.m = ra == 1 ? 1 : sa[ra - 2];
  d.k = sa[ra - 1];
  const std::int64_t kb = rb == 1 ? sb[0] : sb[rb - 2];
  d.n = rb == 1 ? 1 : sb[rb - 1];
  if (d.k != kb) throw std::invalid_argument(cannot_multiply(op, a, b));
  const Shape batch_a(sa.begin(), sa.end() - std::min<std::size_t>(ra, 2));
  const Shape batch_b(sb.begin(), sb.end() - std::min<std::size_t>(rb, 2));
  const std::size_t rank = std::max(batch_a.size(), batch_b.size());
  d.batch_shape.assign(rank, 1);
  d.strides_a.assign(rank, 0);
  d.strides_b.assign(rank, 0);
  // Right-aligned broadcast; a dim's stride is the size of everything after it in its operand,
  // and 0 where that operand lacks the dim or has size 1 there.
  std::int64_t stride_a = d.m * d.k, stride_b = d.k * d.n;
  for (std::size_t i = rank; i-- > 0;) {
    const std::size_t from_end = rank - 1 - i;
    const std::int64_t size_a = from_end < batch_a.size() ? batch_a[batch_a.size() - 1 - from_end] : 1;
    const std::int64_t size_b = from_end < batch_b.size() ? batch_b[batch_b.size() - 1 - from_end] : 1;
    if (size_a != size_b && size_a != 1 && size_b != 1)
      throw std::invalid_argument(cannot_multiply(op, a, b) + " (batch dims " + shape_str(batch_a) + " and " +
                                  shape_str(batch_b) + " do not broadcast)");
    d.batch_shape[i] = size_a == 1 ? size_b : size_a;
    d.strides_a[i] = size_a == 1 ? 0 : stride_a;
    d.strides_b[i] = size_b == 1 ? 0 : stride_b;
    stride_a *= size_a;
    stride_b *= size_b;
  }
  d.batch = shape_numel(d.batch_shape);
  d.matrices_a = shape_numel(batch_a);
  d.matrices_b = shape_numel(batch_b);

  Shape out_shape = d.batch_shape;
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
           [op, d, ga, gb, a = gb ? detail::save_for_backward(a) : Tensor(), b = ga ? detail::save_for_backward(b) : Tensor(), sa, sb](const Tensor& g) {
             if (is_grad_enabled()) return product_backward_recorded(g, a, sa, ga, b, sb, gb);  // create_graph
             return product_backward(op, d, g, a, sa, ga, b, sb, gb);
           });
  }
  return out;
}

// bmm's and baddbmm's operands: two 3-D tensors with equal batch sizes (no broadcasting).
void check_bmm_operands(const char* op, const Tensor& a, const Tensor& b) {
  check_operands(op, a, b);
  if (a.dim() != 3 || b.dim() != 3)
    throw std::invalid_argument(cannot_multiply(op, a, b) + " (" + op + " needs two 3-D tensors)");
  if (a.size(0) != b.size(0))
    throw std::invalid_argument(cannot_multiply(op, a, b) + " (batch sizes " + std::to_string(a.size(0)) + " and " +
                                std::to_string(b.size(0)) + " differ; " + op + " does not broadcast)");
  if (a.size(2) != b.size(1)) throw std::invalid_argument(cannot_multiply(op, a, b));
}

// "dot: 1D tensors expected, got [2, 3] and [3]" (PyTorch's wording).
void check_vectors(const char* op, const Tensor& a, const Tensor& b) {
  detail::check_defined(op, a, "first operand");
  detail::check_defined(op, b, "second operand");
  if (a.dim() != 1 || b.dim() != 1)
    throw std::invalid_argument(std::string(op) + ": 1D tensors expected, got " + shape_str(a.shape()) + " and " +
                                shape_str(b.shape()));
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) { return product("matmul", a, b); }

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_bmm_operands("bmm", a, b);
  return product("bmm", a, b);
}

Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, double beta, double alpha) {
  const char* op = "baddbmm";
  check_bmm_operands(op, batch1, batch2);
  detail::check_floating(op, input, "input");
  detail::check_same_dtype(op, input, batch1);
  const Shape out_shape{batch1.size(0), batch1.size(1), batch2.size(2)};
  const Shape& si = input.shape();
  bool broadcasts = si.size() <= 3;
  for (std::size_t i = 0; broadcasts && i < si.size(); ++i)
    broadcasts = si[i] == 1 || si[i] == out_shape[3 - si.size() + i];
  if (!broadcasts)
    throw std::invalid_argument(std::string(op) + ": input " + shape_str(si) + " does not broadcast to " +
                                shape_str(out_shape));
  // Composed of recorded ops (one batched gemm, scalings, one broadcasting add): its backward is
  // theirs, so it is differentiable to any order. Scalings by 1 are skipped, not recorded.
  Tensor out = product(op, batch1, batch2);
  if (alpha != 1) out = mul(out, alpha);
  // β = 0 ignores input entirely, as PyTorch documents: its NaN/inf do not reach the result.
  if (beta == 0) return out;
  return add(beta == 1 ? input : mul(input, beta), out);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_vectors("outer", a, b);
  // out[i, j] = a[i]·b[j] is a broadcasting product of a column and a row: no sum, so no gemm;
  // mul also gives outer PyTorch's dtype promotion (float32 ⊗ float64 → float64).
  return mul(reshape(a, {a.size(0), 1}), reshape(b, {1, b.size(0)}));
}

Tensor ger(const Tensor& a, const Tensor& b) { return outer(a, b); }

Tensor dot(const Tensor& a, const Tensor& b) {
  check_vectors("dot", a, b);
  return product("dot", a, b);
}

Tensor mv(const Tensor& matrix, const Tensor& vector) {
  const char* op = "mv";
  detail::check_defined(op, matrix, "matrix");
  detail::check_defined(op, vector, "vector");
  if (matrix.dim() != 2 || vector.dim() != 1)
    throw std::invalid_argument(std::string(op) + ": expected a 2-D matrix and a 1-D vector, got " +
                                shape_str(matrix.shape()) + " and " + shape_str(vector.shape()));
  return product(op, matrix, vector);
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
