#!/usr/bin/env bash
# Corpora for examples/char_rnn.
#   scripts/get_data.sh              checks the shipped data/tinyshakespeare.txt (size and sha256)
#   scripts/get_data.sh URL [NAME]   downloads another corpus to data/NAME (default: the URL's
#                                    last component); data/ keeps only the shipped files in git
# tiny-shakespeare ships with the project (see data/README.md), so the demo never needs a network.
# Exit status: 0 ok, 1 a missing/changed shipped file or a failed download, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."

shipped=data/tinyshakespeare.txt
shipped_bytes=1115394
shipped_sha256=86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed
shipped_url=https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt

if (($# == 0)); then
  if [[ ! -f $shipped ]]; then
    echo "get_data.sh: $shipped is missing; it ships with the project: run 'git checkout -- $shipped'" \
      "(or put a copy of $shipped_url there)" >&2
    exit 1
  fi
  bytes=$(wc -c <"$shipped")
  sum=$(sha256sum "$shipped" | cut -d' ' -f1)
  if [[ $bytes != "$shipped_bytes" || $sum != "$shipped_sha256" ]]; then
    echo "get_data.sh: $shipped has $bytes bytes, sha256 $sum; expected $shipped_bytes bytes, sha256" \
      "$shipped_sha256; restore it with 'git checkout -- $shipped'" >&2
    exit 1
  fi
  echo "get_data.sh: $shipped ok ($bytes bytes, sha256 ${sum:0:12}…)"
  exit 0
fi

if (($# > 2)) || [[ $1 == -* ]]; then
  echo "usage: $0 [URL [NAME]]   (no argument: check the shipped $shipped)" >&2
  exit 2
fi
url=$1
name=${2:-$(basename "${url%%\?*}")}
target=data/$name
mkdir -p data
if [[ -s $target ]]; then echo "get_data.sh: $target already present"; exit 0; fi
echo "get_data.sh: downloading $url to $target"
ok=0
if command -v curl >/dev/null; then
  curl -fsSL --connect-timeout 20 "$url" -o "$target.tmp" 2>/dev/null && ok=1
elif command -v wget >/dev/null; then
  wget -q --timeout=20 "$url" -O "$target.tmp" && ok=1
fi
if ((ok == 0)); then
  rm -f "$target.tmp"
  echo "get_data.sh: could not download $url (no network, or no curl/wget); put the file at $target yourself" >&2
  exit 1
fi
mv "$target.tmp" "$target"
echo "get_data.sh: wrote $target ($(wc -c <"$target") bytes)"
