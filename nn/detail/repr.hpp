#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xg::nn::detail {

/// A double as Python's repr writes it (the shortest text that reads back to
/// the same value, with ".0" on integral values: 1.0, 0.01, 1e-05), so module
/// reprs read like PyTorch's.
std::string python_float(double value);
/// A Python tuple of ints: (4,) for one element, (2, 3) for two.
std::string python_tuple(const std::vector<std::int64_t>& values);

}  // namespace xg::nn::detail
