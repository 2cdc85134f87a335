#!/usr/bin/env bash
# Puts the tiny-shakespeare corpus (1,115,394 bytes) at data/tinyshakespeare.txt (gitignored).
# Copies it from ../shared/data/ when present, otherwise downloads it from its public source.
set -euo pipefail
cd "$(dirname "$0")/.."
target=data/tinyshakespeare.txt
mkdir -p data
if [[ -s "$target" ]]; then echo "get_data.sh: $target already present"; exit 0; fi
for shared in ../shared/data/tinyshakespeare.txt ../../shared/data/tinyshakespeare.txt; do
  if [[ -s "$shared" ]]; then cp "$shared" "$target"; echo "get_data.sh: copied $shared"; exit 0; fi
done
url=https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt
echo "get_data.sh: downloading $url"
if command -v curl >/dev/null; then curl -fsSL "$url" -o "$target.tmp"; else wget -q "$url" -O "$target.tmp"; fi
mv "$target.tmp" "$target"
