#pragma once
// Shared by the tests that drive the char_rnn program (test_char_rnn, test_char_rnn_reliability)
// and test_reliability.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

/// A fresh directory under the system temp folder, removed with everything in it at scope exit.
struct TempDir {
  explicit TempDir(const std::string& prefix)
      : path(std::filesystem::temp_directory_path() /
             (prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++))) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
  static inline int counter = 0;
};

}  // namespace xg::testing
