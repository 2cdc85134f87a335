#define BOOST_TEST_MODULE docs
// The documentation cites only what exists: docs/errors.md names real test cases.
#include "char_rnn_harness.hpp"
#include "test_helpers.hpp"

using xg::testing::slurp;

BOOST_AUTO_TEST_CASE(errors_md_names_only_existing_tests) {
  // docs/errors.md backs each rejected input with a test case named `test_<family>:<case>`.
  const std::string doc = slurp(std::string(XGRAD_SOURCE_DIR) + "/docs/errors.md");
  BOOST_TEST_REQUIRE(!doc.empty());
  std::size_t checked = 0;
  for (std::size_t at = doc.find("`test_"); at != std::string::npos; at = doc.find("`test_", at + 1)) {
    const std::size_t end = doc.find('`', at + 1);
    const std::string ref = doc.substr(at + 1, end - at - 1);
    const std::size_t colon = ref.find(':');
    if (colon == std::string::npos) continue;
    const std::string file = ref.substr(0, colon), name = ref.substr(colon + 1);
    const std::string source = slurp(std::string(XGRAD_SOURCE_DIR) + "/tests/" + file + ".cpp");
    BOOST_TEST(!source.empty(), "docs/errors.md cites missing file tests/" << file << ".cpp");
    const bool found = source.find("_TEST_CASE(" + name + ")") != std::string::npos ||
                       source.find("_TEST_CASE(" + name + ",") != std::string::npos;
    BOOST_TEST(found, "docs/errors.md cites " << ref << ", which is not a test case");
    ++checked;
  }
  BOOST_TEST(checked > 60u);
}
