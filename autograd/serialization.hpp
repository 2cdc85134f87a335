#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "autograd/state_dict.hpp"

namespace xg {

/// The contents of a safetensors file: tensors (in file offset order) and the string map
/// stored under "__metadata__".
struct SafetensorsFile {
  StateDict tensors;
  std::map<std::string, std::string> metadata;
};

/// Writes a safetensors file: 8-byte little-endian header length N, N bytes of JSON
/// {"name": {"dtype": "F32"|"F64"|"I64", "shape": [...], "data_offsets": [begin, end]}, ...,
///  "__metadata__": {"k": "v"}} (padded with spaces to a multiple of 8), then the raw
/// little-endian row-major data. Atomic: writes `path.tmp.<pid>` in the same folder, fsyncs it,
/// renames it over `path` and fsyncs the folder — a crash leaves either the old or the new file.
/// Throws std::runtime_error naming the path on any I/O failure.
void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads and fully validates a safetensors file before trusting any of it. Throws
/// std::runtime_error "<path>: <problem>" for: a file shorter than 8 bytes; a header length over
/// 100 MB or beyond the file; JSON that does not parse or nests deeper than 8 levels; an entry
/// that is not {dtype, shape, data_offsets}; an unknown dtype; a negative, non-integer or > 2^62
/// dimension, or rank > 16; an element count × element size that overflows; offsets that are not
/// begin ≤ end, do not match the byte size, fall outside the data area, overlap, or leave gaps;
/// duplicate names; metadata values that are not strings. Supports F32, F64 and I64 (others are
/// rejected by name, e.g. "dtype BF16 is not supported").
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace xg
