#!/usr/bin/env bash
# The main job: set up, build, check the shipped corpus (data/tinyshakespeare.txt), train a
# char-level RNN for a few minutes on 2 cores, then sample from the best checkpoint. Extra
# arguments go to `char_rnn train`. Needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j2 --target char_rnn
bash scripts/get_data.sh
out=runs/demo
./build/examples/char_rnn/char_rnn train --data data/tinyshakespeare.txt --hidden 256 --layers 2 --seq 100 \
  --batch 32 --minutes "${DEMO_MINUTES:-4}" --eval-every 100 --out "$out" "$@"
./build/examples/char_rnn/char_rnn eval --checkpoint "$out/best.safetensors"
echo "---- sample (temperature 0.8) ----"
./build/examples/char_rnn/char_rnn sample --checkpoint "$out/best.safetensors" --prime "ROMEO:" --length 600
echo "----"
echo "loss curve: $out/loss.svg   log: $out/log.csv   checkpoints: $out/{last,best}.safetensors"
