#pragma once
// Shared by the tests that drive the char_rnn program (test_char_rnn, test_char_rnn_reliability,
// the distributed char_rnn tests) and test_docs (slurp).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.hpp"
#include "xgrad.hpp"

namespace xg::testing {

/// A whole file as a string ("" if it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A small corpus of pseudo-random words (deterministic), written to `path`; returns `path`.
inline std::string make_corpus(const std::string& path, std::size_t chars) {
  Generator g(7);
  const char* words[] = {"to", "be", "or", "not", "the", "king", "queen", "ROMEO:", "shall", "love", "\n"};
  std::string text;
  while (text.size() < chars) text += std::string(words[g.randint(0, 11)]) + " ";
  std::ofstream(path) << text;
  return path;
}

}  // namespace xg::testing
