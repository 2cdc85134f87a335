#pragma once
#include <string>

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

/// Options of GELU: GELUOptions().approximate("tanh") ("none" is the exact x·Φ(x)).
struct GELUOptions {
  using Self = GELUOptions;
  XG_ARG(std::string, approximate) = "none";
};

/// gelu(x, options.approximate()) (torch.nn.GELU).
class GELU : public Module {
 public:
  explicit GELU(const GELUOptions& options = {}) : Module("GELU"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "approximate='" + options.approximate() + "'"; }
  GELUOptions options;
};

/// x·σ(x) (torch.nn.SiLU).
class SiLU : public Module {
 public:
  SiLU() : Module("SiLU") {}
  Tensor forward(const Tensor& input) override;
};

/// Options of LeakyReLU: LeakyReLUOptions().negative_slope(0.2). libtorch's `inplace` is left out
/// (xgrad's modules always return a new tensor).
struct LeakyReLUOptions {
  using Self = LeakyReLUOptions;
  XG_ARG(double, negative_slope) = 1e-2;
};

/// x for x > 0, negative_slope·x otherwise (torch.nn.LeakyReLU).
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(const LeakyReLUOptions& options = {}) : Module("LeakyReLU"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  LeakyReLUOptions options;
};

/// Options of ELU: ELUOptions().alpha(0.5) (no `inplace`, as LeakyReLUOptions).
struct ELUOptions {
  using Self = ELUOptions;
  XG_ARG(double, alpha) = 1.0;
};

/// x for x > 0, α·(eˣ − 1) otherwise (torch.nn.ELU).
class ELU : public Module {
 public:
  explicit ELU(const ELUOptions& options = {}) : Module("ELU"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  ELUOptions options;
};

/// Options of Softplus: SoftplusOptions().beta(2).threshold(10).
struct SoftplusOptions {
  using Self = SoftplusOptions;
  XG_ARG(double, beta) = 1.0;
  XG_ARG(double, threshold) = 20.0;
};

/// (1/β)·log(1 + e^(βx)), x itself where βx > threshold (torch.nn.Softplus).
class Softplus : public Module {
 public:
  explicit Softplus(const SoftplusOptions& options = {}) : Module("Softplus"), options(options) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  SoftplusOptions options;
};

/// Options of Hardtanh: HardtanhOptions().min_val(-2).max_val(2) (no `inplace`).
struct HardtanhOptions {
  using Self = HardtanhOptions;
  XG_ARG(double, min_val) = -1.0;
  XG_ARG(double, max_val) = 1.0;
};

/// min(max(x, min_val), max_val) (torch.nn.Hardtanh). As libtorch, max_val must exceed min_val.
class Hardtanh : public Module {
 public:
  explicit Hardtanh(const HardtanhOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  HardtanhOptions options;
};

/// log σ(x) (torch.nn.LogSigmoid).
class LogSigmoid : public Module {
 public:
  LogSigmoid() : Module("LogSigmoid") {}
  Tensor forward(const Tensor& input) override;
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
