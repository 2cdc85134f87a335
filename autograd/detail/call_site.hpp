#pragma once
// Anomaly mode's pointer from a backward error to the forward code that recorded the op (internal).
#include <string>

namespace xg::detail {

/// A few frames of the current call stack, one per line ("    #0 xg::tanh(xg::Tensor const&)"),
/// demangled, starting at the code that called the recording machinery (frames of record() and
/// of this function are skipped). Function names of the executable itself need it linked with
/// -rdynamic; otherwise a frame reads "program(+0x1a2b)", which `addr2line -e program 0x1a2b`
/// resolves. Costs a stack walk (microseconds): called only when anomaly mode is on.
std::string forward_call_site(int max_frames = 8);

}  // namespace xg::detail
