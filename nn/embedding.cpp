#include "nn/embedding.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/function.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_nn.hpp"
#include "nn/detail/repr.hpp"
#include "nn/init.hpp"

namespace xg {

namespace {

// ‖row‖_p as torch.norm computes it for a p-norm: max |x| for p = inf, min |x| for p = −inf,
// the count of non-zeros for p = 0, else (Σ |x|^p)^(1/p).
template <typename T>
double row_norm(const T* row, std::int64_t dim, double p) {
  double acc = std::isinf(p) && p < 0 ? std::numeric_limits<double>::infinity() : 0.0;
  for (std::int64_t k = 0; k < dim; ++k) {
    const double a = std::abs(static_cast<double>(row[k]));
    if (std::isinf(p)) acc = p > 0 ? std::max(acc, a) : std::min(acc, a);
    else if (p == 0) acc += a != 0;
    else if (p == 1) acc += a;
    else if (p == 2) acc += a * a;
    else acc += std::pow(a, p);
  }
  if (std::isinf(p) || p == 0 || p == 1) return acc;
  return p == 2 ? std::sqrt(acc) : std::pow(acc, 1 / p);
}

}  // namespace

const Tensor& embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  const char* op = "embedding_renorm_";
  detail::check_index_tensor(op, indices, "indices");
  detail::check_floating(op, weight, "weight");
  if (weight.dim() != 2)
    throw std::invalid_argument(std::string(op) + ": weight must be 2-D, got " + shape_str(weight.shape()));
  const std::int64_t num = weight.size(0), dim = weight.size(1);
  std::vector<std::int64_t> rows(indices.data<std::int64_t>(), indices.data<std::int64_t>() + indices.numel());
  for (std::int64_t i : rows)
    if (i < 0 || i >= num)
      throw std::invalid_argument(std::string(op) + ": index " + std::to_string(i) + " is out of range for weight " +
                                  shape_str(weight.shape()));
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  bool changed = false;
  Tensor storage = weight;  // a handle to the same storage, to write through
  detail::dispatch_floating(op, weight.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* w = storage.data<T>();
    for (std::int64_t i : rows) {
      T* row = w + i * dim;
      const double norm = row_norm(row, dim, norm_type);
      if (!(norm > max_norm)) continue;
      const T scale = static_cast<T>(max_norm / (norm + 1e-7));  // PyTorch's scale, applied in T
      for (std::int64_t k = 0; k < dim; ++k) row[k] *= scale;
      changed = true;
    }
  });
  if (changed) detail::bump_version(weight);
  return weight;
}

}  // namespace xg

namespace xg::nn {

namespace {

// Identity in value; multiplies the gradient reaching each looked-up row by 1/count of its index,
// so the embedding scatter sums g/count per row: PyTorch's scale_grad_by_freq. Its backward is a
// recorded mul, so double backward works.
struct ScaleGradByFrequency : autograd::Function<ScaleGradByFrequency> {
  static Tensor forward(autograd::AutogradContext* ctx, const Tensor& rows, const Tensor& factor) {
    ctx->save_for_backward({factor});
    return rows.clone();
  }
  static autograd::variable_list backward(autograd::AutogradContext* ctx, autograd::variable_list grads) {
    return {mul(grads.at(0), ctx->get_saved_variables().at(0)), Tensor()};
  }
};

// 1/count of each position's index, shaped indices.shape + [1] (broadcast over embedding_dim).
Tensor inverse_frequency(const Tensor& indices, std::int64_t num, Dtype dtype) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(num), 0);
  const std::int64_t* ix = indices.data<std::int64_t>();
  for (std::int64_t i = 0; i < indices.numel(); ++i) ++counts[static_cast<std::size_t>(ix[i])];
  Shape shape = indices.shape();
  shape.push_back(1);
  Tensor factor = empty(shape, kFloat64);
  double* f = factor.data<double>();
  for (std::int64_t i = 0; i < indices.numel(); ++i)
    f[i] = 1.0 / static_cast<double>(counts[static_cast<std::size_t>(ix[i])]);
  return factor.to(dtype);
}

}  // namespace

Embedding::Embedding(const EmbeddingOptions& o) : Module("Embedding"), options(o) {
  const std::int64_t num = o.num_embeddings(), dim = o.embedding_dim();
  const std::optional<std::int64_t> padding = o.padding_idx();
  if (num <= 0 || dim <= 0)
    throw std::invalid_argument("Embedding: num_embeddings and embedding_dim must be positive, got " +
                                std::to_string(num) + " and " + std::to_string(dim));
  if (padding) {
    if (*padding < -num || *padding >= num)
      throw std::invalid_argument("Embedding: padding_idx " + std::to_string(*padding) +
                                  " must be within num_embeddings (" + std::to_string(num) + ")");
    padding_idx = *padding < 0 ? *padding + num : *padding;
  }
  if (o.sparse())
    throw std::invalid_argument(
        "Embedding: sparse=true is not supported (xgrad has no sparse tensors; the dense gradient is the default)");
  if (o._weight().defined()) {
    if (o._weight().shape() != Shape{num, dim})
      throw std::invalid_argument("Embedding: _weight " + shape_str(o._weight().shape()) +
                                  " does not match num_embeddings and embedding_dim [" + std::to_string(num) + ", " +
                                  std::to_string(dim) + "]");
    xg::detail::check_floating("Embedding", o._weight(), "_weight");
    weight = register_parameter("weight", o._weight().detach());  // shares the storage, as Parameter(_weight)
    return;
  }
  weight = register_parameter("weight", empty({num, dim}));
  init::normal_(weight);
  if (padding_idx >= 0) {
    NoGradGuard no_grad;  // a parameter is written like torch.nn.Embedding does: under no_grad
    for (std::int64_t j = 0; j < dim; ++j) weight.set({padding_idx, j}, 0.0);
  }
}

std::shared_ptr<Embedding> Embedding::from_pretrained(const Tensor& embeddings,
                                                      const EmbeddingFromPretrainedOptions& o) {
  xg::detail::check_defined("Embedding::from_pretrained", embeddings, "embeddings");
  if (embeddings.dim() != 2)
    throw std::invalid_argument(
        "Embedding::from_pretrained: embeddings must be 2-D (num_embeddings, embedding_dim), got " +
                                shape_str(embeddings.shape()));
  auto module = std::make_shared<Embedding>(EmbeddingOptions(embeddings.size(0), embeddings.size(1))
                                                .padding_idx(o.padding_idx())
                                                .max_norm(o.max_norm())
                                                .norm_type(o.norm_type())
                                                .scale_grad_by_freq(o.scale_grad_by_freq())
                                                .sparse(o.sparse())
                                                ._weight(embeddings));
  module->weight.requires_grad_(!o.freeze());
  return module;
}

Tensor Embedding::forward(const Tensor& indices) {
  if (options.max_norm()) embedding_renorm_(weight, indices, *options.max_norm(), options.norm_type());
  Tensor out = embedding(indices, weight, padding_idx);
  if (options.scale_grad_by_freq() && out.requires_grad())
    out = ScaleGradByFrequency::apply(out, inverse_frequency(indices, options.num_embeddings(), out.dtype()));
  return out;
}

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(options.num_embeddings()) + ", " + std::to_string(options.embedding_dim());
  if (padding_idx >= 0) s += ", padding_idx=" + std::to_string(padding_idx);
  if (options.max_norm()) s += ", max_norm=" + detail::python_float(*options.max_norm());
  if (options.norm_type() != 2.0) s += ", norm_type=" + detail::python_float(options.norm_type());
  if (options.scale_grad_by_freq()) s += ", scale_grad_by_freq=True";
  return s;
}

}  // namespace xg::nn
