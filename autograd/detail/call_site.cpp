#include "autograd/detail/call_site.hpp"

#include <cxxabi.h>
#include <execinfo.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace xg::detail {
namespace {

// "prog(_ZN2xg4tanhERKNS_6TensorE+0x2a) [0x...]" -> "xg::tanh(xg::Tensor const&)"; a line without
// a symbol name ("prog(+0x1a2b) [0x...]") is kept as it is, minus the absolute address.
std::string readable(const char* line) {
  std::string s(line);
  const std::size_t open = s.find('('), plus = s.find('+', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || plus == std::string::npos) return s;
  const std::string mangled = s.substr(open + 1, plus - open - 1);
  if (mangled.empty()) {
    const std::size_t close = s.find(')', plus);
    return close == std::string::npos ? s : s.substr(0, close + 1);
  }
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status),
                                                  std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : mangled;
}

bool is_recording_machinery(const std::string& frame) {
  for (const char* inner : {"forward_call_site", "xg::record", "new_node", "record_inputs", "record_multi"})
    if (frame.find(inner) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string forward_call_site(int max_frames) {
  constexpr int kDepth = 32;
  void* frames[kDepth];
  const int depth = backtrace(frames, kDepth);
  std::unique_ptr<char*, void (*)(void*)> lines(backtrace_symbols(frames, depth), std::free);
  if (!lines) return "    (no stack trace available)\n";
  std::string trace;
  int shown = 0;
  bool inside = true;  // still in the recording machinery at the top of the stack
  for (int i = 0; i < depth && shown < max_frames; ++i) {
    std::string frame = readable(lines.get()[i]);
    if (inside && (i == 0 || is_recording_machinery(frame))) continue;
    inside = false;
    trace += "    #" + std::to_string(shown++) + " " + frame + "\n";
  }
  return trace;
}

}  // namespace xg::detail
