#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace xg {

/// A tensor's sizes, outermost first (row-major). Rank 0 (empty) is a scalar.
using Shape = std::vector<std::int64_t>;

/// Number of elements of a shape (1 for a scalar). Inline: every op asks for it.
inline std::int64_t shape_numel(const Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t s : shape) n *= s;
  return n;
}
/// "[3, 4]" — the form every error message uses.
std::string shape_str(const Shape& shape);
/// Throws std::invalid_argument "<op>: <what>" when a size is negative.
void check_shape_valid(const char* op, const Shape& shape);
/// Maps dim ∈ [-rank, rank) to [0, rank); throws naming the op otherwise.
std::int64_t normalize_dim(const char* op, std::int64_t dim, std::int64_t rank);
/// NumPy/PyTorch broadcasting of two shapes; throws "<op>: shapes [..] and [..] cannot be broadcast".
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
/// Writes shape_str(shape), "[2, 3]". Shape is a std::vector, so argument-dependent lookup does
/// not find this outside namespace xg: write `using xg::operator<<;` (or `using namespace xg;`).
std::ostream& operator<<(std::ostream& os, const Shape& shape);
/// Row-major strides in elements.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

}  // namespace xg
