#!/usr/bin/env bash
# One short char_rnn training run (tiny model, generated corpus, 20 steps with 2 checkpoints,
# then a resume and a sample) under valgrind memcheck. Fails on any definite or indirect leak
# and on any memory error (invalid read/write, use of uninitialised values, bad free).
#   scripts/memcheck.sh [BUILD_DIR]     (default build/, as made by scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/examples/char_rnn/char_rnn
[[ -x $bin ]] || { echo "memcheck.sh: $bin not found: run scripts/test.sh first" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "memcheck.sh: valgrind not installed (scripts/setup.sh installs it)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A generated corpus (deterministic): 4000 characters of words and newlines.
awk 'BEGIN { srand(7); split("to be or not the king queen ROMEO: shall love", w, " ");
             while (n < 4000) { s = w[int(rand() * 10) + 1] (rand() < 0.1 ? "\n" : " "); printf "%s", s; n += length(s) } }' \
  >"$work/corpus.txt"

# OpenBLAS's own thread pool is started at load time; one thread keeps the run short and the
# report about our code.
export OPENBLAS_NUM_THREADS=1
vg=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-origins=yes --num-callers=30)
small=(--hidden 16 --embed 8 --layers 2 --dropout 0.1 --seq 8 --batch 4 --lr 0.01 --threads 1 --seed 3)
status=0
run() {  # name, args...
  local name=$1
  shift
  echo "== memcheck: char_rnn $*"
  if ! "${vg[@]}" --log-file="$work/$name.vg" "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    echo "memcheck.sh: FAILED: char_rnn $*" >&2
    cat "$work/$name.err" "$work/$name.vg" >&2
    status=1
  fi
  grep -E "in use at exit|All heap blocks|definitely lost|indirectly lost|ERROR SUMMARY" "$work/$name.vg" | sed 's/^==[0-9]*== /   /' || true
}
run train train --data "$work/corpus.txt" "${small[@]}" --steps 20 --eval-every 10 --out "$work/run"
run resume train --data "$work/corpus.txt" "${small[@]}" --steps 24 --eval-every 10 --out "$work/run" --resume
run sample sample --checkpoint "$work/run/last.safetensors" --length 50 --seed 1
exit $status
