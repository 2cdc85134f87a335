// libFuzzer target: xg::load_safetensors on arbitrary bytes.
//
// Contract checked, besides what ASan/UBSan catch:
//  - a bad file throws std::runtime_error (never another type, never a crash or a huge allocation);
//  - a file that loads is consistent: every tensor's byte size sums to the data area, and saving it
//    back and loading the copy gives the same names, shapes, dtypes, bytes and metadata (the data
//    checksum is not metadata: the copy records its own, which the load verified);
//  - a loaded tensor can be used (printed, summed, converted) without undefined behaviour.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>

#include "autograd/ops_reduce.hpp"
#include "autograd/serialization.hpp"

namespace {

std::string temp_path(const char* tag) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/xgrad_fuzz_" + tag + "_" + std::to_string(::getpid());
}

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_safetensors: FINDING: %s\n", what.c_str());
  std::abort();
}

void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) finding("cannot create " + path);
  if (size && std::fwrite(data, 1, size, f) != size) finding("cannot write " + path);
  std::fclose(f);
}

std::size_t byte_size(const xg::Tensor& t) {
  return static_cast<std::size_t>(t.numel()) * xg::element_size(t.dtype());
}

void check_loaded(const xg::SafetensorsFile& file, std::size_t file_size) {
  std::size_t total = 0;
  for (const auto& [name, t] : file.tensors) {
    if (t.numel() < 0) finding("tensor '" + name + "' has a negative element count");
    total += byte_size(t);
    if (total > file_size) finding("tensors hold more bytes than the file has");
  }
  // Round trip: what we read, we can write, and it reads back identically.
  const std::string copy = temp_path("copy");
  xg::save_safetensors(copy, file.tensors, file.metadata);
  const xg::SafetensorsFile again = xg::load_safetensors(copy);
  std::remove(copy.c_str());
  if (again.tensors.size() != file.tensors.size() || again.metadata != file.metadata)
    finding("round trip changed the set of tensors or the metadata");
  if (!again.data_crc32c) finding("the copy written by save_safetensors records no data checksum");
  for (const auto& [name, t] : file.tensors) {
    if (!again.tensors.contains(name)) finding("round trip lost tensor '" + name + "'");
    const xg::Tensor& u = again.tensors.at(name);
    if (u.shape() != t.shape() || u.dtype() != t.dtype()) finding("round trip changed tensor '" + name + "'");
    if (byte_size(t) && std::memcmp(t.raw_data(), u.raw_data(), byte_size(t)) != 0)
      finding("round trip changed the bytes of tensor '" + name + "'");
    // Use the tensor the way a caller would; NaN/Inf payloads are legal data.
    std::ostringstream printed;
    printed << t;
    if (t.dtype() != xg::kInt64 && t.numel() <= 4096) (void)xg::sum(t.to(xg::kFloat64)).item();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = [] {
    std::atexit([] { std::remove((temp_path("input") + ".safetensors").c_str()); });
    return temp_path("input") + ".safetensors";
  }();
  write_file(path, data, size);
  try {
    const xg::SafetensorsFile file = xg::load_safetensors(path);
    check_loaded(file, size);
  } catch (const std::runtime_error&) {
    // The documented way to refuse a file.
  } catch (const std::exception& e) {
    finding(std::string("load_safetensors threw a non-runtime_error: ") + e.what());
  }
  return 0;
}
