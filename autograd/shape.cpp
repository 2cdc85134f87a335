#include "autograd/shape.hpp"

#include <sstream>
#include <stdexcept>

namespace xg {

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

void check_shape_valid(const char* op, const Shape& shape) {
  for (auto s : shape)
    if (s < 0) throw std::invalid_argument(std::string(op) + ": negative size in shape " + shape_str(shape));
}

std::int64_t normalize_dim(const char* op, std::int64_t dim, std::int64_t rank) {
  // A scalar accepts dim 0 and -1, like PyTorch.
  const std::int64_t r = rank == 0 ? 1 : rank;
  if (dim < -r || dim >= r)
    throw std::invalid_argument(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for a tensor of rank " +
                                std::to_string(rank) + " (expected [" + std::to_string(-r) + ", " +
                                std::to_string(r - 1) + "])");
  return dim < 0 ? dim + r : dim;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      throw std::invalid_argument(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                                  " cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Shape& shape) { return os << shape_str(shape); }

std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size());
  std::int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

}  // namespace xg
