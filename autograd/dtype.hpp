#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace xg {

/// Element type of a tensor, chosen at run time. Float32 is the default (as in PyTorch);
/// Float64 is what gradient checks run in; Int64 holds indices (targets, embedding ids)
/// and never requires grad.
enum class Dtype : std::uint8_t { Float32, Float64, Int64 };

constexpr Dtype kFloat32 = Dtype::Float32;
constexpr Dtype kFloat64 = Dtype::Float64;
constexpr Dtype kInt64 = Dtype::Int64;

inline std::size_t element_size(Dtype dtype) { return dtype == Dtype::Float32 ? 4 : 8; }
inline bool is_floating(Dtype dtype) { return dtype != Dtype::Int64; }
/// "float32", "float64" or "int64", as PyTorch prints them.
const char* dtype_name(Dtype dtype);

}  // namespace xg
