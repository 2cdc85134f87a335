#pragma once
#include "autograd/generator.hpp"
#include "autograd/tensor.hpp"

namespace xg::nn::init {

// In-place initialisers (torch.nn.init), drawing from `generator` (default: xg::default_generator()).

/// U(low, high)
void uniform_(Tensor& t, double low, double high, Generator& generator = default_generator());
/// N(mean, std²)
void normal_(Tensor& t, double mean = 0.0, double std = 1.0, Generator& generator = default_generator());
void zeros_(Tensor& t);
void ones_(Tensor& t);
/// U(−1/√fan_in, 1/√fan_in): what torch.nn.Linear's kaiming_uniform_(a = √5) amounts to.
void linear_uniform_(Tensor& t, std::int64_t fan_in, Generator& generator = default_generator());

}  // namespace xg::nn::init
