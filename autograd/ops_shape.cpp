#include "autograd/ops_shape.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/detail/double_backward.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/detail/shape_kernels.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"

namespace xg {

// ---- views: same storage, new shape -----------------------------------------------------

namespace {

void check_input(const char* op, const Tensor& x) { detail::check_defined(op, x); }

// A view of x with `shape`; backward views the gradient back to x's shape.
Tensor make_view(const char* op, const Tensor& x, const Shape& shape) {
  Tensor out = detail::alias_with_shape(x, shape);
  if (needs_grad({&x})) {
    record(out, op, {x}, [in_shape = x.shape()](const Tensor& g) {
      if (is_grad_enabled()) return std::vector<Tensor>{reshape(g, in_shape)};  // create_graph: recorded
      return std::vector<Tensor>{detail::alias_with_shape(g, in_shape)};
    });
  }
  return out;
}

Shape infer_shape(const char* op, const Tensor& x, const Shape& shape) {
  Shape out = shape;
  std::int64_t infer = -1, known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0)
        throw std::invalid_argument(std::string(op) + ": only one dimension can be inferred (-1), got shape " +
                                    shape_str(shape));
      infer = static_cast<std::int64_t>(i);
    } else if (shape[i] < 0) {
      throw std::invalid_argument(std::string(op) + ": invalid size " + std::to_string(shape[i]) + " in shape " +
                                  shape_str(shape));
    } else {
      known *= shape[i];
    }
  }
  const std::int64_t n = x.numel();
  if (infer >= 0) {
    if (known == 0)
      throw std::invalid_argument(std::string(op) + ": cannot reshape a tensor of shape " + shape_str(x.shape()) +
                                  " into " + shape_str(shape) + ": the size -1 is ambiguous");
    if (n % known == 0) out[infer] = n / known;
  }
  if (shape_numel(out) != n || (infer >= 0 && n % known != 0))
    throw std::invalid_argument(std::string(op) + ": shape " + shape_str(shape) + " is invalid for a tensor of shape " +
                                shape_str(x.shape()) + " (" + std::to_string(n) + " elements)");
  return out;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_input("reshape", x);
  return make_view("reshape", x, infer_shape("reshape", x, shape));
}

Tensor view(const Tensor& x, const Shape& shape) {
  check_input("view", x);
  return make_view("view", x, infer_shape("view", x, shape));
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  check_input("flatten", x);
  const Shape& in = x.shape();
  const std::int64_t s = normalize_dim("flatten", start_dim, x.dim());
  const std::int64_t e = normalize_dim("flatten", end_dim, x.dim());
  if (s > e)
    throw std::invalid_argument("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                                std::to_string(end_dim) + " for a tensor of shape " + shape_str(in));
  if (x.dim() == 0) return make_view("flatten", x, {1});  // torch.flatten of a scalar is 1-D
  Shape out(in.begin(), in.begin() + s);
  std::int64_t merged = 1;
  for (std::int64_t d = s; d <= e; ++d) merged *= in[d];
  out.push_back(merged);
  out.insert(out.end(), in.begin() + e + 1, in.end());
  return make_view("flatten", x, out);
}

namespace {

// The sizes unflatten puts in place of a dim of size n, with a −1 resolved.
Shape unflattened_sizes(const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& sizes) {
  const std::int64_t n = x.shape()[static_cast<std::size_t>(dim)];
  auto refuse = [&](const std::string& why) {
    return std::invalid_argument("unflatten: sizes " + shape_str(sizes) + " " + why + " the size " + std::to_string(n) +
                                 " of dim " + std::to_string(dim) + " of a tensor of shape " + shape_str(x.shape()));
  };
  if (sizes.empty()) throw refuse("are empty; they cannot replace");
  Shape out = sizes;
  std::int64_t known = 1;
  auto inferred = out.end();
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (*it == -1 && inferred == out.end()) {
      inferred = it;
    } else if (*it < 0) {
      throw refuse("hold an invalid size (only one -1 is allowed); they cannot replace");
    } else {
      known *= *it;
    }
  }
  if (inferred != out.end()) {
    if (known == 0 || n % known != 0) throw refuse("cannot be completed by -1 to multiply to");
    *inferred = n / known;
  } else if (known != n) {
    throw refuse("multiply to " + std::to_string(known) + ", not to");
  }
  return out;
}

}  // namespace

Tensor unflatten(const Tensor& x, std::int64_t dim, const std::vector<std::int64_t>& sizes) {
  check_input("unflatten", x);
  if (x.dim() == 0) throw std::invalid_argument("unflatten: a 0-dim tensor has no dim to unflatten");
  const std::int64_t d = normalize_dim("unflatten", dim, x.dim());
  const Shape middle = unflattened_sizes(x, d, sizes);
  Shape out(x.shape().begin(), x.shape().begin() + d);
  out.insert(out.end(), middle.begin(), middle.end());
  out.insert(out.end(), x.shape().begin() + d + 1, x.shape().end());
  return make_view("unflatten", x, out);
}

Tensor squeeze(const Tensor& x) {
  check_input("squeeze", x);
  Shape out;
  for (auto s : x.shape())
    if (s != 1) out.push_back(s);
  return make_view("squeeze", x, out);
}

Tensor squeeze(const Tensor& x, std::int64_t dim) {
  check_input("squeeze", x);
  const std::int64_t d = normalize_dim("squeeze", dim, x.dim());
  Shape out = x.shape();
  if (x.dim() > 0 && out[d] == 1) out.erase(out.begin() + d);
  return make_view("squeeze", x, out);
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  check_input("unsqueeze", x);
  const std::int64_t d = normalize_dim("unsqueeze", dim, x.dim() + 1);
  Shape out = x.shape();
  out.insert(out.begin() + d, 1);
  return make_view("unsqueeze", x, out);
}

// ---- copies through strides --------------------------------------------------------------

namespace {

// out[i_0, …] = x[i_perm⁻¹…]: out.shape[j] = x.shape[perm[j]] (perm already validated).
Tensor permute_copy(const Tensor& x, const std::vector<std::int64_t>& perm) {
  const Shape& in = x.shape();
  const auto in_strides = contiguous_strides(in);
  Shape out_shape(perm.size());
  std::vector<std::int64_t> strides(perm.size());
  for (std::size_t j = 0; j < perm.size(); ++j) {
    out_shape[j] = in[perm[j]];
    strides[j] = in_strides[perm[j]];
  }
  Tensor out = empty(out_shape, x.dtype());
  detail::strided_copy(x, out, strides);
  return out;
}

std::vector<std::int64_t> inverse(const std::vector<std::int64_t>& perm) {
  std::vector<std::int64_t> inv(perm.size());
  for (std::size_t j = 0; j < perm.size(); ++j) inv[perm[j]] = static_cast<std::int64_t>(j);
  return inv;
}

Tensor permute_recorded(const char* op, const Tensor& x, const std::vector<std::int64_t>& perm) {
  Tensor out = permute_copy(x, perm);
  if (needs_grad({&x})) {
    record(out, op, {x}, [inv = inverse(perm)](const Tensor& g) {
      if (is_grad_enabled()) return std::vector<Tensor>{permute(g, inv)};  // create_graph: recorded
      return std::vector<Tensor>{permute_copy(g, inv)};
    });
  }
  return out;
}

}  // namespace

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  check_input("transpose", x);
  const std::int64_t a = normalize_dim("transpose", dim0, x.dim());
  const std::int64_t b = normalize_dim("transpose", dim1, x.dim());
  std::vector<std::int64_t> perm(x.shape().size());
  for (std::size_t j = 0; j < perm.size(); ++j) perm[j] = static_cast<std::int64_t>(j);
  if (!perm.empty()) std::swap(perm[a], perm[b]);
  return permute_recorded("transpose", x, perm);
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims) {
  check_input("permute", x);
  const std::int64_t rank = x.dim();
  if (static_cast<std::int64_t>(dims.size()) != rank)
    throw std::invalid_argument("permute: got " + std::to_string(dims.size()) + " dims " + shape_str(dims) +
                                " for a tensor of shape " + shape_str(x.shape()) + " (rank " + std::to_string(rank) +
                                ")");
  std::vector<std::int64_t> perm(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t j = 0; j < dims.size(); ++j) {
    perm[j] = normalize_dim("permute", dims[j], rank);
    if (seen[perm[j]])
      throw std::invalid_argument("permute: dim " + std::to_string(perm[j]) + " appears more than once in " +
                                  shape_str(dims));
    seen[perm[j]] = true;
  }
  return permute_recorded("permute", x, perm);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_input("expand", x);
  const Shape& in = x.shape();
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("expand: cannot expand shape " + shape_str(in) + " to " + shape_str(shape) + ": " +
                                why);
  };
  if (shape.size() < in.size())
    fail("the number of sizes (" + std::to_string(shape.size()) + ") must be at least the tensor's rank (" +
         std::to_string(in.size()) + ")");
  const std::size_t lead = shape.size() - in.size();
  const auto in_strides = contiguous_strides(in);
  Shape out(shape.size());
  std::vector<std::int64_t> strides(shape.size(), 0);
  for (std::size_t j = 0; j < shape.size(); ++j) {
    if (j < lead) {
      if (shape[j] < 0)
        fail("size " + std::to_string(shape[j]) + " is not allowed in new leading dim " + std::to_string(j));
      out[j] = shape[j];
      continue;
    }
    const std::int64_t have = in[j - lead];
    const std::int64_t want = shape[j] == -1 ? have : shape[j];
    if (want != have && (have != 1 || want < 0))
      fail("size " + std::to_string(shape[j]) + " must match the existing size " + std::to_string(have) +
           " at non-singleton dim " + std::to_string(j));
    out[j] = want;
    strides[j] = (have == 1 && want != 1) ? 0 : in_strides[j - lead];
  }
  Tensor result = empty(out, x.dtype());
  detail::strided_copy(x, result, strides);
  if (needs_grad({&x})) {
    record(result, "expand", {x}, [in_shape = in](const Tensor& g) {
      return std::vector<Tensor>{detail::reduce_to_shape(g, in_shape)};
    });
  }
  return result;
}

}  // namespace xg
