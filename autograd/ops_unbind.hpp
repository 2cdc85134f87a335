#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

/// torch.unbind: the x.size(dim) slices of x along `dim`, each with that dim removed (copies).
/// Use it instead of one select() per time step: backward writes every slice's gradient into
/// one shared [x.shape] buffer, O(numel) in total, where T separate selects cost T full-size
/// gradients and T full-size additions (O(T·numel)).
std::vector<Tensor> unbind(const Tensor& x, std::int64_t dim = 0);

}  // namespace xg
