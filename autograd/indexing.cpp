#include "autograd/indexing.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_in_place.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "autograd/ops_where.hpp"

namespace xg {
using indexing::TensorIndex;
using Kind = indexing::TensorIndex::Kind;

indexing::TensorIndex::TensorIndex(const char* text) : kind_(Kind::Ellipsis) {
  if (!text || std::string(text) != "...")
    throw std::invalid_argument(std::string("index: the only string index is \"...\", got \"") + (text ? text : "") + "\"");
}

namespace {

std::string index_list_str(const std::vector<TensorIndex>& indices) {
  std::string s = "{";
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const TensorIndex& ix = indices[i];
    if (i) s += ", ";
    switch (ix.kind()) {
      case Kind::None: s += "None"; break;
      case Kind::Ellipsis: s += "..."; break;
      case Kind::Integer: s += std::to_string(ix.integer()); break;
      case Kind::Slice: s += "Slice"; break;
      case Kind::Tensor: s += std::string(dtype_name(ix.tensor().dtype())) + " " + shape_str(ix.tensor().shape()); break;
    }
  }
  return s + "}";
}

// The int64 index tensors a bool mask stands for (one per mask dim, torch.nonzero's columns).
std::vector<Tensor> mask_to_indices(const Tensor& mask) {
  const bool* m = mask.data<bool>();
  const std::int64_t k = mask.dim();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < mask.numel(); ++i) count += m[i] ? 1 : 0;
  std::vector<Tensor> out;
  for (std::int64_t j = 0; j < k; ++j) out.push_back(empty({count}, kInt64));
  const auto strides = contiguous_strides(mask.shape());
  std::int64_t row = 0;
  for (std::int64_t i = 0; i < mask.numel(); ++i) {
    if (!m[i]) continue;
    std::int64_t rest = i;
    for (std::int64_t j = 0; j < k; ++j) {
      out[j].data<std::int64_t>()[row] = rest / strides[j];
      rest %= strides[j];
    }
    ++row;
  }
  return out;
}

// Advanced indexing of an int64 `positions` tensor (no gradient involved): index tensors at
// `dims` (ascending) pick elements; PyTorch's placement of the broadcast index shape: in place
// of the indexed dims when they are adjacent, else in front.
Tensor gather_positions(const Tensor& positions, const std::vector<std::int64_t>& dims, std::vector<Tensor> idx) {
  const char* op = "index";
  Shape b = idx[0].shape();
  for (const Tensor& t : idx) b = broadcast_shapes(op, b, t.shape());
  for (Tensor& t : idx) t = t.shape() == b ? t : expand(t, b);
  const Shape& shape = positions.shape();
  bool adjacent = true;
  for (std::size_t j = 1; j < dims.size(); ++j) adjacent = adjacent && dims[j] == dims[j - 1] + 1;
  // Indexed dims first, the others after in order.
  std::vector<std::int64_t> order(dims.begin(), dims.end());
  Shape rest;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d)
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) {
      order.push_back(d);
      rest.push_back(shape[d]);
    }
  std::int64_t rows = 1;
  for (std::int64_t d : dims) rows *= shape[d];
  const Tensor moved = permute(positions, order).reshape({rows, -1});
  // Linear row index from the per-dim indices, each checked against its dim.
  const std::int64_t n = shape_numel(b);
  Tensor linear = zeros({n}, kInt64);
  std::int64_t* l = linear.data<std::int64_t>();
  for (std::size_t j = 0; j < dims.size(); ++j) {
    const std::int64_t size = shape[dims[j]];
    const std::int64_t* p = idx[j].data<std::int64_t>();
    for (std::int64_t k = 0; k < n; ++k) {
      std::int64_t v = p[k];
      if (v < -size || v >= size)
        throw std::invalid_argument("index: index " + std::to_string(v) + " is out of bounds for dimension " +
                                    std::to_string(dims[j]) + " with size " + std::to_string(size));
      if (v < 0) v += size;
      l[k] = l[k] * size + v;
    }
  }
  Shape out_shape = b;
  out_shape.insert(out_shape.end(), rest.begin(), rest.end());
  Tensor out = index_select(moved, 0, linear).reshape(out_shape);
  if (!adjacent || dims[0] == 0) return out;
  // Adjacent indexed dims: the broadcast dims go back where the indexed dims were.
  const auto nb = static_cast<std::int64_t>(b.size());
  std::vector<std::int64_t> back;
  for (std::int64_t d = 0; d < dims[0]; ++d) back.push_back(nb + d);
  for (std::int64_t d = 0; d < nb; ++d) back.push_back(d);
  for (std::int64_t d = nb + dims[0]; d < static_cast<std::int64_t>(out_shape.size()); ++d) back.push_back(d);
  return permute(out, back);
}

// Applies `indices` to t: integers, slices, None and Ellipsis by select/slice/unsqueeze
// (differentiable), then index tensors and masks through the flat positions they pick (take).
Tensor apply_index(const char* op, const Tensor& t, const std::vector<TensorIndex>& indices) {
  detail::check_defined(op, t);
  std::int64_t consumed = 0, ellipses = 0;
  for (const TensorIndex& ix : indices) {
    if (ix.kind() == Kind::Integer || ix.kind() == Kind::Slice) ++consumed;
    if (ix.kind() == Kind::Ellipsis) ++ellipses;
    if (ix.kind() == Kind::Tensor) {
      detail::check_defined(op, ix.tensor(), "index tensor");
      const Dtype d = ix.tensor().dtype();
      if (d != kInt64 && d != kBool)
        throw std::invalid_argument(std::string(op) + ": tensors used as indices must be int64 or bool, got " +
                                    dtype_name(d) + " " + shape_str(ix.tensor().shape()));
      consumed += d == kBool ? ix.tensor().dim() : 1;
    }
  }
  if (ellipses > 1) throw std::invalid_argument(std::string(op) + ": an index can only have a single ellipsis ('...')");
  if (consumed > t.dim())
    throw std::invalid_argument(std::string(op) + ": too many indices for tensor of dimension " +
                                std::to_string(t.dim()) + " (got " + index_list_str(indices) + " for shape " +
                                shape_str(t.shape()) + ")");
  Tensor r = t;
  std::int64_t d = 0;
  std::vector<std::int64_t> tensor_dims;
  std::vector<Tensor> tensor_indices;
  for (const TensorIndex& ix : indices) {
    switch (ix.kind()) {
      case Kind::Integer: r = select(r, d, ix.integer()); break;
      case Kind::Slice: {
        const auto& s = ix.slice();
        const std::int64_t step = s.step().value_or(1);
        if (step <= 0) throw std::invalid_argument(std::string(op) + ": slice step must be positive, got " + std::to_string(step));
        r = slice(r, d, s.start().value_or(0), s.stop().value_or(std::numeric_limits<std::int64_t>::max()), step);
        ++d;
        break;
      }
      case Kind::None: r = unsqueeze(r, d); ++d; break;
      case Kind::Ellipsis: d += t.dim() - consumed; break;
      case Kind::Tensor: {
        const Tensor& it = ix.tensor();
        if (it.dtype() == kBool) {
          for (std::int64_t j = 0; j < it.dim(); ++j)
            if (it.shape()[j] != r.shape()[d + j])
              throw std::invalid_argument(std::string(op) + ": the shape of the mask " + shape_str(it.shape()) +
                                          " at index " + std::to_string(j) + " does not match the shape of the indexed tensor " +
                                          shape_str(r.shape()) + " at dim " + std::to_string(d + j));
          for (Tensor& column : mask_to_indices(it)) {
            tensor_dims.push_back(d++);
            tensor_indices.push_back(column);
          }
        } else {
          tensor_dims.push_back(d++);
          tensor_indices.push_back(it.detach());
        }
        break;
      }
    }
  }
  if (tensor_indices.empty()) return r;
  Tensor positions = arange(0, static_cast<double>(r.numel()), 1, kInt64).reshape(r.shape());
  return take(r, gather_positions(positions, tensor_dims, std::move(tensor_indices)));
}

// out[k] = x.flat[p[k]] for checked, wrapped positions.
Tensor wrap_positions(const char* op, const Tensor& x, const Tensor& index) {
  detail::check_index_tensor(op, index);
  const std::int64_t n = x.numel();
  Tensor p = empty(index.shape(), kInt64);
  const std::int64_t* in = index.data<std::int64_t>();
  std::int64_t* out = p.data<std::int64_t>();
  for (std::int64_t k = 0; k < index.numel(); ++k) {
    std::int64_t v = in[k];
    if (v < -n || v >= n)
      throw std::invalid_argument(std::string(op) + ": out of range: tried to access index " + std::to_string(v) +
                                  " on a tensor of " + std::to_string(n) + " elements (shape " + shape_str(x.shape()) + ")");
    out[k] = v < 0 ? v + n : v;
  }
  return p;
}

// Adds g[k] into zeros(shape).flat[p[k]]: take's backward (linear; differentiable by take).
Tensor put_add(const Tensor& g, const Tensor& p, const Shape& shape) {
  Tensor out = zeros(shape, g.dtype());
  const std::int64_t* pos = p.data<std::int64_t>();
  detail::dispatch_floating("take_backward", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = g.data<T>();
    T* dst = out.data<T>();
    for (std::int64_t k = 0; k < p.numel(); ++k) dst[pos[k]] += src[k];  // in index order: deterministic
  });
  if (needs_grad({&g})) {
    record(out, "take_backward", {g}, [p](const Tensor& gg) { return std::vector<Tensor>{take(gg, p)}; });
  }
  return out;
}

}  // namespace

Tensor take(const Tensor& x, const Tensor& index) {
  detail::check_defined("take", x);
  const Tensor p = wrap_positions("take", x, index);
  Tensor out = empty(index.shape(), x.dtype());
  const std::int64_t* pos = p.data<std::int64_t>();
  detail::dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(x.raw_data());
    T* dst = static_cast<T*>(out.raw_data());
    for (std::int64_t k = 0; k < p.numel(); ++k) dst[k] = src[pos[k]];
  });
  if (needs_grad({&x})) {
    record(out, "take", {x}, [p, shape = x.shape()](const Tensor& g) { return std::vector<Tensor>{put_add(g, p, shape)}; });
  }
  return out;
}

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const { return apply_index("index", *this, indices); }
Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(std::vector<TensorIndex>(indices));
}

Tensor Tensor::operator[](std::int64_t i) const { return xg::select(*this, 0, i); }

const Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& value) const {
  const char* op = "index_put_";
  const bool rec = detail::begin_in_place(op, *this, {&value});
  detail::check_defined(op, value, "value");
  // The flat positions the index picks, found by indexing a tensor of positions.
  const Tensor all = arange(0, static_cast<double>(numel()), 1, kInt64).reshape(shape());
  const Tensor p = apply_index(op, all, indices);
  if (broadcast_shapes(op, value.shape(), p.shape()) != p.shape())
    throw std::invalid_argument(std::string(op) + ": shape mismatch: value tensor of shape " + shape_str(value.shape()) +
                                " cannot be broadcast to indexing result of shape " + shape_str(p.shape()));
  Tensor v = value.dtype() == dtype() ? value : value.to(dtype());
  if (v.shape() != p.shape()) v = expand(v, p.shape());
  Tensor out = detach().clone();
  const std::int64_t* pos = p.data<std::int64_t>();
  detail::dispatch_all(dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(v.raw_data());
    T* dst = static_cast<T*>(out.raw_data());
    for (std::int64_t k = 0; k < p.numel(); ++k) dst[pos[k]] = src[k];  // repeated positions: the last write wins
  });
  if (needs_grad({this, &v})) {
    Tensor written = zeros(shape(), kBool);
    for (std::int64_t k = 0; k < p.numel(); ++k) written.data<bool>()[pos[k]] = true;
    record(out, op, {*this, v}, [written, p](const Tensor& g) {
      return std::vector<Tensor>{xg::masked_fill(g, written, 0.0), take(g, p)};
    });
  }
  detail::commit_in_place(op, *this, out, rec);
  return *this;
}
const Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& value) const {
  return index_put_(std::vector<TensorIndex>(indices), value);
}
const Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, double value) const {
  detail::check_defined("index_put_", *this);
  return index_put_(indices, full({}, value, dtype()));
}
const Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, double value) const {
  return index_put_(std::vector<TensorIndex>(indices), value);
}

}  // namespace xg
