#define BOOST_TEST_MODULE serialization
#include "temp_dir.hpp"
#include "test_helpers.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "autograd/serialization.hpp"

using namespace xg;
using xg::testing::check_throws;
using xg::testing::TempDir;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(std::uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// A raw safetensors file: length prefix, header text as given (no padding), data bytes.
std::string raw_file(const std::string& header, const std::string& data = "") {
  return le64(header.size()) + header + data;
}

// Eight bytes = two float32 or one float64/int64.
const std::string kEightBytes(8, '\x01');

template <typename T>
Tensor tensor_of(const std::vector<T>& values, const Shape& shape, Dtype dtype) {
  Tensor t = empty(shape, dtype);
  BOOST_TEST_REQUIRE(static_cast<std::int64_t>(values.size()) == t.numel());
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const std::size_t n = static_cast<std::size_t>(a.numel()) * element_size(a.dtype());
  return n == 0 || std::memcmp(a.raw_data(), b.raw_data(), n) == 0;
}

// Writes `bytes` as a file and checks that loading it throws runtime_error naming the file and
// every fragment of the problem.
void check_corrupt(const TempDir& dir, const std::string& bytes, std::initializer_list<std::string> fragments) {
  const std::string path = dir.file("corrupt.safetensors");
  write_bytes(path, bytes);
  std::vector<std::string> all{path + ": "};
  all.insert(all.end(), fragments.begin(), fragments.end());
  try {
    load_safetensors(path);
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    for (const std::string& f : all)
      BOOST_TEST(message.find(f) != std::string::npos, "message '" << message << "' lacks '" << f << "'");
    return;
  } catch (const std::exception& e) {
    BOOST_FAIL("threw the wrong exception type: " << e.what());
  }
  BOOST_FAIL("did not throw");
}

}  // namespace

// ---- round trips -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(safetensors_round_trip_is_bit_exact) {
  TempDir dir;
  const float f_inf = std::numeric_limits<float>::infinity();
  const double d_nan = std::numeric_limits<double>::quiet_NaN();
  StateDict sd;
  sd.insert("layer.weight", tensor_of<float>({1.5f, -0.0f, f_inf, -f_inf, std::numeric_limits<float>::denorm_min(),
                                              std::numeric_limits<float>::max()},
                                             {2, 3}, kFloat32));
  sd.insert("layer.bias", tensor_of<double>({M_PI, -1e-300, d_nan}, {3}, kFloat64));
  sd.insert("ids", tensor_of<std::int64_t>({std::numeric_limits<std::int64_t>::min(), -1, 0,
                                            std::numeric_limits<std::int64_t>::max()},
                                           {2, 1, 2}, kInt64));
  sd.insert("scalar", tensor_of<double>({-2.25}, {}, kFloat64));
  sd.insert("empty_rows", tensor_of<float>({}, {0, 3}, kFloat32));
  sd.insert("empty_middle", tensor_of<std::int64_t>({}, {2, 0, 4}, kInt64));
  const std::map<std::string, std::string> meta{{"format", "pt"}, {"note", "ünïcode \"quoted\""}, {"empty", ""}};

  const std::string path = dir.file("model.safetensors");
  save_safetensors(path, sd, meta);
  const SafetensorsFile back = load_safetensors(path);

  BOOST_TEST(back.tensors.keys() == sd.keys(), boost::test_tools::per_element());
  for (const auto& [name, t] : sd) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST_REQUIRE(back.tensors.contains(name));
      BOOST_TEST(same_bits(back.tensors.at(name), t));
      BOOST_TEST(!back.tensors.at(name).requires_grad());
    }
  }
  BOOST_TEST((back.metadata == meta));
  // 8-byte prefix + header padded to a multiple of 8 + 24 + 24 + 32 + 8 + 0 + 0 data bytes.
  const std::string bytes = read_bytes(path);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  BOOST_TEST(n % 8 == 0);
  BOOST_TEST(bytes.size() == 8 + n + 88);
  BOOST_TEST(dir.files() == std::vector<std::string>{"model.safetensors"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(safetensors_header_has_the_reference_layout) {
  TempDir dir;
  StateDict sd;
  sd.insert("a", tensor_of<float>({2.0f}, {}, kFloat32));
  const std::string path = dir.file("a.safetensors");
  save_safetensors(path, sd);
  // 101 characters of JSON padded with 3 spaces to 104, then 2.0f = 0x40000000 little-endian. The
  // CRC-32C of those 4 bytes, 091c567b, was computed by a bitwise Python implementation.
  const std::string header =
      R"({"__metadata__":{"xgrad.data_crc32c":"091c567b"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})";
  BOOST_TEST_REQUIRE(header.size() == 101u);
  const std::string expected = le64(104) + header + "   " + std::string("\x00\x00\x00\x40", 4);
  BOOST_TEST(read_bytes(path) == expected);
}

BOOST_AUTO_TEST_CASE(safetensors_round_trip_of_nothing) {
  TempDir dir;
  const std::string path = dir.file("empty.safetensors");
  save_safetensors(path, StateDict{});
  // 49 characters padded to 56; the CRC of no bytes is 0.
  BOOST_TEST(read_bytes(path) == le64(56) + R"({"__metadata__":{"xgrad.data_crc32c":"00000000"}})" + "       ");
  const SafetensorsFile back = load_safetensors(path);
  BOOST_TEST(back.tensors.empty());
  BOOST_TEST(back.metadata.empty());
  BOOST_TEST((back.data_crc32c == std::optional<std::uint32_t>(0)));
}

BOOST_AUTO_TEST_CASE(safetensors_load_orders_tensors_by_offset_whatever_the_key_order) {
  TempDir dir;
  // JSON lists b first and metadata last; a occupies the first 8 bytes of data.
  const std::string header =
      R"({"b":{"shape":[1],"data_offsets":[8,16],"dtype":"I64"},)"
      R"("a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},"__metadata__":{"k":"v"}}  )";
  std::string data(16, '\0');
  const float a[2] = {0.25f, -4.0f};
  const std::int64_t b = -7;
  std::memcpy(&data[0], a, 8);
  std::memcpy(&data[8], &b, 8);
  const std::string path = dir.file("ordered.safetensors");
  write_bytes(path, raw_file(header, data));
  const SafetensorsFile f = load_safetensors(path);
  BOOST_TEST(f.tensors.keys() == std::vector<std::string>({"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(f.tensors.at("a").to_vector() == std::vector<double>({0.25, -4.0}), boost::test_tools::per_element());
  BOOST_TEST((f.tensors.at("b").dtype() == kInt64));
  BOOST_TEST(f.tensors.at("b").item() == -7.0);
  BOOST_TEST(f.metadata.at("k") == "v");
}

BOOST_AUTO_TEST_CASE(safetensors_loads_the_python_fixture) {
  // Written by tools/make_serialization_fixtures.py through tools/safetensors_io.py.
  const SafetensorsFile f = load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/serialization/small.safetensors");
  BOOST_TEST(f.tensors.keys() == std::vector<std::string>({"weight", "bias", "step", "ids", "empty"}),
             boost::test_tools::per_element());
  const std::map<std::string, std::string> expected_meta{{"format", "pt"},
                                                         {"source", "tools/make_serialization_fixtures.py"}};
  BOOST_TEST((f.metadata == expected_meta));
  BOOST_TEST(!f.data_crc32c.has_value());  // PyTorch's writer records no checksum: loaded unchecked

  const Tensor& w = f.tensors.at("weight");
  BOOST_TEST_REQUIRE((w.dtype() == kFloat32));
  BOOST_TEST_REQUIRE(w.shape() == Shape({2, 3}), boost::test_tools::per_element());
  const float* wp = w.data<float>();
  const float expected_w[6] = {0.5f, -1.25f, 3.0f, -0.0f, std::numeric_limits<float>::infinity(), 0.1f};
  for (int i = 0; i < 6; ++i) BOOST_TEST(wp[i] == expected_w[i], "weight[" << i << "]");
  BOOST_TEST(std::signbit(wp[3]));

  const Tensor& b = f.tensors.at("bias");
  BOOST_TEST_REQUIRE((b.dtype() == kFloat64));
  BOOST_TEST_REQUIRE(b.shape() == Shape({3}), boost::test_tools::per_element());
  BOOST_TEST(b.data<double>()[0] == M_PI);
  BOOST_TEST(b.data<double>()[1] == -2.5);
  BOOST_TEST(b.data<double>()[2] == 1e300);

  const Tensor& s = f.tensors.at("step");
  BOOST_TEST_REQUIRE((s.dtype() == kInt64));
  BOOST_TEST(s.dim() == 0);
  BOOST_TEST(s.data<std::int64_t>()[0] == (std::int64_t{1} << 62) + 7);

  const Tensor& ids = f.tensors.at("ids");
  BOOST_TEST_REQUIRE((ids.dtype() == kInt64));
  BOOST_TEST_REQUIRE(ids.shape() == Shape({4}), boost::test_tools::per_element());
  const std::int64_t expected_ids[4] = {std::numeric_limits<std::int64_t>::min(), -1, 0,
                                        std::numeric_limits<std::int64_t>::max()};
  for (int i = 0; i < 4; ++i) BOOST_TEST(ids.data<std::int64_t>()[i] == expected_ids[i], "ids[" << i << "]");

  const Tensor& e = f.tensors.at("empty");
  BOOST_TEST((e.dtype() == kFloat32));
  BOOST_TEST(e.shape() == Shape({0, 3}), boost::test_tools::per_element());
}

// ---- the data checksum -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(crc32c_value) {
  // Check values of CRC-32C: the catalogue's "123456789", and RFC 3720 (iSCSI) appendix B.4.
  const std::string digits = "123456789";
  BOOST_TEST(crc32c(digits.data(), digits.size()) == 0xE3069283u);
  std::vector<unsigned char> zeros(32, 0), ones_(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) up[i] = static_cast<unsigned char>(i), down[i] = static_cast<unsigned char>(31 - i);
  BOOST_TEST(crc32c(zeros.data(), 32) == 0x8A9136AAu);
  BOOST_TEST(crc32c(ones_.data(), 32) == 0x62A8AB43u);
  BOOST_TEST(crc32c(up.data(), 32) == 0x46DD794Eu);
  BOOST_TEST(crc32c(down.data(), 32) == 0x113FDB5Cu);
  BOOST_TEST(crc32c(nullptr, 0) == 0u);
  // Continuing from the CRC of a prefix gives the CRC of the whole (how load/save use it).
  BOOST_TEST(crc32c(digits.data() + 4, 5, crc32c(digits.data(), 4)) == 0xE3069283u);
}

BOOST_AUTO_TEST_CASE(safetensors_records_and_verifies_the_data_checksum) {
  TempDir dir;
  StateDict sd;
  sd.insert("w", tensor_of<float>({1.0f, -2.0f, 3.5f}, {3}, kFloat32));
  sd.insert("step", tensor_of<std::int64_t>({42}, {}, kInt64));
  const std::string path = dir.file("ckpt.safetensors");
  save_safetensors(path, sd, {{"format", "x"}});
  const std::string bytes = read_bytes(path);
  const std::string data = bytes.substr(bytes.size() - 20);
  const SafetensorsFile f = load_safetensors(path);
  BOOST_TEST_REQUIRE(f.data_crc32c.has_value());
  BOOST_TEST(*f.data_crc32c == crc32c(data.data(), data.size()));
  BOOST_TEST((f.metadata == std::map<std::string, std::string>{{"format", "x"}}));  // the key is not user metadata
  BOOST_TEST(bytes.find(std::string(kDataChecksumKey)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_checksum_mismatch) {
  TempDir dir;
  StateDict sd;
  sd.insert("w", tensor_of<double>({1, 2, 3}, {3}, kFloat64));
  const std::string good = dir.file("good.safetensors");
  save_safetensors(good, sd);
  std::string bytes = read_bytes(good);
  char recorded[16];
  std::snprintf(recorded, sizeof recorded, "%08x", crc32c(bytes.data() + bytes.size() - 24, 24));
  bytes[bytes.size() - 10] ^= 0x01;  // one flipped bit in w[1]: still a perfectly plausible double
  char actual[16];
  std::snprintf(actual, sizeof actual, "%08x", crc32c(bytes.data() + bytes.size() - 24, 24));
  check_corrupt(dir, bytes, {"data checksum mismatch", recorded, actual});
  // A checksum that is not 8 hex digits is refused too.
  const std::string header = R"({"__metadata__":{"xgrad.data_crc32c":"xyz"},"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})";
  check_corrupt(dir, raw_file(header, kEightBytes), {"xgrad.data_crc32c must be 8 hex digits", "'xyz'"});
}

// ---- corrupt files ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(safetensors_rejects_missing_file) {
  TempDir dir;
  check_throws<std::runtime_error>([&] { load_safetensors(dir.file("nope.safetensors")); },
                                   {dir.file("nope.safetensors") + ": ", "cannot open", "No such file"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_a_folder) {
  TempDir dir;
  check_throws<std::runtime_error>([&] { load_safetensors(dir.path); }, {dir.path + ": ", "not a regular file"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_short_files) {
  TempDir dir;
  check_corrupt(dir, "", {"file is 0 bytes", "too short"});
  check_corrupt(dir, "1234567", {"file is 7 bytes", "too short"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_bad_header_length) {
  TempDir dir;
  check_corrupt(dir, le64(100) + "{}", {"header length 100", "beyond the end of the file (10 bytes)"});
  check_corrupt(dir, le64(100'000'001) + "{}", {"header length 100000001", "exceeds the limit of 100 MB"});
  check_corrupt(dir, le64(~std::uint64_t{0}) + "{}", {"exceeds the limit of 100 MB"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_invalid_json) {
  TempDir dir;
  check_corrupt(dir, raw_file(R"({"a": {"dtype": "F32",)"), {"header is not valid JSON"});
  check_corrupt(dir, raw_file("[1, 2]   "), {"header is not a JSON object"});
  check_corrupt(dir, raw_file(std::string("{\"\xff\":1}")), {"header is not valid JSON"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_deep_nesting) {
  TempDir dir;
  // 100 000 levels would overflow the stack of a recursive parser.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  check_corrupt(dir, raw_file(deep), {"nests deeper than 8 levels"});
  const std::string deep_objects = R"({"a":)" + std::string(20, '[') + std::string(20, ']') + "}";
  check_corrupt(dir, raw_file(deep_objects), {"nests deeper than 8 levels"});
  // Brackets inside strings (with escaped quotes) are not nesting: this header fails later.
  const std::string in_string = R"({"x\"[[[[[[[[[[": {"dtype":"F32","shape":[0],"data_offsets":[0,1]}})";
  check_corrupt(dir, raw_file(in_string), {"tensor 'x\"[[[[[[[[[['", "span 1 bytes", "needs 0"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_malformed_entries) {
  TempDir dir;
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2]}})", kEightBytes), {"tensor 'w'", "missing data_offsets"});
  check_corrupt(dir, raw_file(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", kEightBytes), {"tensor 'w'", "missing dtype"});
  check_corrupt(dir, raw_file(R"({"w":[1,2]})"), {"tensor 'w'", "not an object {dtype, shape, data_offsets}"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", kEightBytes),
                {"tensor 'w'", "unexpected field 'x'"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", kEightBytes),
                {"tensor 'w'", "shape is not an array"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", kEightBytes),
                {"tensor 'w'", "data_offsets must be [begin, end]"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", kEightBytes),
                {"tensor 'w'", "non-negative integers"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", kEightBytes),
                {"tensor 'w'", "dtype is not a string"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_unsupported_dtype) {
  TempDir dir;
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}})", kEightBytes),
                {"tensor 'w'", "dtype BF16 is not supported"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", kEightBytes),
                {"dtype F16 is not supported"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_bad_dimensions) {
  TempDir dir;
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}})", kEightBytes),
                {"tensor 'w'", "negative dimension -1"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", kEightBytes),
                {"tensor 'w'", "is not a non-negative integer"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[4611686018427387905],"data_offsets":[0,8]}})"),
                {"tensor 'w'", "dimension 4611686018427387905 exceeds 2^62"});
  std::string dims = "1";
  for (int i = 0; i < 16; ++i) dims += ",1";
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[)" + dims + R"(],"data_offsets":[0,4]}})"),
                {"tensor 'w'", "rank 17 exceeds the maximum of 16"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_byte_size_overflow) {
  TempDir dir;
  // 2^31 · 2^31 elements · 4 bytes = 2^64: wraps to 0, which would match data_offsets [0, 0].
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,0]}})"),
                {"tensor 'w'", "byte size that overflows"});
  // A later zero does not excuse an overflowing prefix (shape_numel multiplies left to right).
  check_corrupt(dir,
                raw_file(R"({"w":{"dtype":"I64","shape":[4611686018427387904,4611686018427387904,0],"data_offsets":[0,0]}})"),
                {"tensor 'w'", "overflows"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_offsets_not_matching_shape) {
  TempDir dir;
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", kEightBytes),
                {"tensor 'w'", "data_offsets [0, 8] span 8 bytes but shape [2] of F64 needs 16"});
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", kEightBytes),
                {"tensor 'w'", "begin > end"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_offsets_out_of_range) {
  TempDir dir;
  check_corrupt(dir, raw_file(R"({"w":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}})", kEightBytes),
                {"tensor 'w'", "data_offsets [0, 4000000] are out of range", "only 8 bytes of data"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_overlapping_offsets) {
  TempDir dir;
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  check_corrupt(dir, raw_file(header, kEightBytes), {"tensors 'a' and 'b' overlap"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_gaps_in_data) {
  TempDir dir;
  const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  check_corrupt(dir, raw_file(header, std::string(12, '\0')), {"gap in data", "bytes 4..8", "before tensor 'b'"});
  check_corrupt(dir, raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", kEightBytes),
                {"4 trailing bytes after the last tensor"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_duplicate_names) {
  TempDir dir;
  const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  check_corrupt(dir, raw_file(header, kEightBytes), {"duplicate name 'a'"});
  check_corrupt(dir, raw_file(R"({"a":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}})", kEightBytes),
                {"duplicate name 'dtype'", "inside an entry"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_bad_metadata) {
  TempDir dir;
  check_corrupt(dir, raw_file(R"({"__metadata__":{"step":3}})"),
                {"__metadata__ value of 'step' is not a string: 3"});
  check_corrupt(dir, raw_file(R"({"__metadata__":["a"]})"), {"__metadata__ is not an object of strings"});
}

BOOST_AUTO_TEST_CASE(safetensors_rejects_truncated_data) {
  TempDir dir;
  StateDict sd;
  sd.insert("w", tensor_of<double>({1, 2, 3}, {3}, kFloat64));
  const std::string good = dir.file("good.safetensors");
  save_safetensors(good, sd);
  const std::string bytes = read_bytes(good);
  check_corrupt(dir, bytes.substr(0, bytes.size() - 1),
                {"tensor 'w'", "data_offsets [0, 24] are out of range", "only 23 bytes", "truncated"});
}

// ---- saving ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(safetensors_save_into_missing_folder_throws_naming_path) {
  TempDir dir;
  const std::string path = dir.file("no/such/folder/model.safetensors");
  StateDict sd;
  sd.insert("w", ones({2}));
  check_throws<std::runtime_error>([&] { save_safetensors(path, sd); }, {path + ": ", "No such file or directory"});
  BOOST_TEST(dir.files().empty());
}

BOOST_AUTO_TEST_CASE(safetensors_failed_rename_leaves_no_temp_file) {
  TempDir dir;
  // The target is a non-empty folder: the temp file is written, then the rename fails.
  const std::string path = dir.file("target");
  BOOST_TEST_REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  write_bytes(path + "/keep", "x");
  StateDict sd;
  sd.insert("w", ones({4}));
  check_throws<std::runtime_error>([&] { save_safetensors(path, sd); }, {path + ": ", "rename", "failed: "});
  BOOST_TEST(dir.files() == std::vector<std::string>{"target"}, boost::test_tools::per_element());
  std::remove((path + "/keep").c_str());
  ::rmdir(path.c_str());
}

BOOST_AUTO_TEST_CASE(safetensors_save_replaces_existing_file) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  write_bytes(path, std::string(1000, 'z'));  // longer than the new file: no stale tail may remain
  StateDict sd;
  sd.insert("w", tensor_of<float>({1.0f, 2.0f}, {2}, kFloat32));
  save_safetensors(path, sd, {{"step", "1"}});
  sd.insert("w", tensor_of<float>({3.0f, 4.0f}, {2}, kFloat32));
  save_safetensors(path, sd, {{"step", "2"}});
  const SafetensorsFile f = load_safetensors(path);
  BOOST_TEST(f.tensors.at("w").to_vector() == std::vector<double>({3.0, 4.0}), boost::test_tools::per_element());
  BOOST_TEST(f.metadata.at("step") == "2");
  BOOST_TEST(read_bytes(path).find('z') == std::string::npos);
  BOOST_TEST(dir.files() == std::vector<std::string>{"ckpt.safetensors"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(safetensors_save_rejects_reserved_and_undefined) {
  TempDir dir;
  StateDict reserved;
  reserved.insert("__metadata__", ones({1}));
  check_throws([&] { save_safetensors(dir.file("a"), reserved); }, {"save_safetensors", "'__metadata__' is reserved"});
  StateDict undefined;
  undefined.insert("w", Tensor());
  check_throws([&] { save_safetensors(dir.file("b"), undefined); }, {"save_safetensors", "tensor 'w' is undefined"});
  StateDict fine;
  fine.insert("w", ones({1}));
  check_throws([&] { save_safetensors(dir.file("c"), fine, {{"k", "\xff"}}); }, {"save_safetensors", "not valid UTF-8"});
  check_throws([&] { save_safetensors(dir.file("d"), fine, {{kDataChecksumKey, "00000000"}}); },
               {"save_safetensors", "'xgrad.data_crc32c' is reserved"});
  BOOST_TEST(dir.files().empty());
}
