#!/usr/bin/env bash
# API reference: Doxygen HTML from the public headers into build-docs/html/index.html.
# Fails on any Doxygen warning (malformed doc comments, unresolved references).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build-docs
# Configuring (no build) stages the public headers exactly as `cmake --install` would ship them.
cmake -S . -B "$out/cmake" -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF >/dev/null
version=$(sed -n 's/^#define XGRAD_VERSION "\(.*\)"$/\1/p' "$out/cmake/include/xgrad/autograd/version.hpp")
rm -rf "$out/html" "$out/warnings.log"
XGRAD_VERSION=$version XGRAD_DOCS_OUTPUT=$out XGRAD_DOCS_HEADERS=$out/cmake/include/xgrad \
XGRAD_DOCS_STRIP=$out/cmake/include XGRAD_DOCS_MAINPAGE=$root/docs/guides/README.md \
  doxygen docs/Doxyfile
# Report the repository path of each header (the staged copies have the same line numbers).
sed -i "s|$out/cmake/include/xgrad/|$root/|" "$out/warnings.log"
if [[ -s "$out/warnings.log" ]]; then
  echo "docs.sh: Doxygen warnings ($(wc -l < "$out/warnings.log") lines):"
  cat "$out/warnings.log"
  exit 1
fi
echo "docs.sh: $out/html/index.html ($(find "$out/html" -name '*.html' | wc -l) pages, no warnings)"
