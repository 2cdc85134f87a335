#pragma once
#include "autograd/generator.hpp"
#include "nn/module.hpp"

namespace xg::nn {

/// softmax along `dim` (required, as PyTorch recommends: the implicit-dim form is deprecated).
class Softmax : public Module {
 public:
  explicit Softmax(std::int64_t dim) : Module("Softmax"), dim(dim) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
  std::int64_t dim;
};

/// log_softmax along `dim`.
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::int64_t dim) : Module("LogSoftmax"), dim(dim) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "dim=" + std::to_string(dim); }
  std::int64_t dim;
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

/// Inverted dropout with probability p ∈ [0, 1] while training; identity in eval().
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override { return "p=" + std::to_string(p); }
  /// The generator masks are drawn from (default: xg::default_generator()).
  void set_generator(Generator* generator) { generator_ = generator; }
  double p;

 private:
  Generator* generator_ = nullptr;
};

}  // namespace xg::nn
