"""Writes tests/fixtures/tensor_api/tensor_api_float64.safetensors (run with /usr/bin/python3,
PyTorch 1.13): outputs and gradients of the tensor-API ops of issue 13 that are differentiable
(where, masked_fill, masked_select, advanced indexing, index_put_, recorded in-place ops,
remainder, float32/float64 promotion), which tests/test_tensor_api_parity.cpp compares.

Inputs (float64, seeded): X [2, 3, 4], A [2, 3], B [3], V [] and masks stored as 0/1 float64
(M23 [2, 3], M3 [3], M34 [3, 4]; the reader turns them into bool with > 0.5).
For every case <name>: <name>.out and <name>.grad_<input>, the gradients of sum(out · G_<name>).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

torch.manual_seed(20261129)
dt = torch.float64
X = torch.randn(2, 3, 4, dtype=dt)
A = torch.randn(2, 3, dtype=dt)
B = torch.randn(3, dtype=dt)
V = torch.randn((), dtype=dt)
M23 = torch.tensor([[1, 0, 1], [0, 1, 1]], dtype=dt)
M3 = torch.tensor([0, 1, 1], dtype=dt)
M34 = torch.tensor([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 0]], dtype=dt)
out = {"X": X, "A": A, "B": B, "V": V, "M23": M23, "M3": M3, "M34": M34}
inputs = {"X": X, "A": A, "B": B, "V": V}


def case(name, fn, names):
    leaves = [inputs[n].clone().requires_grad_() for n in names]
    y = fn(*leaves)
    g = torch.randn(y.shape, dtype=dt)
    (y * g).sum().backward()
    out["G_" + name] = g
    out[name + ".out"] = y.detach()
    for leaf, n in zip(leaves, names):
        out[name + ".grad_" + n] = leaf.grad


def in_place(op):
    def fn(a, b):
        y = a * 1
        op(y, b)
        return y
    return fn


def put(index, value_fn):
    def fn(x, v):
        y = x * 1
        y[index] = value_fn(v)
        return y
    return fn


case("where", lambda a, b: torch.where(M23 > 0.5, a, b), ["A", "B"])
case("masked_fill", lambda a, v: a.masked_fill(M3 > 0.5, v), ["A", "V"])
case("masked_select", lambda a: a.masked_select(M3 > 0.5), ["A"])
case("index_tensor", lambda x: x[:, torch.tensor([2, 0, 2])], ["X"])
case("index_two", lambda x: x[:, torch.tensor([[0], [1]]), torch.tensor([1, 3])], ["X"])
case("index_apart", lambda x: x[torch.tensor([1, 0]), :, torch.tensor([3, 0])], ["X"])
case("index_mask", lambda x: x[:, M34 > 0.5], ["X"])
case("index_basic", lambda x: x[1, ::2, None], ["X"])
case("index_put", put((slice(None), 2), lambda b: b[:2]), ["A", "B"])
case("index_put_mask", put(M23 > 0.5, lambda v: v), ["A", "V"])
case("mul_", in_place(lambda y, b: y.mul_(b)), ["A", "B"])
case("add_alpha", in_place(lambda y, b: y.add_(b, alpha=0.5)), ["A", "B"])
case("div_", in_place(lambda y, b: y.div_(b.abs() + 1)), ["A", "B"])
case("copy_", in_place(lambda y, b: y.copy_(b)), ["A", "B"])
case("remainder", lambda a, b: torch.remainder(a, b.abs() + 0.5), ["A", "B"])
case("promote", lambda a, b: a.float() * b + b, ["A", "B"])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "tensor_api",
                    "tensor_api_float64.safetensors")
os.makedirs(os.path.dirname(path), exist_ok=True)
save_file({k: v.contiguous() for k, v in out.items()}, path, {"torch": torch.__version__})
print("wrote", path, len(out), "tensors")
