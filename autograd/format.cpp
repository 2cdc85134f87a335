#include "autograd/format.hpp"

#include <cstdio>
#include <cstdlib>

namespace xg {

std::string format_number(double value) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

}  // namespace xg
