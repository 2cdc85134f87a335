#include "autograd/serialization.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/shape.hpp"

// safetensors data is little-endian and we copy it byte for byte into tensors.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "xgrad serialization assumes a little-endian host");

namespace xg {
namespace {

// std::map-backed: ordered_json looks keys up linearly, quadratic on a hostile 100 MB header.
using Json = nlohmann::json;

// Limits from the safetensors reference implementation (MAX_HEADER_SIZE = 100 000 000) plus our own
// bounds on rank, dimension and JSON nesting (a real header nests 3 deep).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr int kMaxNesting = 8;
constexpr std::size_t kMaxRank = 16;
constexpr std::uint64_t kMaxDim = std::uint64_t{1} << 62;
constexpr std::size_t kChunkBytes = std::size_t{1} << 24;  // bounded read/write calls
const char* const kMetadataKey = "__metadata__";

// CRC-32C lookup table for the reflected polynomial, one byte at a time (about 0.5–1 GB/s:
// a 12 MB checkpoint costs ~15 ms, against the 100+ training steps between two of them).
constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t r = byte;
    for (int bit = 0; bit < 8; ++bit) r = (r >> 1) ^ (0x82F63B78u & (0u - (r & 1u)));
    table[byte] = r;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrc32cTable = make_crc32c_table();

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}


[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw std::runtime_error(path + ": " + problem);
}

[[noreturn]] void fail_errno(const std::string& path, const std::string& what, int err) {
  fail(path, what + ": " + std::strerror(err));
}

const char* dtype_tag(Dtype dtype) {
  switch (dtype) {
    case kFloat32: return "F32";
    case kFloat64: return "F64";
    case kInt64: return "I64";
    case kBool: return "BOOL";
  }
  return "?";
}

// Closes the descriptor on every path out of a scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A JSON value or parser message for an error message, cut short: it may come from a 100 MB header.
std::string brief(std::string text) {
  constexpr std::size_t kMax = 120;
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}
std::string brief(const Json& v) { return brief(v.dump()); }

// The recorded checksum: exactly 8 hex digits.
std::uint32_t parse_checksum(const std::string& path, const std::string& text) {
  const bool ok = text.size() == 8 && std::all_of(text.begin(), text.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                  });
  if (!ok) fail(path, std::string("__metadata__ ") + kDataChecksumKey + " must be 8 hex digits, got '" + brief(text) + "'");
  return static_cast<std::uint32_t>(std::stoul(text, nullptr, 16));
}

// ---- reading ---------------------------------------------------------------------------

/// Reads exactly `n` bytes (in bounded chunks); false if the file ended first.
bool read_exact(const std::string& path, int fd, void* buffer, std::size_t n) {
  auto* out = static_cast<unsigned char*>(buffer);
  while (n > 0) {
    const ssize_t got = ::read(fd, out, std::min(n, kChunkBytes));
    if (got < 0) {
      if (errno == EINTR) continue;
      fail_errno(path, "read failed", errno);
    }
    if (got == 0) return false;
    out += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

// nlohmann's parser recurses once per level: bound the nesting before handing it the bytes.
void check_nesting(const std::string& path, const std::string& header) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const char c = header[i];
    if (in_string) {
      if (c == '\\') ++i;  // skip the escaped character (it may be a quote)
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNesting)
        fail(path, "header nests deeper than " + std::to_string(kMaxNesting) + " levels of [ and {");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// nlohmann keeps the last of duplicate keys silently; a callback sees every key of every object.
// `names` receives the top-level keys in file order (the map sorts them; zero-size tensors sharing
// an offset keep their file order this way).
Json parse_header(const std::string& path, const std::string& header, std::vector<std::string>& names) {
  check_nesting(path, header);
  std::vector<std::set<std::string>> keys_per_object;
  auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      keys_per_object.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      keys_per_object.pop_back();
    } else if (event == Json::parse_event_t::key) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!keys_per_object.back().insert(key).second)
        fail(path, "duplicate name '" + brief(key) + "' in the header" +
                       (keys_per_object.size() == 1 ? std::string() : " (inside an entry)"));
      if (keys_per_object.size() == 1) names.push_back(key);
    }
    return true;
  };
  try {
    Json j = Json::parse(header.begin(), header.end(), callback);
    if (!j.is_object()) fail(path, "header is not a JSON object");
    return j;
  } catch (const nlohmann::json::exception& e) {
    fail(path, "header is not valid JSON: " + brief(std::string(e.what())));
  }
}

std::string shape_text(const std::vector<std::uint64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

struct Entry {
  std::string name;
  Dtype dtype = kFloat32;
  Shape shape;
  std::uint64_t begin = 0, end = 0;
};

// JSON integers ≥ 0 (nlohmann stores "5" as unsigned but "-0" as signed); floats are rejected.
bool non_negative_integer(const Json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) out = v.get<std::uint64_t>();
  else if (v.is_number_integer() && v.get<std::int64_t>() >= 0) out = static_cast<std::uint64_t>(v.get<std::int64_t>());
  else return false;
  return true;
}

std::uint64_t read_offset(const std::string& where, const Json& v) {
  std::uint64_t out = 0;
  if (!non_negative_integer(v, out))
    throw std::runtime_error(where + ": data_offsets must be two non-negative integers, got " + brief(v));
  return out;
}

Entry parse_entry(const std::string& path, const std::string& name, const Json& info) {
  const std::string where = path + ": tensor '" + brief(name) + "'";
  auto bad = [&](const std::string& problem) -> void { throw std::runtime_error(where + ": " + problem); };
  if (!info.is_object()) bad("entry is not an object {dtype, shape, data_offsets}: " + brief(info));
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!info.contains(field)) bad(std::string("missing ") + field);
  for (const auto& item : info.items())
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets")
      bad("unexpected field '" + item.key() + "' (an entry is {dtype, shape, data_offsets})");

  Entry e;
  e.name = name;
  const Json& dtype = info["dtype"];
  if (!dtype.is_string()) bad("dtype is not a string: " + brief(dtype));
  const std::string& tag = dtype.get_ref<const std::string&>();
  if (tag == "F32") e.dtype = kFloat32;
  else if (tag == "F64") e.dtype = kFloat64;
  else if (tag == "I64") e.dtype = kInt64;
  else if (tag == "BOOL") e.dtype = kBool;
  else bad("dtype " + tag + " is not supported (xgrad reads F32, F64, I64 and BOOL)");

  const Json& shape = info["shape"];
  if (!shape.is_array()) bad("shape is not an array: " + brief(shape));
  if (shape.size() > kMaxRank)
    bad("rank " + std::to_string(shape.size()) + " exceeds the maximum of " + std::to_string(kMaxRank));
  std::vector<std::uint64_t> dims;
  std::uint64_t nbytes = element_size(e.dtype);
  bool overflow = false;
  for (const Json& d : shape) {
    if (d.is_number_integer() && !d.is_number_unsigned() && d.get<std::int64_t>() < 0)
      bad("negative dimension " + brief(d) + " in shape " + brief(shape));
    std::uint64_t v = 0;
    if (!non_negative_integer(d, v)) bad("dimension " + brief(d) + " is not a non-negative integer");
    if (v > kMaxDim) bad("dimension " + std::to_string(v) + " exceeds 2^62");
    dims.push_back(v);
    overflow = overflow || __builtin_mul_overflow(nbytes, v, &nbytes);
  }
  // Checked left to right, as shape_numel multiplies: a later zero does not undo an overflow.
  if (overflow)
    bad("shape " + shape_text(dims) + " of " + tag + " has a byte size that overflows 64 bits");
  for (std::uint64_t v : dims) e.shape.push_back(static_cast<std::int64_t>(v));

  const Json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    bad("data_offsets must be [begin, end], got " + brief(offsets));
  e.begin = read_offset(where, offsets[0]);
  e.end = read_offset(where, offsets[1]);
  const std::string span = "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.begin > e.end) bad(span + " have begin > end");
  if (e.end - e.begin != nbytes)
    bad(span + " span " + std::to_string(e.end - e.begin) + " bytes but shape " + shape_text(dims) + " of " +
        tag + " needs " + std::to_string(nbytes));
  return e;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const Json& meta) {
  if (!meta.is_object()) fail(path, "__metadata__ is not an object of strings: " + brief(meta));
  std::map<std::string, std::string> out;
  for (const auto& item : meta.items()) {
    if (!item.value().is_string())
      fail(path, "__metadata__ value of '" + item.key() + "' is not a string: " + brief(item.value()));
    out.emplace(item.key(), item.value().get<std::string>());
  }
  return out;
}

// Entries must tile [0, data_bytes) exactly, in offset order: no overlap, no gap, nothing left over.
void check_layout(const std::string& path, std::vector<Entry>& entries, std::uint64_t data_bytes) {
  for (const Entry& e : entries)
    if (e.end > data_bytes)
      fail(path, "tensor '" + e.name + "': data_offsets [" + std::to_string(e.begin) + ", " +
                     std::to_string(e.end) + "] are out of range: only " + std::to_string(data_bytes) +
                     " bytes of data follow the header (truncated file?)");
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered)
      fail(path, "tensors '" + previous->name + "' and '" + e.name + "' overlap (data_offsets " +
                     std::to_string(previous->begin) + ".." + std::to_string(previous->end) + " and " +
                     std::to_string(e.begin) + ".." + std::to_string(e.end) + ")");
    if (e.begin > covered)
      fail(path, "gap in data: bytes " + std::to_string(covered) + ".." + std::to_string(e.begin) +
                     " before tensor '" + e.name + "' belong to no tensor");
    covered = e.end;
    previous = &e;
  }
  if (covered != data_bytes)
    fail(path, std::to_string(data_bytes - covered) + " trailing bytes after the last tensor belong to no tensor");
}

// ---- writing ---------------------------------------------------------------------------

void write_all(int fd, const void* buffer, std::size_t n) {
  const auto* in = static_cast<const unsigned char*>(buffer);
  while (n > 0) {
    const ssize_t put = ::write(fd, in, std::min(n, kChunkBytes));
    if (put < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category());
    }
    in += put;
    n -= static_cast<std::size_t>(put);
  }
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Built by concatenation so the JSON lists tensors in data order (a json object would sort them,
// an ordered_json would look each name up linearly); nlohmann only escapes the strings.
std::string build_header(const std::string& path, const StateDict& tensors,
                         const std::map<std::string, std::string>& metadata) {
  if (metadata.count(kDataChecksumKey))
    throw std::invalid_argument(std::string("save_safetensors: ") + path + ": metadata key '" + kDataChecksumKey +
                                "' is reserved (the checksum of the data is recorded there)");
  std::map<std::string, std::string> with_checksum = metadata;
  std::uint32_t crc = 0;
  for (const auto& item : tensors)
    if (item.second.defined())
      crc = crc32c(item.second.raw_data(), static_cast<std::size_t>(item.second.numel()) * element_size(item.second.dtype()), crc);
  with_checksum[kDataChecksumKey] = hex32(crc);
  std::string text = "{";
  try {
    text += std::string("\"") + kMetadataKey + "\":" + Json(with_checksum).dump();
    std::uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
      if (!t.defined())
        throw std::invalid_argument("save_safetensors: " + path + ": tensor '" + name + "' is undefined");
      if (name == kMetadataKey)
        throw std::invalid_argument("save_safetensors: " + path + ": '__metadata__' is reserved, not a tensor name");
      const std::uint64_t nbytes = static_cast<std::uint64_t>(t.numel()) * element_size(t.dtype());
      text += ',';
      text += Json(name).dump() + ":{\"dtype\":\"" + dtype_tag(t.dtype()) + "\",\"shape\":" + Json(t.shape()).dump() +
              ",\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + nbytes) + "]}";
      offset += nbytes;
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument("save_safetensors: " + path + ": a name or metadata string is not valid UTF-8 (" +
                                e.what() + ")");
  }
  text += '}';
  // Pad with spaces so the data starts 8-byte aligned, as the safetensors library does.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

// ---- public API ------------------------------------------------------------------------

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i) crc = (crc >> 8) ^ kCrc32cTable[(crc ^ p[i]) & 0xFFu];
  return ~crc;
}

SafetensorsFile load_safetensors(const std::string& path) {
  Fd file;
  file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) fail_errno(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail_errno(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  const auto file_bytes = static_cast<std::uint64_t>(st.st_size);
  if (file_bytes < 8)
    fail(path, "file is " + std::to_string(file_bytes) + " bytes, too short for the 8-byte header length");

  unsigned char prefix[8];
  if (!read_exact(path, file.fd, prefix, 8)) fail(path, "file is truncated inside the 8-byte header length");
  std::uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | prefix[i];
  if (header_bytes > kMaxHeaderBytes)
    fail(path, "header length " + std::to_string(header_bytes) + " exceeds the limit of 100 MB");
  if (header_bytes > file_bytes - 8)
    fail(path, "header length " + std::to_string(header_bytes) + " goes beyond the end of the file (" +
                   std::to_string(file_bytes) + " bytes)");

  std::string header_text(header_bytes, '\0');
  if (!read_exact(path, file.fd, header_text.data(), header_text.size()))
    fail(path, "file is truncated inside the header");
  std::vector<std::string> names;
  const Json header = parse_header(path, header_text, names);

  SafetensorsFile result;
  std::vector<Entry> entries;
  for (const std::string& name : names) {
    if (name == kMetadataKey) result.metadata = parse_metadata(path, header[name]);
    else entries.push_back(parse_entry(path, name, header[name]));
  }
  const std::uint64_t data_bytes = file_bytes - 8 - header_bytes;
  check_layout(path, entries, data_bytes);

  std::optional<std::uint32_t> recorded;
  if (auto it = result.metadata.find(kDataChecksumKey); it != result.metadata.end()) {
    recorded = parse_checksum(path, it->second);
    result.metadata.erase(it);
  }

  // Everything is validated and the total size is bounded by the file: now allocate and read.
  // The entries tile the data area in offset order, so the running CRC is the data section's.
  std::uint32_t crc = 0;
  for (const Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (!read_exact(path, file.fd, t.raw_data(), e.end - e.begin))
      fail(path, "file is truncated inside the data of tensor '" + e.name + "' (it shrank while being read?)");
    if (recorded) crc = crc32c(t.raw_data(), e.end - e.begin, crc);
    // A C++ bool may only hold 0 or 1: any other byte would make reading it undefined behaviour.
    if (e.dtype == kBool) {
      const auto* bytes = static_cast<const unsigned char*>(t.raw_data());
      for (std::int64_t i = 0; i < t.numel(); ++i)
        if (bytes[i] > 1)
          fail(path, "tensor '" + e.name + "' (BOOL) holds byte " + std::to_string(bytes[i]) + " at element " +
                         std::to_string(i) + "; bool elements must be 0 or 1");
    }
    result.tensors.insert(e.name, t);
  }
  if (recorded && crc != *recorded)
    fail(path, "data checksum mismatch: the header records crc32c " + hex32(*recorded) + " but the data has " +
                   hex32(crc) + " (the file was damaged after it was written)");
  result.data_crc32c = recorded;
  return result;
}

void save_safetensors(const std::string& path, const StateDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string header = build_header(path, tensors, metadata);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Fd file;
  file.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (file.fd < 0) fail_errno(path, "cannot create temporary file " + tmp, errno);
  const char* step = "write";
  try {
    unsigned char prefix[8];
    const std::uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(n >> (8 * i));
    write_all(file.fd, prefix, 8);
    write_all(file.fd, header.data(), header.size());
    for (const auto& item : tensors) {
      const Tensor& t = item.second;
      write_all(file.fd, t.raw_data(), static_cast<std::size_t>(t.numel()) * element_size(t.dtype()));
    }
    step = "fsync";
    if (::fsync(file.fd) != 0) throw std::system_error(errno, std::generic_category());
    step = "close";
    const int fd = file.fd;
    file.fd = -1;
    if (::close(fd) != 0) throw std::system_error(errno, std::generic_category());
    step = "rename";
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw std::system_error(errno, std::generic_category());
  } catch (const std::system_error& e) {
    ::unlink(tmp.c_str());
    fail(path, std::string(step) + " of " + tmp + " failed: " + std::strerror(e.code().value()));
  }
  // The rename is only durable once the folder's entry is on disk.
  Fd dir;
  const std::string folder = parent_dir(path);
  dir.fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd < 0) fail_errno(path, "cannot open folder " + folder + " to fsync it", errno);
  if (::fsync(dir.fd) != 0) fail_errno(path, "fsync of folder " + folder + " failed", errno);
}

}  // namespace xg
