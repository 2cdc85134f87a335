#pragma once
// Helpers shared by the test_optim* executables.
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "test_helpers.hpp"

namespace xg::testing {

/// Builds an optimizer over the given parameters.
using Factory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

template <typename Opt, typename Options>
inline Factory make(Options options) {
  return [options](std::vector<Tensor> p) { return std::make_unique<Opt>(std::move(p), options); };
}

// Row s of a [steps, ...] tensor, as a new tensor of the remaining shape.
inline Tensor row(const Tensor& t, std::int64_t s) {
  Shape shape(t.shape().begin() + 1, t.shape().end());
  Tensor out = empty(shape, t.dtype());
  const std::size_t bytes = static_cast<std::size_t>(out.numel()) * element_size(t.dtype());
  std::memcpy(out.raw_data(), static_cast<const char*>(t.raw_data()) + s * bytes, bytes);
  return out;
}

inline std::vector<Tensor> leaves(const std::vector<Tensor>& init) {
  std::vector<Tensor> out;
  for (const Tensor& t : init) out.push_back(t.detach().clone().requires_grad_());
  return out;
}

// Bitwise equality of two same-shaped tensors' data.
inline bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * element_size(a.dtype())) == 0;
}


}  // namespace xg::testing
