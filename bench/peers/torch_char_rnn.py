#!/usr/bin/python3
"""PyTorch 1.13 eager reference for `char_rnn train` (the xgrad example), for the quality comparison.

Replicates examples/char_rnn exactly so that, started from the same weights, the two runs see the
same batches and differ only in the training math:
  - vocabulary: the sorted distinct bytes of the file (corpus.cpp build_vocabulary);
  - split: n_train = size_t(len · (1 − val_fraction)) (corpus.cpp split_tokens);
  - batches: StreamBatcher (B streams of len(train)//B tokens, (stream_length − 1)//T windows,
    time-major (T, B); after the last window all streams wrap to window 0 and the carried
    hidden state is reset to zero);
  - model: Embedding(V, E) → nn.RNN(E, H, L, tanh) → Linear(H, V), names embedding/rnn/fc,
    loaded by name from xgrad's --dump-init safetensors;
  - step: mean cross_entropy on (T·B, V) logits, zero_grad, backward, clip_grad_norm_(clip),
    Adam(lr) with default betas/eps, hidden carried detached;
  - validation (training.cpp validation_loss): batch reduced to max(1, min(B, len(val)//(T+1))),
    StreamBatcher over the validation tokens, one pass over all windows with the hidden state
    carried, eval mode, no grad, summed CE / (windows·T·batch); at every --eval-every steps and
    at the last step.
Writes a CSV with xgrad's log.csv columns (step,seconds,train_loss,val_loss,lr,chars_per_s);
chars_per_s is the same exponential moving average of B·T / step time as xgrad's.

  /usr/bin/python3 bench/peers/torch_char_rnn.py --init bench/quality/init.safetensors \
      --data data/tinyshakespeare.txt --steps 1500 --eval-every 250 --out bench/quality/torch_log.csv
"""
import argparse
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from safetensors_io import load_file  # noqa: E402


class StreamBatcher:
    """corpus.cpp StreamBatcher: B contiguous streams, windows of T inputs + T shifted targets."""

    def __init__(self, tokens, batch, seq):
        self.tokens, self.batch, self.seq = tokens, batch, seq
        self.stream_length = len(tokens) // batch
        self.windows = (self.stream_length - 1) // seq if self.stream_length > seq else 0
        if self.windows == 0:
            raise ValueError(f"text too short: {len(tokens)} tokens for {batch} streams of {seq}")
        self.window = 0
        # (B, stream_length) view of the tokens each stream reads.
        self.streams = tokens[: batch * self.stream_length].view(batch, self.stream_length)

    def next(self):
        """Returns (inputs (T, B), targets (T, B), wrapped)."""
        wrapped = False
        if self.window >= self.windows:
            self.window, wrapped = 0, True
        start = self.window * self.seq
        chunk = self.streams[:, start : start + self.seq + 1]  # (B, T+1)
        inputs = chunk[:, :-1].t().contiguous()
        targets = chunk[:, 1:].t().contiguous()
        self.window += 1
        return inputs, targets, wrapped


class CharRNN(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.RNN(embed, hidden, layers, nonlinearity="tanh")
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, tokens, h0):
        out, h_n = self.rnn(self.embedding(tokens), h0)
        return self.fc(out.reshape(-1, out.size(2))), h_n


def validation_loss(model, tokens, batch, seq):
    was_training = model.training
    model.eval()
    batch = max(1, min(batch, len(tokens) // (seq + 1)))
    batcher = StreamBatcher(tokens, batch, seq)
    total, count, hidden = 0.0, 0, None
    with torch.no_grad():
        for _ in range(batcher.windows):
            inputs, targets, _ = batcher.next()
            logits, hidden = model(inputs, hidden)
            total += F.cross_entropy(logits, targets.reshape(-1), reduction="sum").item()
            count += seq * batch
    model.train(was_training)
    return total / count


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="data/tinyshakespeare.txt")
    p.add_argument("--init", required=True, help="initial weights (xgrad's --dump-init safetensors)")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=5.0)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True, help="CSV log path")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)  # nothing is random (weights are loaded, no dropout); for definiteness

    raw = open(a.data, "rb").read()
    symbols = sorted(set(raw))
    lookup = {c: i for i, c in enumerate(symbols)}
    tokens = torch.tensor([lookup[c] for c in raw], dtype=torch.int64)
    n_train = int(len(raw) * (1 - a.val_fraction))  # same double arithmetic as the C++ cast
    train_tokens, val_tokens = tokens[:n_train], tokens[n_train:]
    V = len(symbols)

    model = CharRNN(V, a.embed, a.hidden, a.layers)
    state = load_file(a.init)
    model.load_state_dict(state, strict=True)  # raises on any missing/unexpected name or shape
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=a.lr)
    batcher = StreamBatcher(train_tokens, a.batch, a.seq)
    print(f"torch_char_rnn: torch {torch.__version__}, {torch.get_num_threads()} threads; {len(raw)} characters, "
          f"vocabulary {V}, train {len(train_tokens)}, validation {len(val_tokens)}; model "
          f"{sum(t.numel() for t in params)} parameters; {batcher.windows} windows per epoch", file=sys.stderr)

    with open(a.out, "w") as log:
        log.write("step,seconds,train_loss,val_loss,lr,chars_per_s\n")
        hidden, chars_per_s = None, 0.0
        start = time.perf_counter()
        for step in range(1, a.steps + 1):
            t0 = time.perf_counter()
            inputs, targets, wrapped = batcher.next()
            if wrapped:
                hidden = None  # a new pass over the data
            logits, h_n = model(inputs, hidden)
            loss = F.cross_entropy(logits, targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, a.clip)
            optimizer.step()
            hidden = h_n.detach()
            dt = time.perf_counter() - t0
            rate = a.seq * a.batch / dt
            chars_per_s = rate if chars_per_s == 0 else 0.9 * chars_per_s + 0.1 * rate
            seconds = time.perf_counter() - start  # before the evaluation, as xgrad logs it
            val = ""
            if step % a.eval_every == 0 or step == a.steps:
                v = validation_loss(model, val_tokens, a.batch, a.seq)
                val = repr(v)
                print(f"torch_char_rnn: step {step} train {loss.item():.4f} val {v:.4f} "
                      f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
            log.write(f"{step},{seconds:.3f},{loss.item()!r},{val},{a.lr!r},{chars_per_s:.1f}\n")
            log.flush()
            if not math.isfinite(loss.item()):
                raise SystemExit(f"torch_char_rnn: loss is {loss.item()} at step {step}")


if __name__ == "__main__":
    main()
