#include "autograd/detail/xreduce.hpp"

#include <algorithm>

#include <xtensor/xarray.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xreducer.hpp>

#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/xview.hpp"

namespace xg::detail {

namespace {

// x regrouped for xtensor's immediate reducer, whose order is: when the innermost reduced axes
// are also the array's last axes, sum each of their rows, then add the row sums into the output
// in row-major order; otherwise add the elements in row-major order. A group is a run of
// neighbouring dims of one kind.
struct Groups {
  XShape sizes;
  std::vector<bool> reduced;
  void push(std::size_t size, bool r, bool merge) {
    if (merge && !sizes.empty() && reduced.back() == r) {
      sizes.back() *= size;
    } else {
      sizes.push_back(size);
      reduced.push_back(r);
    }
  }
  std::vector<std::size_t> axes() const {
    std::vector<std::size_t> a;
    for (std::size_t g = 0; g < sizes.size(); ++g)
      if (reduced[g]) a.push_back(g);
    return a;
  }
  std::size_t reduced_groups() const { return axes().size(); }
};

Groups group(const Shape& shape, const std::vector<bool>& reduced, SumOrder order) {
  Groups g;
  const std::size_t rank = shape.size();
  const bool rows = order == SumOrder::kInnermostRows && rank > 0 && reduced[rank - 1] && shape[rank - 1] != 1;
  for (std::size_t d = 0; d < rank; ++d) {
    if (shape[d] == 1) continue;
    if (rows && d == rank - 1 && !g.sizes.empty() && g.reduced.back()) g.push(1, false, false);  // keeps the row alone
    g.push(static_cast<std::size_t>(shape[d]), reduced[d], true);
  }
  return g;
}

template <class Acc, class T>
void sum_typed(const Tensor& x, const std::vector<bool>& reduced, SumOrder order, double scale, const Tensor& out) {
  Groups g = group(x.shape(), reduced, order);
  auto v = xview<T>(x, g.sizes);
  xt::xarray<Acc> sums;
  const std::size_t rank = x.shape().size();
  const bool element_order = order == SumOrder::kInnermostRows && (rank == 0 || !reduced[rank - 1] || x.shape().back() == 1);
  if (element_order && g.reduced_groups() > 1 && g.reduced.back()) {
    // Elements in row-major order, but xtensor would sum the last group's rows first: move the
    // reduced groups last (a copy), where they merge into one run per output.
    std::vector<std::size_t> perm;
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t a = 0; a < g.sizes.size(); ++a)
        if (g.reduced[a] == (pass == 1)) perm.push_back(a);
    xt::xarray<T> moved = xt::transpose(v, perm);
    std::vector<std::size_t> axes;
    for (std::size_t a = perm.size() - g.reduced_groups(); a < perm.size(); ++a) axes.push_back(a);
    sums = xt::sum<Acc>(moved, axes, xt::evaluation_strategy::immediate);
  } else {
    sums = xt::sum<Acc>(v, g.axes(), xt::evaluation_strategy::immediate);
  }
  auto o = xview<T>(out, XShape{static_cast<std::size_t>(out.numel())});
  auto flat = xt::adapt(sums.data(), sums.size(), xt::no_ownership(), XShape{sums.size()});
  if (scale == 1.0) o = xt::cast<T>(flat);
  else o = xt::cast<T>(flat * scale);
}

}  // namespace

void sum_dims(const Tensor& x, const std::vector<bool>& reduced, SumOrder order, bool in_double, double scale,
              const Tensor& out) {
  dispatch_floating("sum", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (x.numel() == 0) {  // sums of nothing (xtensor's reducer reads an element of an empty axis)
      T* o = static_cast<T*>(out.raw_data());
      std::fill(o, o + out.numel(), static_cast<T>(0.0 * scale));
      return;
    }
    if (in_double) sum_typed<double, T>(x, reduced, order, scale, out);
    else sum_typed<T, T>(x, reduced, order, scale, out);
  });
}

}  // namespace xg::detail
