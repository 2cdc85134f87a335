#!/usr/bin/env bash
# Data parallelism on one machine: 2 processes × 1 thread (mpirun, --batch 16 each) against
# 1 process × 2 threads (--batch 32), the same global batch, H512 L2 B32 T100 char-RNN training,
# alternating R times; plus the cost of one blocking all-reduce of the gradients and how long
# DistributedDataParallel waited for its all-reduces at the end of backward (the part not hidden).
#
#   bench/distributed.sh [--repeats R] [--steps S] [--no-build]
#
# Prints a markdown table (chars/s min/median/max from the median step time of each run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"
REPEATS=3; STEPS=12; BUILD_FIRST=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) REPEATS="${2:?}"; shift ;;
    --steps) STEPS="${2:?}"; shift ;;
    --no-build) BUILD_FIRST=0 ;;
    *) echo "distributed.sh: unknown flag '$1'" >&2; exit 2 ;;
  esac
  shift
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [[ $BUILD_FIRST == 1 ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target char_rnn allreduce_cost
fi
BIN="$BUILD/examples/char_rnn/char_rnn"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
ARGS=(train --data "$ROOT/data/tinyshakespeare.txt" --hidden 512 --layers 2 --seq 100 --steps "$STEPS" --eval-every 100000)

# chars/s of a run from its log.csv: global batch · T / median step time (steps 3… skip warm-up).
rate() {  # LOG GLOBAL_BATCH
  python3 - "$1" "$2" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t = [float(r["seconds"]) for r in rows]
dts = [b - a for a, b in zip(t[2:], t[3:])]
print(f"{int(sys.argv[2]) * 100 / statistics.median(dts):.0f}")
PY
}
one=(); two=(); waits=()
for ((r = 0; r < REPEATS; ++r)); do
  rm -rf "$TMP/one" "$TMP/two"
  "$BIN" "${ARGS[@]}" --batch 32 --threads 2 --out "$TMP/one" 2>/dev/null
  one+=("$(rate "$TMP/one/log.csv" 32)")
  mpirun -np 2 --oversubscribe --bind-to none "$BIN" "${ARGS[@]}" --batch 16 --threads 1 --out "$TMP/two" 2>"$TMP/err"
  two+=("$(rate "$TMP/two/log.csv" 32)")
  waits+=("$(sed -n 's/.*processes: \([0-9.]*\) ms per step waited.*/\1/p' "$TMP/err")")
done
ALLREDUCE="$(mpirun -np 2 --oversubscribe --bind-to none "$BUILD/bench/allreduce_cost")"
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {printf "%s / %s / %s", v[1], v[int((NR+1)/2)], v[NR]}'; }
echo "| layout (global batch 32, H512 L2 T100) | chars/s min / median / max |"
echo "|---|---:|"
echo "| 1 process × 2 threads, --batch 32 | $(stats "${one[@]}") |"
echo "| mpirun -np 2 × 1 thread, --batch 16 each | $(stats "${two[@]}") |"
echo
echo "DDP wait at the end of backward, ms per step (min / median / max over runs): $(stats "${waits[@]}")"
echo "one blocking all-reduce of the 3.4 MB of gradients: $ALLREDUCE"
echo "load average during the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
