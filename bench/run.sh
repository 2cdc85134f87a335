#!/usr/bin/env bash
# Side-by-side char-RNN training throughput, xgrad vs libtorch vs oneDNN, written into bench/RESULTS.md.
#
#   bench/run.sh [--quick] [--repeats R] [--threads K] [--no-build] [--model rnn|lstm|gru]
#                [--baseline BIN]   (another char_rnn_throughput, e.g. an older xgrad, run alongside)
#                [--onednn-threads best|N]   (oneDNN peer: best of 1 and K threads per point, or N)
#
# Builds Release in build-bench/, measures the machine's sgemm peak with K threads, then runs the
# grid H ∈ {128, 256, 512, 1024} × L ∈ {1, 2} × B ∈ {1, 32}, T = 100 (--quick: R = 1,
# H ∈ {128, 512}, L = 2), alternating xgrad and libtorch at each point (A B A B …, R repeats each,
# median chars/s; with K > 1 xgrad also runs on 1 thread for the scaling column). Both processes get the same OPENBLAS_CORETYPE (the kernel xgrad reports), the
# same thread count, and OMP_WAIT_POLICY=PASSIVE (unless set by the caller; xgrad has no OpenMP,
# libtorch's spinning OpenMP workers otherwise starve OpenBLAS's threads on a shared 2-core box).
# The oneDNN peer (bench/peers/onednn_char_rnn.cpp, when libdnnl-dev is installed) joins the
# alternation after its gradient check (--check) passes; it runs with OMP_WAIT_POLICY unset (its
# OpenMP pool is the one doing the work; PASSIVE makes it several times slower), on 1 and on K
# threads at each point, and the table keeps the faster median (--onednn-threads N: N only).
# The grid table replaces whatever is between <!-- grid:begin --> and <!-- grid:end --> in
# bench/RESULTS.md; the rest of the file is kept. Raw JSON lines go to build-bench/bench-runs.jsonl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build-bench"
RESULTS="$ROOT/bench/RESULTS.md"
COMMAND="bench/run.sh $*"

QUICK=0
REPEATS=""
THREADS=2
BUILD_FIRST=1
MODEL=rnn
BASELINE=""
ONEDNN_THREADS=best
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --repeats) REPEATS="${2:?--repeats needs a value}"; shift ;;
    --threads) THREADS="${2:?--threads needs a value}"; shift ;;
    --no-build) BUILD_FIRST=0 ;;
    --model) MODEL="${2:?--model needs rnn, lstm or gru}"; shift ;;
    --baseline) BASELINE="${2:?--baseline needs a char_rnn_throughput binary}"; shift ;;
    --onednn-threads) ONEDNN_THREADS="${2:?--onednn-threads needs best or a count}"; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown flag '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ $QUICK == 1 ]]; then
  REPEATS="${REPEATS:-1}"; HS=(128 512); LS=(2); BS=(1 32)
else
  REPEATS="${REPEATS:-3}"; HS=(128 256 512 1024); LS=(1 2); BS=(1 32)
fi
T=100; V=65; E=64

if [[ $BUILD_FIRST == 1 ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target char_rnn_throughput sgemm_peak
  if cmake --build "$BUILD" --target help 2>/dev/null | grep -q libtorch_char_rnn; then
    cmake --build "$BUILD" -j2 --target libtorch_char_rnn
  fi
  if cmake --build "$BUILD" --target help 2>/dev/null | grep -q onednn_char_rnn; then
    cmake --build "$BUILD" -j2 --target onednn_char_rnn
  fi
fi
XG="$BUILD/bench/char_rnn_throughput"
TORCH="$BUILD/bench/libtorch_char_rnn"
ONEDNN="$BUILD/bench/onednn_char_rnn"
[[ -x "$XG" ]] || { echo "run.sh: $XG not built" >&2; exit 1; }
HAVE_TORCH=0; [[ -x "$TORCH" ]] && HAVE_TORCH=1
[[ $HAVE_TORCH == 1 ]] || echo "run.sh: libtorch peer not built (libtorch-dev missing?); xgrad only" >&2
HAVE_ONEDNN=0
if [[ -x "$ONEDNN" ]]; then
  # Its gradients against a naive loop first: a peer that trains wrongly is no bar to measure against.
  if "$ONEDNN" --check >&2; then HAVE_ONEDNN=1; else echo "run.sh: oneDNN peer failed --check; left out" >&2; fi
else
  echo "run.sh: oneDNN peer not built (libdnnl-dev missing?)" >&2
fi
if [[ $ONEDNN_THREADS == best ]]; then
  ONEDNN_COUNTS=(1); [[ $THREADS -gt 1 ]] && ONEDNN_COUNTS+=("$THREADS")
else
  ONEDNN_COUNTS=("$ONEDNN_THREADS")
fi

# The kernel xgrad runs (after its own selection), pinned for both processes.
KERNEL="$("$XG" --hidden 8 --layers 1 --batch 1 --seq 2 --steps 1 --warmup 0 --threads 1 |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["blas_kernel"])')"
export OPENBLAS_CORETYPE="$KERNEL"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
echo "OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE OMP_WAIT_POLICY=$OMP_WAIT_POLICY threads=$THREADS repeats=$REPEATS" >&2

PEAK_JSON="$("$BUILD/bench/sgemm_peak" --threads "$THREADS" --reps 20)"
echo "sgemm peak: $PEAK_JSON" >&2

# Steps per run, scaled so one run is a few seconds: big hidden sizes take ~2 s per step at B = 32.
steps_for() {  # H B
  local h=$1 b=$2
  if [[ $b -ge 32 ]]; then
    case $h in 128) echo 20 ;; 256) echo 12 ;; 512) echo 6 ;; *) echo 3 ;; esac
  else
    case $h in 128|256) echo 30 ;; 512) echo 15 ;; *) echo 6 ;; esac
  fi
}
warmup_for() { [[ $1 -ge 1024 ]] && echo 1 || echo 2; }

RAW="$BUILD/bench-runs.jsonl"
: > "$RAW"
START=$(date +%s)
for H in "${HS[@]}"; do
  for L in "${LS[@]}"; do
    for B in "${BS[@]}"; do
      ARGS=(--hidden "$H" --layers "$L" --batch "$B" --seq "$T" --steps "$(steps_for "$H" "$B")"
            --warmup "$(warmup_for "$H")" --threads "$THREADS" --vocab "$V" --embed "$E" --model "$MODEL")
      for ((r = 1; r <= REPEATS; r++)); do
        line="$("$XG" "${ARGS[@]}")"; echo "$line" | tee -a "$RAW" >&2
        if [[ $THREADS -gt 1 ]]; then  # xgrad on one thread too: the scaling column
          ONE=("${ARGS[@]}")
          for i in "${!ONE[@]}"; do [[ ${ONE[$i]} == --threads ]] && ONE[$((i + 1))]=1; done
          line="$("$XG" "${ONE[@]}" | sed 's/"impl":"xgrad"/"impl":"xgrad_1thread"/')"; echo "$line" | tee -a "$RAW" >&2
        fi
        if [[ -n $BASELINE ]]; then
          line="$("$BASELINE" "${ARGS[@]}" | sed 's/"impl":"xgrad"/"impl":"xgrad_baseline"/')"; echo "$line" | tee -a "$RAW" >&2
        fi
        if [[ $HAVE_TORCH == 1 ]]; then
          line="$("$TORCH" "${ARGS[@]}")"; echo "$line" | tee -a "$RAW" >&2
        fi
        if [[ $HAVE_ONEDNN == 1 ]]; then  # OMP_WAIT_POLICY unset: see the header
          for n in "${ONEDNN_COUNTS[@]}"; do
            ONE=("${ARGS[@]}")
            for i in "${!ONE[@]}"; do [[ ${ONE[$i]} == --threads ]] && ONE[$((i + 1))]=$n; done
            line="$(env -u OMP_WAIT_POLICY "$ONEDNN" "${ONE[@]}")"; echo "$line" | tee -a "$RAW" >&2
          done
        fi
      done
    done
  done
done
ELAPSED=$(( $(date +%s) - START ))

MACHINE="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(nproc) cores"
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
ONEDNN_THREAD_LIST="${ONEDNN_COUNTS[*]}"
export RAW RESULTS PEAK_JSON COMMAND MACHINE DATE LOAD ELAPSED THREADS REPEATS V E T MODEL BASELINE HAVE_ONEDNN ONEDNN_THREAD_LIST
python3 - <<'PY'
import json, os, statistics
from collections import defaultdict

env = os.environ
V, E = int(env["V"]), int(env["E"])
peak = json.loads(env["PEAK_JSON"])
peak_gflops = peak["best_gflops"]
runs = defaultdict(lambda: defaultdict(list))
for line in open(env["RAW"]):
    line = line.strip()
    if line:
        j = json.loads(line)
        runs[(j["H"], j["L"], j["B"], j["T"])][j["impl"]].append(j)

GATES = {"rnn": 1, "lstm": 4, "gru": 3}[env["MODEL"]]
HAVE_ONEDNN = env["HAVE_ONEDNN"] == "1"
MARK = "grid" if env["MODEL"] == "rnn" else "grid-" + env["MODEL"]
LAYER = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[env["MODEL"]]

def flops_per_char(H, L):
    # 6 FLOPs per weight per char (forward 2, backward 4): Σ_layers (H·H_in + H·H) + the H·V head.
    total = sum(H * (E if l == 0 else H) + H * H for l in range(L))
    return 6 * GATES * total + 6 * H * V

def med(rs, key):
    return statistics.median(r[key] for r in rs) if rs else None

def fmt(x, spec):
    return "n/a" if x is None else format(x, spec)

rows = []
for (H, L, B, T) in sorted(runs, key=lambda k: (k[0], k[1], k[2])):
    xg, th = runs[(H, L, B, T)].get("xgrad", []), runs[(H, L, B, T)].get("libtorch", [])
    x1 = runs[(H, L, B, T)].get("xgrad_1thread", [])
    xb = runs[(H, L, B, T)].get("xgrad_baseline", [])
    fpc = flops_per_char(H, L)
    cx, ct, c1 = med(xg, "chars_per_s"), med(th, "chars_per_s"), med(x1, "chars_per_s")
    speedup = cx / c1 if cx and c1 else None
    cb = med(xb, "chars_per_s")
    baseline = f" | {fmt(cb, ',.0f')} | {fmt(cx / cb if cx and cb else None, '.2f')}×" if env["BASELINE"] else ""
    scaling = f"{speedup:.2f}× ({speedup / int(env['THREADS']) * 100:.0f} %)" if speedup else "n/a"
    ratio = cx / ct if cx and ct else None
    # oneDNN: the faster of its thread counts (median over repeats for each).
    by_threads = defaultdict(list)
    for r in runs[(H, L, B, T)].get("onednn", []):
        by_threads[r["threads"]].append(r)
    co, no = max(((med(rs, "chars_per_s"), n) for n, rs in by_threads.items()), default=(None, None))
    onednn = (f" | {fmt(co, ',.0f')} ({no}t) | **{fmt(cx / co if cx and co else None, '.2f')}×**"
              if HAVE_ONEDNN else "")
    po = co * fpc / (peak_gflops * 1e9) * 100 if co else None
    peak_o = f" / {fmt(po, '.1f')}%" if HAVE_ONEDNN else ""
    # Fastest single step of all runs: the least disturbed by other processes on a shared machine.
    mx = min((r["min_step_ms"] for r in xg), default=None)
    mt = min((r["min_step_ms"] for r in th), default=None)
    ratio_min = mt / mx if mx and mt else None
    px = cx * fpc / (peak_gflops * 1e9) * 100 if cx else None
    pt = ct * fpc / (peak_gflops * 1e9) * 100 if ct else None
    rows.append(f"| H={H} L={L} B={B} | {fmt(cx, ',.0f')} | {fmt(ct, ',.0f')} | **{fmt(ratio, '.2f')}×** "
                f"| {fmt(ratio_min, '.2f')}×{onednn} | {fmt(med(xg, 'peak_rss_mib'), '.0f')} / {fmt(med(th, 'peak_rss_mib'), '.0f')} "
                f"| {fmt(fpc / 1e6, '.2f')} | {fmt(px, '.1f')}% / {fmt(pt, '.1f')}%{peak_o} "
                f"| {fmt(med(xg, 'minor_faults_per_step'), '.0f')} / {fmt(med(th, 'minor_faults_per_step'), '.0f')} "
                f"| {fmt(med(xg, 'loss'), '.3f')} / {fmt(med(th, 'loss'), '.3f')} | {scaling}{baseline} |")

kernels = sorted({r["blas_kernel"] for v in runs.values() for i, rs in v.items() if i != "onednn" for r in rs})
onednn_isa = sorted({r["blas_kernel"] for v in runs.values() for r in v.get("onednn", [])})
ONEDNN_NOTE = (f"- oneDNN: `bench/peers/onednn_char_rnn.cpp`, oneDNN 2.6.3's fused RNN primitives ({', '.join(onednn_isa)} JIT;\n"
               f"  gradients checked by its `--check` before the grid), OpenMP with `OMP_WAIT_POLICY` unset; run with\n"
               f"  {' and with '.join(env['ONEDNN_THREAD_LIST'].split())} thread(s) in the same alternation, the faster median shown with its thread count.\n"
               ) if HAVE_ONEDNN else ""
section = f"""<!-- {MARK}:begin -->
## Char-level {LAYER} training throughput, xgrad vs libtorch{" vs oneDNN" if HAVE_ONEDNN else ""}

- Command: `{env['COMMAND'].strip()}` ({env['ELAPSED']} s wall for the grid)
- Date: {env['DATE']}; machine: {env['MACHINE']}; load average at the end: {env['LOAD']}
- Step: Embedding({V}, {E}) → {LAYER}({E}, H, L) → Linear(H, {V}) → cross_entropy → backward → clip_grad_norm_(5) → Adam(2e-3),
  T = {env['T']}, synthetic random tokens, h0 = 0 every step. chars/s = B·T / median step time;
  each cell is the median over {env['REPEATS']} run(s) per implementation, run alternately (xgrad, libtorch, xgrad, …).
- Both processes: {env['THREADS']} threads (xgrad: oneTBB threads over blocks fixed by shape, OpenBLAS single-threaded;
  libtorch: `torch::set_num_threads`, OpenBLAS threads, 1 inter-op thread), `OPENBLAS_CORETYPE` pinned to the kernel xgrad reports (reported kernels: {', '.join(kernels)}),
  `OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'PASSIVE')}`.
- Peak: OpenBLAS sgemm 1024³ with {peak['threads']} threads, best of 20: **{peak_gflops:.1f} GFLOP/s** (median {peak['median_gflops']:.1f}).
  FLOPs/char ≈ 6·G·Σ_layers(H·H_in + H·H) + 6·H·V with G = {GATES} gate blocks; % peak = chars/s · FLOPs/char / peak.
- **Noise:** the machine has 2 cores shared with other engineers compiling at the same time; the load
  average above says how busy it was. Single runs can be off by 2× or more; compare ratios from
  the same run, not absolute numbers across runs. "Ratio of fastest steps" compares the single fastest
  step of each implementation over all its runs (libtorch ms / xgrad ms), which other processes disturb least.
{ONEDNN_NOTE}{"- Baseline: `" + env["BASELINE"] + "` (another xgrad build), run in the same alternation; last two columns." + chr(10) if env["BASELINE"] else ""}- Scaling: xgrad's chars/s with {env['THREADS']} threads over its chars/s with 1 thread (same point, runs interleaved),
  and that speed-up per thread (efficiency).

| point | xgrad chars/s | libtorch chars/s | ratio xgrad/libtorch | ratio of fastest steps |{" oneDNN chars/s (threads) | ratio xgrad/oneDNN |" if HAVE_ONEDNN else ""} peak RSS MiB (xgrad / libtorch) | MFLOP/char | % of peak (xgrad / libtorch{" / oneDNN" if HAVE_ONEDNN else ""}) | minor faults/step (xgrad / libtorch) | final loss (xgrad / libtorch) | xgrad 1 → {env['THREADS']} threads |{" baseline chars/s | xgrad/baseline |" if env["BASELINE"] else ""}
|---|---:|---:|---:|---:|{"---:|---:|" if HAVE_ONEDNN else ""}---:|---:|---:|---:|---:|---:|{"---:|---:|" if env["BASELINE"] else ""}
""" + "\n".join(rows) + f"\n<!-- {MARK}:end -->"

path = env["RESULTS"]
text = open(path).read() if os.path.exists(path) else "# xgrad benchmark results\n"
begin, end = f"<!-- {MARK}:begin -->", f"<!-- {MARK}:end -->"
if begin in text and end in text and text.index(begin) < text.index(end):
    text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
print(section)
PY
