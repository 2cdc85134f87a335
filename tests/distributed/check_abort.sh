#!/usr/bin/env bash
# Usage: check_abort.sh MPIEXEC PROBE — rank 1 of a 2-rank job throws while rank 0 waits in an
# all-reduce: the job must end within the timeout, non-zero, naming rank 1 and its error.
set -u
out=$(timeout 60 "$1" -np 2 --oversubscribe "$2" 2>&1)
rc=$?
echo "$out"
if [[ $rc -eq 124 ]]; then echo "FAIL: the job hung"; exit 1; fi
if [[ $rc -eq 0 ]]; then echo "FAIL: the job exited 0"; exit 1; fi
if ! grep -q "xgrad rank 1: uncaught exception: loss is NaN at step 7" <<<"$out"; then
  echo "FAIL: rank 1's message is missing"; exit 1
fi
echo "ok: job ended with status $rc"
