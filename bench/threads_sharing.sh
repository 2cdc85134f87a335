#!/usr/bin/env bash
# Threads that share a core, and run-to-run spread (issue 16, item 3), for the char-RNN step
# H=128 L=1 B=1 T=100 (the point where a thread-handoff pathology shows most):
#
#   bench/threads_sharing.sh [--build DIR] [--runs N]
#
#   1. one thread vs `taskset -c 0 ... --threads 2` (two threads on one core): ratio ≤ 1.2;
#   2. one thread vs `--threads 8` on all the CPUs this process may use: ratio ≤ 1.2;
#   3. N (default 10) back-to-back 20-step runs with one thread per CPU this process may use:
#      max/min ≤ 1.3.
# Each time is the median step of a 20-step run; cases 1 and 2 alternate with the one-thread run
# (3 runs each, medians compared). Prints a markdown table, writes it between
# <!-- threads-sharing:begin --> and <!-- threads-sharing:end --> in bench/RESULTS.md, and exits 1
# if a check fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"
RUNS=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) BUILD="${2:?--build needs a directory}"; shift ;;
    --runs) RUNS="${2:?--runs needs a count}"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "threads_sharing.sh: unknown flag '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
XG="$BUILD/bench/char_rnn_throughput"
[[ -x "$XG" ]] || { echo "threads_sharing.sh: $XG not built (cmake --build $BUILD --target char_rnn_throughput)" >&2; exit 1; }

ARGS=(--hidden 128 --layers 1 --batch 1 --seq 100 --steps 20 --warmup 2)
step_ms() { "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_step_ms"])'; }

FIRST_CPU="$(python3 -c 'import os; print(min(os.sched_getaffinity(0)))')"
ALL_CPUS="$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')"
declare -a ONE SHARED EIGHT SPREAD
for r in 1 2 3; do
  ONE+=("$(step_ms "$XG" "${ARGS[@]}" --threads 1)")
  SHARED+=("$(step_ms taskset -c "$FIRST_CPU" "$XG" "${ARGS[@]}" --threads 2)")
  EIGHT+=("$(step_ms "$XG" "${ARGS[@]}" --threads 8)")
done
for ((r = 1; r <= RUNS; r++)); do
  SPREAD+=("$(step_ms "$XG" "${ARGS[@]}" --threads "$ALL_CPUS")")
done

export ONE_MS="${ONE[*]}" SHARED_MS="${SHARED[*]}" EIGHT_MS="${EIGHT[*]}" SPREAD_MS="${SPREAD[*]}" RESULTS="$ROOT/bench/RESULTS.md"
export ALL_CPUS
export WHEN="$(date -u '+%Y-%m-%d %H:%M UTC')" LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 - <<'PY'
import os, re, statistics, sys
env = os.environ
nums = lambda k: [float(x) for x in env[k].split()]
one, shared, eight, spread = nums("ONE_MS"), nums("SHARED_MS"), nums("EIGHT_MS"), nums("SPREAD_MS")
m1 = statistics.median(one)
rows, ok = [], True
def check(name, values, ratio, limit):
    global ok
    passed = ratio <= limit
    ok &= passed
    rows.append(f"| {name} | {', '.join(f'{v:.3f}' for v in values)} | {ratio:.2f} | ≤ {limit} | {'pass' if passed else '**FAIL**'} |")
check("`taskset -c 0`, `--threads 2` vs 1 thread (median step ms)", shared, statistics.median(shared) / m1, 1.2)
check(f"`--threads 8` on {env['ALL_CPUS']} CPUs vs 1 thread (median step ms)", eight, statistics.median(eight) / m1, 1.2)
check(f"{len(spread)} back-to-back runs, {env['ALL_CPUS']} threads: max/min", spread, max(spread) / min(spread), 1.3)
table = "\n".join([
    f"- Command: `bench/threads_sharing.sh`; {env['WHEN']}; {env['ALL_CPUS']} CPUs; load average at the end: {env['LOAD']}",
    f"- Step: char_rnn_throughput H=128 L=1 B=1 T=100, 20 steps + 2 warm-up; 1 thread (3 runs): {', '.join(f'{v:.3f}' for v in one)} ms, median {m1:.3f} ms",
    "",
    "| case | median step ms per run | ratio | limit | result |",
    "|---|---|---:|---:|---|",
    *rows,
])
print(table)
path = env["RESULTS"]
text = open(path).read()
begin, end = "<!-- threads-sharing:begin -->", "<!-- threads-sharing:end -->"
block = f"{begin}\n{table}\n{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text += f"\n## Threads sharing a core, and run-to-run spread (issue 16)\n\n{block}\n"
open(path, "w").write(text)
sys.exit(0 if ok else 1)
PY
