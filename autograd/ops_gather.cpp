#include "autograd/ops_gather.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"

namespace xg {
using detail::save_for_backward;

namespace {

// The checks shared by gather/scatter: same rank, index no larger than `base` along the other
// dims (and than `src` everywhere, for scatters), dim in range. Returns the normalised dim.
std::int64_t check_index_op(const char* op, const Tensor& base, std::int64_t dim, const Tensor& index,
                            const Tensor* src) {
  detail::check_defined(op, base, "self");
  detail::check_index_tensor(op, index);
  const std::int64_t rank = base.dim();
  if (index.dim() != rank && !(rank == 0 && index.dim() <= 1))
    throw std::invalid_argument(std::string(op) + ": index " + shape_str(index.shape()) + " must have the rank of self " +
                                shape_str(base.shape()));
  const std::int64_t d = normalize_dim(op, dim, rank == 0 ? 1 : rank);
  for (std::int64_t k = 0; k < index.dim() && rank > 0; ++k) {
    if (k != d && index.size(k) > base.size(k))
      throw std::invalid_argument(std::string(op) + ": index " + shape_str(index.shape()) + " is larger than self " +
                                  shape_str(base.shape()) + " at dim " + std::to_string(k));
    if (src && index.size(k) > src->size(k))
      throw std::invalid_argument(std::string(op) + ": index " + shape_str(index.shape()) + " is larger than src " +
                                  shape_str(src->shape()) + " at dim " + std::to_string(k));
  }
  if (src) {
    detail::check_defined(op, *src, "src");
    if (src->dim() != index.dim())
      throw std::invalid_argument(std::string(op) + ": src " + shape_str(src->shape()) + " must have the rank of index " +
                                  shape_str(index.shape()));
    if (src->dtype() != base.dtype())
      throw std::invalid_argument(std::string(op) + ": src is " + dtype_name(src->dtype()) + " but self is " +
                                  dtype_name(base.dtype()));
  }
  return rank == 0 ? 0 : d;
}

// Visits every element of `index` in row-major order: fn(index_position, base_offset,
// src_offset), where base_offset is the element of the base tensor it addresses (its own
// coordinates with dim replaced by the index value) and src_offset the same coordinates in src.
template <typename Fn>
void for_each_indexed(const char* op, const Tensor& base, std::int64_t dim, const Tensor& index, const Shape& src_shape,
                      Fn&& fn) {
  const Shape& is = index.shape();
  const std::int64_t n = index.numel();
  if (n == 0) return;
  const Shape& bs = base.shape();
  const auto bstride = contiguous_strides(bs);
  const auto sstride = contiguous_strides(src_shape);
  const std::int64_t size = bs.empty() ? 1 : bs[static_cast<std::size_t>(dim)];
  const std::int64_t* pi = index.data<std::int64_t>();
  std::vector<std::int64_t> coord(is.size(), 0);
  for (std::int64_t e = 0; e < n; ++e) {
    const std::int64_t v = pi[e];
    if (v < 0 || v >= size)
      throw std::invalid_argument(std::string(op) + ": index " + std::to_string(v) + " is out of bounds for dim " +
                                  std::to_string(dim) + " with size " + std::to_string(size));
    std::int64_t bo = 0, so = 0;
    for (std::size_t k = 0; k < coord.size(); ++k) {
      bo += (static_cast<std::int64_t>(k) == dim ? v : coord[k]) * (bs.empty() ? 0 : bstride[k]);
      so += coord[k] * (src_shape.empty() ? 0 : sstride[k]);
    }
    fn(e, bo, so);
    for (std::size_t k = coord.size(); k-- > 0;)
      if (++coord[k] < is[k]) break;
      else coord[k] = 0;
  }
}

template <typename Body>
void dispatch_any(const char* op, Dtype dtype, Body&& body) {
  switch (dtype) {
    case kFloat32: body(float{}); return;
    case kFloat64: body(double{}); return;
    case kInt64: body(std::int64_t{}); return;
    default: throw std::invalid_argument(std::string(op) + ": unsupported dtype " + dtype_name(dtype));
  }
}

// scatter / scatter_add forward: out = self.clone(), then writes (or adds) src at the indices.
Tensor scatter_kernel(const char* op, const Tensor& self, std::int64_t d, const Tensor& index, const Tensor& src,
                      bool accumulate) {
  Tensor out = self.detach().clone();
  dispatch_any(op, self.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* po = out.data<T>();
    const T* ps = src.data<T>();
    for_each_indexed(op, self, d, index, src.shape(), [&](std::int64_t, std::int64_t bo, std::int64_t so) {
      if (accumulate) po[bo] += ps[so];
      else po[bo] = ps[so];
    });
  });
  return out;
}

}  // namespace

Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index) {
  const std::int64_t d = check_index_op("gather", x, dim, index, nullptr);
  Tensor out = empty(index.shape(), x.dtype());
  dispatch_any("gather", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for_each_indexed("gather", x, d, index, index.shape(), [&](std::int64_t e, std::int64_t bo, std::int64_t) { po[e] = px[bo]; });
  });
  if (needs_grad({&x})) {
    record(out, "gather", {x}, [shape = x.shape(), d, index = save_for_backward(index)](const Tensor& g) {
      return std::vector<Tensor>{scatter_add(zeros(shape, g.dtype()), d, index, g)};
    });
  }
  return out;
}

Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t d = check_index_op("scatter_add", self, dim, index, &src);
  Tensor out = scatter_kernel("scatter_add", self, d, index, src, true);
  if (needs_grad({&self, &src})) {
    const bool gsrc = src.requires_grad();
    record(out, "scatter_add", {self, src}, [d, index = save_for_backward(index), gsrc](const Tensor& g) {
      return std::vector<Tensor>{g, gsrc ? gather(g, d, index) : Tensor()};
    });
  }
  return out;
}

Tensor scatter(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t d = check_index_op("scatter", self, dim, index, &src);
  Tensor out = scatter_kernel("scatter", self, d, index, src, false);
  if (needs_grad({&self, &src})) {
    const bool gself = self.requires_grad(), gsrc = src.requires_grad();
    record(out, "scatter", {self, src}, [d, index = save_for_backward(index), gself, gsrc](const Tensor& g) {
      // self's overwritten positions get no gradient; src's elements read theirs back. (With
      // repeated indices PyTorch leaves the winner unspecified; here the last write wins and
      // every src element aliasing it reads the same gradient, as PyTorch's gather does.)
      return std::vector<Tensor>{gself ? scatter(g, d, index, 0.0) : Tensor(), gsrc ? gather(g, d, index) : Tensor()};
    });
  }
  return out;
}

Tensor scatter(const Tensor& self, std::int64_t dim, const Tensor& index, double value) {
  detail::check_defined("scatter", self, "self");
  detail::check_index_tensor("scatter", index);
  const Tensor src = full(index.shape(), value, self.dtype());
  return scatter(self, dim, index, src);
}

Tensor index_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& source, double alpha) {
  detail::check_floating("index_add", self, "self");
  detail::check_floating("index_add", source, "source");
  detail::check_same_dtype("index_add", self, source);
  detail::check_index_tensor("index_add", index);
  if (index.dim() > 1)
    throw std::invalid_argument("index_add: index must be 1-D, got shape " + shape_str(index.shape()));
  const std::int64_t rank = std::max<std::int64_t>(self.dim(), 1);
  const std::int64_t d = normalize_dim("index_add", dim, rank);
  Shape expect = self.shape().empty() ? Shape{1} : self.shape();
  expect[static_cast<std::size_t>(d)] = index.numel();
  const Shape src_shape = source.shape().empty() ? Shape{1} : source.shape();
  if (src_shape != expect)
    throw std::invalid_argument("index_add: source " + shape_str(source.shape()) + " must have shape " + shape_str(expect) +
                                " (self " + shape_str(self.shape()) + " with dim " + std::to_string(d) + " of size " +
                                std::to_string(index.numel()) + ")");
  // An int64 index tensor of source's shape, index[i] broadcast along dim d: then scatter_add.
  Tensor full_index = empty(src_shape, kInt64);
  {
    const std::int64_t* pi = index.data<std::int64_t>();
    std::int64_t* pf = full_index.data<std::int64_t>();
    const auto strides = contiguous_strides(src_shape);
    const std::int64_t stride = strides[static_cast<std::size_t>(d)], n = index.numel();
    for (std::int64_t e = 0; e < full_index.numel(); ++e) pf[e] = pi[(e / stride) % n];
  }
  const Tensor src = alpha == 1.0 ? source : mul(source, alpha);
  const Tensor s = self.shape().empty() ? reshape(self, {1}) : self;
  const Tensor out = scatter_add(s, d, full_index, source.shape().empty() ? reshape(src, {1}) : src);
  return self.shape().empty() ? reshape(out, {}) : out;
}

Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::int64_t dim) {
  detail::check_defined("take_along_dim", x);
  detail::check_index_tensor("take_along_dim", indices, "indices");
  if (x.dim() != indices.dim())
    throw std::invalid_argument("take_along_dim: input " + shape_str(x.shape()) + " and indices " +
                                shape_str(indices.shape()) + " must have the same number of dims");
  const std::int64_t d = normalize_dim("take_along_dim", dim, std::max<std::int64_t>(x.dim(), 1));
  if (x.dim() == 0) return gather(x, 0, indices);
  // broadcast every dim but `dim`
  Shape xs = x.shape(), is = indices.shape();
  Shape xb = xs, ib = is;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    if (static_cast<std::int64_t>(k) == d) continue;
    if (xs[k] != is[k] && xs[k] != 1 && is[k] != 1)
      throw std::invalid_argument("take_along_dim: input " + shape_str(xs) + " and indices " + shape_str(is) +
                                  " cannot be broadcast at dim " + std::to_string(k));
    xb[k] = ib[k] = std::max(xs[k], is[k]);
  }
  const Tensor xe = xb == xs ? x : expand(x, xb);
  Tensor ie = indices;
  if (ib != is) {  // expand the int64 indices by hand (expand is for floating tensors' graphs too)
    ie = empty(ib, kInt64);
    const auto src_strides = contiguous_strides(is);
    const auto out_strides = contiguous_strides(ib);
    const std::int64_t* ps = indices.data<std::int64_t>();
    std::int64_t* po = ie.data<std::int64_t>();
    for (std::int64_t e = 0; e < ie.numel(); ++e) {
      std::int64_t rest = e, off = 0;
      for (std::size_t k = 0; k < ib.size(); ++k) {
        const std::int64_t c = rest / out_strides[k];
        rest %= out_strides[k];
        off += (is[k] == 1 ? 0 : c) * src_strides[k];
      }
      po[e] = ps[off];
    }
  }
  return gather(xe, d, ie);
}

Tensor take_along_dim(const Tensor& x, const Tensor& indices) {
  detail::check_defined("take_along_dim", x);
  detail::check_index_tensor("take_along_dim", indices, "indices");
  return gather(reshape(x, {x.numel()}), 0, reshape(indices, {indices.numel()}));
}

}  // namespace xg
