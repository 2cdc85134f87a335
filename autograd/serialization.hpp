#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "autograd/state_dict.hpp"

namespace xg {

/// The metadata key under which `save_safetensors` records the CRC-32C of the data section
/// (8 lowercase hex digits). Reserved: `load_safetensors` verifies it and leaves it out of
/// `SafetensorsFile::metadata`; `save_safetensors` refuses it in caller metadata.
inline constexpr const char* kDataChecksumKey = "xgrad.data_crc32c";

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, as in iSCSI, ext4 and SSE4.2's crc32
/// instruction) of `size` bytes, continuing from `crc` (the CRC of the bytes before them; 0 to
/// start). crc32c("123456789", 9) == 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);

/// The contents of a safetensors file: tensors (in file offset order), the string map stored
/// under "__metadata__" (without the checksum key), and the data checksum the file recorded
/// (already verified; absent for files written without one, e.g. by PyTorch).
struct SafetensorsFile {
  StateDict tensors;
  std::map<std::string, std::string> metadata;
  std::optional<std::uint32_t> data_crc32c;
};

/// Writes a safetensors file: 8-byte little-endian header length N, N bytes of JSON
/// {"name": {"dtype": "F32"|"F64"|"I64", "shape": [...], "data_offsets": [begin, end]}, ...,
///  "__metadata__": {"k": "v"}} (padded with spaces to a multiple of 8), then the raw
/// little-endian row-major data. The metadata also records the CRC-32C of the data section under
/// `kDataChecksumKey` (safetensors readers ignore metadata they do not know). Atomic: writes
/// `path.tmp.<pid>` in the same folder, fsyncs it,
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
/// rejected by name, e.g. "dtype BF16 is not supported"). When the metadata holds
/// `kDataChecksumKey`, the data's CRC-32C must match it (a mismatch throws naming the path and
/// both checksums); files without it load unchecked.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace xg
