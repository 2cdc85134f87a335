"""Writes tests/fixtures/char_rnn/checkpoint_parity.safetensors (run with /usr/bin/python3, PyTorch 1.13).

The char_rnn example's model rebuilt in PyTorch (embedding -> nn.RNN -> fc, the same parameter
names), seeded weights, two consecutive (T, B) windows of tokens with targets, and the mean
cross-entropy PyTorch computes for each window with the hidden state carried from the first to
the second. tests/test_char_rnn_parity.cpp loads the weights into examples/char_rnn's CharRNN by
name and must reproduce both losses: a checkpoint written by xgrad means the same in PyTorch.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

V, E, H, LAYERS, T, B = 20, 8, 16, 2, 12, 3
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "char_rnn",
                   "checkpoint_parity.safetensors")


def main():
    torch.manual_seed(2024)
    model = nn.ModuleDict(dict(embedding=nn.Embedding(V, E), rnn=nn.RNN(E, H, LAYERS), fc=nn.Linear(H, V)))
    model.eval()
    tensors = {k: v.detach().clone() for k, v in model.state_dict().items()}
    hidden = None
    for w in range(2):
        tokens = torch.randint(0, V, (T, B))
        targets = torch.randint(0, V, (T * B,))
        out, hidden = model["rnn"](model["embedding"](tokens), hidden)
        logits = model["fc"](out.reshape(T * B, H))
        loss = nn.functional.cross_entropy(logits, targets)
        tensors[f"window{w}.tokens"] = tokens
        tensors[f"window{w}.targets"] = targets
        tensors[f"window{w}.loss"] = loss.detach().reshape(())
    tensors["final_hidden"] = hidden.detach().clone()
    save_file(tensors, OUT, {"vocab": str(V), "embed": str(E), "hidden": str(H), "layers": str(LAYERS)})


if __name__ == "__main__":
    main()
