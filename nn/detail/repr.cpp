#include "nn/detail/repr.hpp"

#include <cstdio>
#include <cstdlib>

namespace xg::nn::detail {

std::string python_float(double value) {
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  std::string s = text;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 'n': inf and nan stay as they are
  return s;
}

std::string python_tuple(const std::vector<std::int64_t>& values) {
  std::string s = "(";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + (values.size() == 1 ? ",)" : ")");
}

}  // namespace xg::nn::detail
