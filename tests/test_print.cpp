#define BOOST_TEST_MODULE print
#include "test_helpers.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

using namespace xg;

// Printing is compared with strings PyTorch 1.13 produced (tools/make_print_fixtures.py ->
// tests/fixtures/print/print.json): the same values, dtype, shape and op, then str(tensor).

namespace {

std::string printed(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

double value_of(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  throw std::runtime_error("print.json: unexpected value " + s);
}

Dtype dtype_of(const std::string& name) {
  if (name == "float32") return kFloat32;
  if (name == "float64") return kFloat64;
  if (name == "int64") return kInt64;
  throw std::runtime_error("print.json: unexpected dtype " + name);
}

}  // namespace

BOOST_AUTO_TEST_CASE(print_value) {
  std::ifstream in(std::string(XGRAD_FIXTURES_DIR) + "/print/print.json");
  BOOST_TEST_REQUIRE(in.good(), "tests/fixtures/print/print.json is missing");
  const nlohmann::json fixture = nlohmann::json::parse(in);
  int compared = 0;
  for (const auto& c : fixture.at("cases")) {
    std::vector<double> values;
    for (const auto& v : c.at("values")) values.push_back(value_of(v));
    const Shape shape = c.at("shape").get<Shape>();
    Tensor x = from_vector(values, shape, dtype_of(c.at("dtype").get<std::string>()));
    if (c.at("requires_grad").get<bool>()) x.requires_grad_();
    const std::string op = c.at("op").get<std::string>();
    Tensor y = op == "add" ? add(x, x) : op == "mul" ? mul(x, x) : op == "sum" ? sum(x) : op == "tanh" ? tanh(x) : x;
    const std::string expected = c.at("expected").get<std::string>();
    const std::string got = printed(y);
    BOOST_TEST(got == expected, c.at("name").get<std::string>() << ":\n" << got << "\nPyTorch:\n" << expected);
    ++compared;
  }
  BOOST_TEST(compared >= 40);
}

BOOST_AUTO_TEST_CASE(print_undefined) { BOOST_TEST(printed(Tensor()) == "tensor(undefined)"); }

BOOST_AUTO_TEST_CASE(print_shape) {
  std::ostringstream os;
  os << Shape{2, 3} << ' ' << Shape{};
  BOOST_TEST(os.str() == "[2, 3] []");
}
