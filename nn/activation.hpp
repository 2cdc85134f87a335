#pragma once
#include "autograd/arg.hpp"
#include "autograd/generator.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// Options of Softmax / LogSoftmax: the dim (required, as PyTorch recommends: the implicit-dim
/// form is deprecated). Implicit from an int, as libtorch's SoftmaxOptions: Softmax(1).
struct SoftmaxOptions {
  using Self = SoftmaxOptions;
  SoftmaxOptions(std::int64_t dim) : dim_(dim) {}  // NOLINT(google-explicit-constructor)
  XG_ARG(std::int64_t, dim);
};
using LogSoftmaxOptions = SoftmaxOptions;

/// softmax along options.dim().
class Softmax : public Module {
 public:
  explicit Softmax(const SoftmaxOptions& options) : Module("Softmax"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  SoftmaxOptions options;
};

/// log_softmax along options.dim().
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(const LogSoftmaxOptions& options) : Module("LogSoftmax"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "dim=" + std::to_string(options.dim()); }
  LogSoftmaxOptions options;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& input) override;
};

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};

/// Options of Dropout; implicit from the probability, as libtorch's DropoutOptions: Dropout(0.2).
struct DropoutOptions {
  using Self = DropoutOptions;
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT(google-explicit-constructor)
  XG_ARG(double, p);
};

/// Inverted dropout with probability p ∈ [0, 1] while training; identity in eval().
class Dropout : public Module {
 public:
  explicit Dropout(const DropoutOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "p=" + std::to_string(options.p()); }
  /// The generator masks are drawn from (default: xg::default_generator()).
  void set_generator(Generator* generator) { generator_ = generator; }
  DropoutOptions options;

 private:
  Generator* generator_ = nullptr;
};

}  // namespace xg::nn
