"""Writes tests/fixtures/linalg/linalg_batched_float64.safetensors (run with /usr/bin/python3,
PyTorch 1.13): outputs and gradients of matmul beyond 3-D, bmm, baddbmm, outer, dot and mv that
tests/test_ops_linalg_batched.cpp compares with xg's.

Inputs (float64, seeded), and the cases:
  matmul_4x3:  A4 [2, 1, 3, 4] · B3 [3, 4, 2]   (batch dims [2, 1] and [3] broadcast to [2, 3])
  matmul_1x4:  v4 [4] · B4 [2, 3, 4, 5]          (1-D left operand: a row, dropped → [2, 3, 5])
  matmul_4x1:  B4 [2, 3, 4, 5] · v5 [5]          (1-D right operand: a column, dropped → [2, 3, 4])
  bmm:         P [3, 2, 4] · Q [3, 4, 5]
  baddbmm:     0.5·I [2, 5] + (−1.5)·bmm(P, Q)   (input broadcast over the batch)
  outer:       v4 [4] ⊗ v5 [5]
  dot:         v4 · w4 [4]
  mv:          M [5, 4] · v4
  einsum_attention: "bhqd,bhkd->bhqk" on X [2, 2, 3, 4], Y [2, 2, 5, 4]
  einsum_sum_first: "ijk,jl->il" on T [2, 3, 4], U [3, 5] (k occurs once: summed before the product)
  einsum_implicit:  "ij,jk" on E [3, 4], F [4, 2] (implicit output "ik")
  einsum_one:       "bij->jb" on T
(the einsum inputs come from a second seed, so the cases above keep their values).
Tensors written: the inputs, G_<case> (one upstream gradient per case), <case>.out and
<case>.grad_<input>: d/d input of sum(out · G), i.e. the vector-Jacobian products.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

torch.manual_seed(20261129)
dt = torch.float64
inputs = {
    "A4": torch.randn(2, 1, 3, 4, dtype=dt),
    "B3": torch.randn(3, 4, 2, dtype=dt),
    "B4": torch.randn(2, 3, 4, 5, dtype=dt),
    "v4": torch.randn(4, dtype=dt),
    "w4": torch.randn(4, dtype=dt),
    "v5": torch.randn(5, dtype=dt),
    "P": torch.randn(3, 2, 4, dtype=dt),
    "Q": torch.randn(3, 4, 5, dtype=dt),
    "I": torch.randn(2, 5, dtype=dt),
    "M": torch.randn(5, 4, dtype=dt),
}
BETA, ALPHA = 0.5, -1.5
cases = {
    "matmul_4x3": (torch.matmul, ["A4", "B3"]),
    "matmul_1x4": (torch.matmul, ["v4", "B4"]),
    "matmul_4x1": (torch.matmul, ["B4", "v5"]),
    "bmm": (torch.bmm, ["P", "Q"]),
    "baddbmm": (lambda i, p, q: torch.baddbmm(i, p, q, beta=BETA, alpha=ALPHA), ["I", "P", "Q"]),
    "outer": (torch.outer, ["v4", "v5"]),
    "dot": (torch.dot, ["v4", "w4"]),
    "mv": (torch.mv, ["M", "v4"]),
}

out = dict(inputs)
for name, (fn, names) in cases.items():
    leaves = [inputs[n].clone().requires_grad_() for n in names]
    y = fn(*leaves)
    g = torch.randn(y.shape, dtype=dt)
    (y * g).sum().backward()
    out["G_" + name] = g
    out[name + ".out"] = y.detach()
    for leaf, n in zip(leaves, names):
        out[name + ".grad_" + n] = leaf.grad

torch.manual_seed(20261130)
einsum_inputs = {
    "X": torch.randn(2, 2, 3, 4, dtype=dt),
    "Y": torch.randn(2, 2, 5, 4, dtype=dt),
    "T": torch.randn(2, 3, 4, dtype=dt),
    "U": torch.randn(3, 5, dtype=dt),
    "E": torch.randn(3, 4, dtype=dt),
    "F": torch.randn(4, 2, dtype=dt),
}
inputs.update(einsum_inputs)
out.update(einsum_inputs)
einsum_cases = {
    "einsum_attention": ("bhqd,bhkd->bhqk", ["X", "Y"]),
    "einsum_sum_first": ("ijk,jl->il", ["T", "U"]),
    "einsum_implicit": ("ij,jk", ["E", "F"]),
    "einsum_one": ("bij->jb", ["T"]),
}
for name, (equation, names) in einsum_cases.items():
    leaves = [inputs[n].clone().requires_grad_() for n in names]
    y = torch.einsum(equation, *leaves)
    g = torch.randn(y.shape, dtype=dt)
    (y * g).sum().backward()
    out["G_" + name] = g
    out[name + ".out"] = y.detach()
    for leaf, n in zip(leaves, names):
        out[name + ".grad_" + n] = leaf.grad

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "linalg",
                    "linalg_batched_float64.safetensors")
os.makedirs(os.path.dirname(path), exist_ok=True)
save_file({k: v.contiguous() for k, v in out.items()}, path, {"torch": torch.__version__})
print("wrote", path, len(out), "tensors")
