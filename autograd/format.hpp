#pragma once
#include <string>

namespace xg {

/// A number the way error messages show it: the shortest %g form that reads back exactly, like
/// Python's repr (1, 1.5, -0.001, 1e-08, 1e+40, nan).
std::string format_number(double value);

}  // namespace xg
