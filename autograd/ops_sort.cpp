#include "autograd/ops_sort.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/dim_lines.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_gather.hpp"

namespace xg {

namespace {

// The first k of each line's stable order along dim d (NaN largest): values and int64 indices
// of shape x.shape with size k at d. A line is copied out, ordered with std::stable_sort over
// positions, and written back (a strided xtensor view per line measured no simpler).
std::tuple<Tensor, Tensor> sorted_prefix(const char* op, const Tensor& x, std::int64_t d, std::int64_t k, bool descending) {
  Shape out_shape = x.shape();
  if (!out_shape.empty()) out_shape[static_cast<std::size_t>(d)] = k;
  Tensor values = empty(out_shape, x.dtype());
  Tensor indices = empty(out_shape, kInt64);
  const detail::DimLines in = detail::dim_lines(x.shape(), d);
  const detail::DimLines out = detail::dim_lines(out_shape, d);
  detail::dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* pv = values.data<T>();
    std::int64_t* pi = indices.data<std::int64_t>();
    std::vector<T> line(static_cast<std::size_t>(in.n));
    std::vector<std::int64_t> order(static_cast<std::size_t>(in.n));
    auto before = [&](std::int64_t a, std::int64_t b) {
      const T u = line[static_cast<std::size_t>(a)], v = line[static_cast<std::size_t>(b)];
      if (descending) return (u != u && v == v) || u > v;
      return (u == u && v != v) || u < v;
    };
    for (std::int64_t l = 0; l < in.count(); ++l) {
      const std::int64_t bi = in.base(l), bo = out.base(l);
      for (std::int64_t i = 0; i < in.n; ++i) line[static_cast<std::size_t>(i)] = px[bi + i * in.inner];
      std::iota(order.begin(), order.end(), std::int64_t{0});
      std::stable_sort(order.begin(), order.end(), before);  // stable: ties keep index order
      for (std::int64_t i = 0; i < k; ++i) {
        const std::int64_t src = order[static_cast<std::size_t>(i)];
        pv[bo + i * out.inner] = line[static_cast<std::size_t>(src)];
        pi[bo + i * out.inner] = src;
      }
    }
  });
  return {values, indices};
}

// Records the values' gradient: scattered back to the positions they came from.
void record_values(Tensor& values, const char* op, const Tensor& x, std::int64_t d, const Tensor& indices) {
  if (!needs_grad({&x})) return;
  record(values, op, {x}, [shape = x.shape(), d, idx = detail::save_for_backward(indices)](const Tensor& g) {
    return std::vector<Tensor>{scatter_add(zeros(shape, g.dtype()), shape.empty() ? 0 : d, idx, g)};
  });
}

}  // namespace

std::tuple<Tensor, Tensor> sort(const Tensor& x, std::int64_t dim, bool descending) {
  detail::check_floating("sort", x);
  const std::int64_t d = x.dim() == 0 ? (normalize_dim("sort", dim, 1), 0) : normalize_dim("sort", dim, x.dim());
  auto [values, indices] = sorted_prefix("sort", x, d, x.dim() == 0 ? 1 : x.size(d), descending);
  record_values(values, "sort", x, d, indices);
  return {values, indices};
}

Tensor argsort(const Tensor& x, std::int64_t dim, bool descending) { return std::get<1>(sort(x, dim, descending)); }

std::tuple<Tensor, Tensor> topk(const Tensor& x, std::int64_t k, std::int64_t dim, bool largest, bool sorted) {
  (void)sorted;  // the k values always come back sorted (PyTorch allows any order when false)
  detail::check_floating("topk", x);
  const std::int64_t d = x.dim() == 0 ? (normalize_dim("topk", dim, 1), 0) : normalize_dim("topk", dim, x.dim());
  const std::int64_t size = x.dim() == 0 ? 1 : x.size(d);
  if (k < 0 || k > size)
    throw std::invalid_argument("topk: k = " + std::to_string(k) + " is out of range for dim " + std::to_string(d) +
                                " of size " + std::to_string(size) + " (tensor of shape " + shape_str(x.shape()) + ")");
  auto [values, indices] = sorted_prefix("topk", x, d, k, largest);
  record_values(values, "topk", x, d, indices);
  return {values, indices};
}

}  // namespace xg
