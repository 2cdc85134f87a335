#!/usr/bin/env bash
# API reference: Doxygen HTML from the public headers into build-docs/html/index.html.
# Fails on any Doxygen warning (malformed doc comments, unresolved references).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build-docs
mkdir -p "$out"

# Guides: every ```cpp block in docs/guides/*.md (and each README.md block with a marker) follows a "<!-- snippet: examples/guides/x.cpp -->"
# line and equals the region between "// [guide]" and "// [/guide]" of that file, which is built
# and run with the examples; so no guide can show code that does not compile.
check_snippets() {
  local blocks=$out/snippets failed=0
  rm -rf "$blocks" && mkdir -p "$blocks"
  awk -v dir="$blocks" '
    FNR == 1 { marker = "" }
    /^<!-- snippet: .* -->$/ { marker = $3; next }
    /^```cpp$/ && FILENAME == "README.md" && marker == "" { next }  # README: only marked blocks are checked
    /^```cpp$/ { n++; inside = 1; file = dir "/" n; printf "%s|%d|%s\n", FILENAME, FNR, marker > (dir "/list"); printf "" > file; marker = ""; next }
    inside && /^```$/ { inside = 0; close(file); next }
    inside { print > file }
  ' docs/guides/*.md README.md
  [[ -f "$blocks/list" ]] || return 0
  local n=0 guide line source
  while IFS='|' read -r guide line source; do
    n=$((n + 1))
    if [[ -z "$source" || ! -f "$source" ]]; then
      echo "$guide:$line: code block without a <!-- snippet: examples/guides/<file>.cpp --> line naming an existing file"
      failed=1
    elif ! diff -u <(sed -n '/^\/\/ \[guide\]$/,/^\/\/ \[\/guide\]$/p' "$source" | sed '1d;$d') "$blocks/$n" >/dev/null; then
      echo "$guide:$line: code block differs from the [guide] region of $source:"
      diff -u <(sed -n '/^\/\/ \[guide\]$/,/^\/\/ \[\/guide\]$/p' "$source" | sed '1d;$d') "$blocks/$n" | head -20 || true
      failed=1
    fi
  done < "$blocks/list"
  return $failed
}
check_snippets
# Configuring (no build) stages the public headers exactly as `cmake --install` would ship them.
cmake -S . -B "$out/cmake" -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF >/dev/null
version=$(sed -n 's/^#define XGRAD_VERSION "\(.*\)"$/\1/p' "$out/cmake/include/xgrad/autograd/version.hpp")
rm -rf "$out/html" "$out/warnings.log"
# The guides stay Markdown for reading in the repository; the reference gets a short front page.
cat > "$out/mainpage.md" <<EOF
# xgrad $version API reference

C++17 deep learning in namespace \`xg\`: a tape-based autograd over tensors, PyTorch-shaped
\`xg::nn\` modules and \`xg::optim\` optimizers. Include everything with
\`#include <xgrad/xgrad.hpp>\`. Start with xg::Tensor, xg::nn::Module and xg::optim::Optimizer.

Step-by-step guides (tensors and autograd, writing a module, the training loop, checkpoints and
PyTorch, threads and determinism) are in the repository under \`docs/guides/\`.
EOF
XGRAD_VERSION=$version XGRAD_DOCS_OUTPUT=$out XGRAD_DOCS_HEADERS=$out/cmake/include/xgrad \
XGRAD_DOCS_STRIP=$out/cmake/include XGRAD_DOCS_MAINPAGE=$out/mainpage.md \
  doxygen docs/Doxyfile
# Report the repository path of each header (the staged copies have the same line numbers).
sed -i "s|$out/cmake/include/xgrad/|$root/|" "$out/warnings.log"
if [[ -s "$out/warnings.log" ]]; then
  echo "docs.sh: Doxygen warnings ($(wc -l < "$out/warnings.log") lines):"
  cat "$out/warnings.log"
  exit 1
fi
echo "docs.sh: $out/html/index.html ($(find "$out/html" -name '*.html' | wc -l) pages, no warnings)"
