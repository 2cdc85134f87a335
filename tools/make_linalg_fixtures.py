"""Writes tests/fixtures/linalg/linalg_float64.safetensors (run with /usr/bin/python3, PyTorch
1.13): torch.linalg outputs and gradients that tests/test_linalg.cpp compares with xg::linalg.

Inputs (float64, seeded): A [4, 4] (well conditioned: randn + 4·I), B [4, 3], b [4],
S = M·Mᵀ + 4·I (symmetric positive-definite), and one upstream gradient per output (G_*).
Tensors written, for op in inv, det, slogdet, solve, solve_vec, cholesky, cholesky_upper:
  <op>.out (and slogdet.sign), <op>.grad_A (and solve.grad_B / solve_vec.grad_b)
The gradients are d/dA of sum(out · G) by torch.autograd, i.e. the vector-Jacobian products.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

torch.manual_seed(20240607)
dt = torch.float64
n = 4
A = torch.randn(n, n, dtype=dt) + 4 * torch.eye(n, dtype=dt)
B = torch.randn(n, 3, dtype=dt)
b = torch.randn(n, dtype=dt)
M = torch.randn(n, n, dtype=dt)
S = M @ M.T + 4 * torch.eye(n, dtype=dt)
G = {
    "inv": torch.randn(n, n, dtype=dt),
    "det": torch.randn((), dtype=dt),
    "slogdet": torch.randn((), dtype=dt),
    "solve": torch.randn(n, 3, dtype=dt),
    "solve_vec": torch.randn(n, dtype=dt),
    "cholesky": torch.randn(n, n, dtype=dt),
    "cholesky_upper": torch.randn(n, n, dtype=dt),
}

out = {"A": A, "B": B, "b": b, "S": S}
for k, g in G.items():
    out["G_" + k] = g


def vjp(name, fn, inputs, names):
    leaves = [x.clone().requires_grad_() for x in inputs]
    y = fn(*leaves)
    (y * G[name]).sum().backward()
    out[name + ".out"] = y.detach()
    for leaf, nm in zip(leaves, names):
        out[name + ".grad_" + nm] = leaf.grad


vjp("inv", torch.linalg.inv, [A], ["A"])
vjp("det", torch.linalg.det, [A], ["A"])
vjp("slogdet", lambda a: torch.linalg.slogdet(a)[1], [A], ["A"])
out["slogdet.sign"] = torch.linalg.slogdet(A)[0]
vjp("solve", torch.linalg.solve, [A, B], ["A", "B"])
vjp("solve_vec", torch.linalg.solve, [A, b], ["A", "b"])
vjp("cholesky", torch.linalg.cholesky, [S], ["A"])
vjp("cholesky_upper", lambda s: torch.linalg.cholesky(s, upper=True), [S], ["A"])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "linalg",
                    "linalg_float64.safetensors")
os.makedirs(os.path.dirname(path), exist_ok=True)
save_file({k: v.contiguous() for k, v in out.items()}, path, {"torch": torch.__version__})
print("wrote", path, len(out), "tensors")
