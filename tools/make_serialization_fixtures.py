"""Writes tests/fixtures/serialization/small.safetensors for tests/test_serialization.cpp.

Run from the repository root with /usr/bin/python3. The values are chosen so the C++ test can
state them literally (exact binary fractions, extremes, signed zero, infinities).
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import load_file_with_metadata, save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "serialization")


def main():
    os.makedirs(OUT, exist_ok=True)
    tensors = {
        # Data order differs from the (sorted) JSON key order on purpose.
        "weight": torch.tensor([[0.5, -1.25, 3.0], [-0.0, float("inf"), 0.1]], dtype=torch.float32),
        "bias": torch.tensor([math.pi, -2.5, 1e300], dtype=torch.float64),
        "step": torch.tensor(2**62 + 7, dtype=torch.int64),
        "ids": torch.tensor([-(2**63), -1, 0, 2**63 - 1], dtype=torch.int64),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    metadata = {"format": "pt", "source": "tools/make_serialization_fixtures.py"}
    path = os.path.join(OUT, "small.safetensors")
    save_file(tensors, path, metadata)
    back, meta = load_file_with_metadata(path)
    assert meta == metadata and list(back) == list(tensors)
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype and back[name].shape == t.shape
        assert torch.equal(back[name], t), name
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
