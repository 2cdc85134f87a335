#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "autograd/arg.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// Options of Flatten: FlattenOptions().start_dim(0).end_dim(-1). The default
/// keeps dim 0 (the batch).
struct FlattenOptions {
  using Self = FlattenOptions;
  XG_ARG(std::int64_t, start_dim) = 1;
  XG_ARG(std::int64_t, end_dim) = -1;
};

/// flatten(input, start_dim, end_dim) (torch.nn.Flatten):
/// (N, C, H, W) → (N, C·H·W) by default.
class Flatten : public Module {
 public:
  explicit Flatten(const FlattenOptions& options = {}) : Module("Flatten"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  FlattenOptions options;
};

/// Options of Unflatten: UnflattenOptions(dim, sizes). libtorch's named-tensor
/// form (dimname, namedshape) is left out: xgrad has no named tensors.
struct UnflattenOptions {
  using Self = UnflattenOptions;
  UnflattenOptions(std::int64_t dim, std::vector<std::int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  XG_ARG(std::int64_t, dim);
  XG_ARG(std::vector<std::int64_t>, sizes);
};

/// unflatten(input, dim, sizes) (torch.nn.Unflatten): (N, 12) → (N, 3, 4) with
/// UnflattenOptions(1, {3, 4}).
class Unflatten : public Module {
 public:
  explicit Unflatten(const UnflattenOptions& options) : Module("Unflatten"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  UnflattenOptions options;
};

}  // namespace xg::nn
