#include "autograd/version.hpp"

namespace xg {

// Compiled into the library, so this is the library's version, whatever headers the caller saw.
std::string version() { return XGRAD_VERSION; }

}  // namespace xg
