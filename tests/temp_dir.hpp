#pragma once
// The tests' one temporary folder (test_serialization, the char_rnn tests, test_reliability).
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace xg::testing {

/// A fresh folder under the system temp folder, named <prefix>_XXXXXX by mkdtemp (unique across
/// processes and threads), removed with everything in it at scope exit.
struct TempDir {
  explicit TempDir(const std::string& prefix = "xgrad_test") {
    std::string name = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("TempDir: cannot create " + name);
    path = name;
  }
  ~TempDir() {
    std::error_code ignored;  // a destructor must not throw; a leftover folder is harmless
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The path of `name` inside the folder.
  std::string file(const std::string& name) const { return path + "/" + name; }
  /// The names of the entries directly inside, sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string path;
};

}  // namespace xg::testing
