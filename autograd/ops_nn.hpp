#pragma once
#include <cstdint>
#include <string>

#include "autograd/generator.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// exp(x) / Σ exp(x) along `dim` (max-subtracted for stability).
Tensor softmax(const Tensor& x, std::int64_t dim);
/// x − logsumexp(x) along `dim`; backward g − softmax(x)·Σg.
Tensor log_softmax(const Tensor& x, std::int64_t dim);

/// Inverted dropout: in training zeroes each element with probability p and scales the rest by
/// 1/(1−p); identity when !training or p == 0. p must be in [0, 1].
Tensor dropout(const Tensor& x, double p, bool training, Generator& generator);
Tensor dropout(const Tensor& x, double p, bool training = true);

/// Rows of `weight` (num, dim) picked by int64 `indices` of any shape → indices.shape + [dim].
/// Rows equal to padding_idx (if ≥ 0) get no gradient. Backward scatter-adds in order (deterministic).
Tensor embedding(const Tensor& indices, const Tensor& weight, std::int64_t padding_idx = -1);

/// One-hot encoding of int64 indices → float tensor of shape indices.shape + [num_classes].
Tensor one_hot(const Tensor& indices, std::int64_t num_classes, Dtype dtype = kFloat32);

}  // namespace xg
