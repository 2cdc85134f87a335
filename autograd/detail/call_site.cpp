#include "autograd/detail/call_site.hpp"

#include <cxxabi.h>
#include <execinfo.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

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
  for (const char* inner : {"xg::record(", "xg::record_multi("})
    if (frame.find(inner) != std::string::npos) return true;
  return false;
}

}  // namespace

std::string forward_call_site(int max_frames) {
  constexpr int kDepth = 32;
  void* addresses[kDepth];
  const int depth = backtrace(addresses, kDepth);
  std::unique_ptr<char*, void (*)(void*)> lines(backtrace_symbols(addresses, depth), std::free);
  if (!lines) return "    (no stack trace available)\n";
  std::vector<std::string> frames;
  for (int i = 0; i < depth; ++i) frames.push_back(readable(lines.get()[i]));
  // Start after the last frame of the recording machinery near the top (its internal helpers
  // have no exported names, record() itself does).
  int first = 1;
  for (int i = 1; i < depth && i < 12; ++i)
    if (is_recording_machinery(frames[static_cast<std::size_t>(i)])) first = i + 1;
  std::string trace;
  for (int i = first, shown = 0; i < depth && shown < max_frames; ++i, ++shown)
    trace += "    #" + std::to_string(shown) + " " + frames[static_cast<std::size_t>(i)] + "\n";
  return trace;
}

}  // namespace xg::detail
