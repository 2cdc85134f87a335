#pragma once
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace xg {

/// Element type of a tensor, chosen at run time. Float32 is the default (as in PyTorch);
/// Float64 is what gradient checks run in; Int64 holds indices (targets, embedding ids)
/// and never requires grad; Bool (one byte per element, 0 or 1, C++ `bool`) holds masks and
/// comparison results and never requires grad either.
enum class Dtype : std::uint8_t { Float32, Float64, Int64, Bool };

constexpr Dtype kFloat32 = Dtype::Float32;
constexpr Dtype kFloat64 = Dtype::Float64;
constexpr Dtype kInt64 = Dtype::Int64;
constexpr Dtype kBool = Dtype::Bool;

inline std::size_t element_size(Dtype dtype) {
  return dtype == Dtype::Float32 ? 4 : dtype == Dtype::Bool ? 1 : 8;
}
inline bool is_floating(Dtype dtype) { return dtype == Dtype::Float32 || dtype == Dtype::Float64; }
/// "float32", "float64", "int64" or "bool", as PyTorch prints them.
const char* dtype_name(Dtype dtype);
/// Prints dtype_name (so dtypes show in test messages and logs).
std::ostream& operator<<(std::ostream& os, Dtype dtype);

}  // namespace xg
