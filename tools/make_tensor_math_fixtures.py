"""Writes tests/fixtures/tensor_math/*.safetensors (run with /usr/bin/python3, PyTorch 1.13): the
outputs and gradients of PyTorch's activations and elementwise math that
tests/test_ops_activation.cpp and tests/test_ops_math.cpp compare with xgrad's.

For every case <c> (float64, seeded):
  <c>.x (and <c>.y, <c>.z for more operands), G_<c> (upstream gradient), <c>.out, <c>.grad_x ...
    the gradients are d/d(input) of sum(out · G), i.e. vector-Jacobian products.
  <c>.special_out, <c>.special_grad_x: the same op on special_x (NaN, ±inf, ±0, branch points)
    with an all-ones upstream gradient: PyTorch's NaN/inf semantics, forward and backward.
    PyTorch 1.13's CPU kernels are not position independent at NaN: elu/selu and hardtanh
    backward give NaN and 0 in the vectorised body (the first 8 float64 elements with AVX2) but
    g·scale and g in the scalar tail. NaN, ±inf sit at positions 0..2 of special_x, so the
    fixtures record the vectorised behaviour, which xgrad follows for every position.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

dt = torch.float64
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "tests", "fixtures", "tensor_math")
INF, NAN = math.inf, math.nan
SPECIAL = torch.tensor([NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 20.0, -20.0, 0.5, -0.5, 2.5, 1e-8, 800.0],
                       dtype=dt)


def uniform(shape, low, high):
    return torch.rand(*shape, dtype=dt) * (high - low) + low


def vjp(out, name, fn, inputs, names, special=None):
    leaves = [x.clone().requires_grad_() for x in inputs]
    y = fn(*leaves)
    g = torch.randn(y.shape, dtype=dt)
    (y * g).sum().backward()
    out[name + ".out"] = y.detach()
    out["G_" + name] = g
    for leaf, nm in zip(leaves, names):
        out[name + "." + nm] = leaf.detach()
        out[name + ".grad_" + nm] = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
    if special is not None:
        leaves = [s.clone().requires_grad_() for s in special]
        y = fn(*leaves)
        y.backward(torch.ones_like(y))
        out[name + ".special_out"] = y.detach()
        for leaf, nm in zip(leaves, names):
            out[name + ".special_" + nm] = leaf.detach()
            out[name + ".special_grad_" + nm] = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)


def write(out, filename):
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, filename)
    save_file({k: v.contiguous() for k, v in out.items()}, path, {"torch": torch.__version__})
    print("wrote", path, len(out), "tensors")


def activations():
    torch.manual_seed(20261129)
    out = {}
    cases = {
        "softplus": lambda x: F.softplus(x),
        "softplus_beta2_threshold1": lambda x: F.softplus(x, beta=2.0, threshold=1.0),
        "gelu": lambda x: F.gelu(x),
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "silu": F.silu,
        "mish": F.mish,
        "leaky_relu": lambda x: F.leaky_relu(x),
        "leaky_relu_0.2": lambda x: F.leaky_relu(x, 0.2),
        "elu": lambda x: F.elu(x),
        "elu_alpha0.5": lambda x: F.elu(x, alpha=0.5),
        "elu_scaled": lambda x: torch.ops.aten.elu(x, 0.7, 1.3, 0.8),
        "selu": F.selu,
        "hardtanh": lambda x: F.hardtanh(x),
        "hardtanh_-0.5_2": lambda x: F.hardtanh(x, -0.5, 2.0),
        "hardtanh_min_above_max": lambda x: F.hardtanh(x, 1.0, -1.0),
        "log_sigmoid": F.logsigmoid,
        "relu": torch.relu,
    }
    for name, fn in cases.items():
        vjp(out, name, fn, [uniform((3, 5), -4, 4)], ["x"], [SPECIAL])
    write(out, "activations_float64.safetensors")


def math_ops():
    torch.manual_seed(20261130)
    out = {}
    negatives = torch.tensor([-0.5, -1.5, -2.25], dtype=dt)
    unary = {  # name: (fn, low, high)
        "sin": (torch.sin, -4, 4), "cos": (torch.cos, -4, 4), "tan": (torch.tan, -1.4, 1.4),
        "asin": (torch.asin, -0.95, 0.95), "acos": (torch.acos, -0.95, 0.95), "atan": (torch.atan, -4, 4),
        "sinh": (torch.sinh, -3, 3), "cosh": (torch.cosh, -3, 3),
        "log1p": (torch.log1p, -0.9, 4), "expm1": (torch.expm1, -3, 3),
        "log2": (torch.log2, 0.05, 5), "log10": (torch.log10, 0.05, 5),
        "rsqrt": (torch.rsqrt, 0.05, 5), "reciprocal": (torch.reciprocal, 0.2, 3),
        "square": (torch.square, -3, 3), "sign": (torch.sign, -3, 3),
        "floor": (torch.floor, -3, 3), "ceil": (torch.ceil, -3, 3), "round": (torch.round, -3, 3),
        "trunc": (torch.trunc, -3, 3), "frac": (torch.frac, -3, 3),
        "erf": (torch.erf, -3, 3), "erfinv": (torch.erfinv, -0.99, 0.99),
        "lgamma": (torch.lgamma, 0.05, 6), "digamma": (torch.digamma, 0.05, 6),
    }
    for name, (fn, low, high) in unary.items():
        x = uniform((3, 5), low, high)
        if name in ("lgamma", "digamma"):
            x = torch.cat([x.flatten(), negatives]).reshape(3, 6)
        vjp(out, name, fn, [x], ["x"], [SPECIAL])
    # halves, the tie cases of round
    out["round_halves.x"] = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5], dtype=dt)
    out["round_halves.out"] = torch.round(out["round_halves.x"])
    # erfinv close to ±1, where the inverse is steep
    out["erfinv_tails.x"] = torch.tensor([1 - 1e-15, -(1 - 1e-12), 0.999999, 1e-300, -1e-20], dtype=dt)
    out["erfinv_tails.out"] = torch.erfinv(out["erfinv_tails.x"])
    # PyTorch 1.13's erfinv (Newton steps on erf) and trigamma (6 recurrence steps and a short
    # series) are off by up to 1e-4 and 1e-10 relative; mpmath's 40-digit values are the
    # reference for those, PyTorch's are kept for a looser parity check.
    import mpmath
    mpmath.mp.dps = 40
    out["erfinv_tails.exact"] = torch.tensor([float(mpmath.erfinv(mpmath.mpf(float(v))))
                                              for v in out["erfinv_tails.x"]], dtype=dt)
    out["digamma.exact_grad_x"] = torch.tensor([float(mpmath.psi(1, mpmath.mpf(float(v))))
                                                for v in out["digamma.x"].flatten()], dtype=dt).reshape(3, 6)

    sp_a = torch.tensor([-2.0, 0.0, 0.0, -2.0, 2.0, NAN, INF, 0.0, 3.0, -INF, 1.0], dtype=dt)
    sp_b = torch.tensor([3.0, 0.0, -1.0, 0.5, NAN, 0.0, -1.0, 2.0, INF, 3.0, INF], dtype=dt)
    vjp(out, "atan2", torch.atan2, [uniform((3, 5), -3, 3), uniform((5,), -3, 3)], ["x", "y"], [sp_a, sp_b])
    vjp(out, "pow", torch.pow, [uniform((3, 5), 0.2, 3), uniform((3, 1), -2, 2)], ["x", "y"], [sp_a, sp_b])
    vjp(out, "pow_scalar_base", lambda e: torch.pow(2.5, e), [uniform((4,), -2, 2)], ["x"])
    vjp(out, "lerp", torch.lerp, [uniform((3, 5), -3, 3), uniform((5,), -3, 3), uniform((3, 1), -0.5, 1.5)],
        ["x", "y", "z"], [sp_a, sp_b, torch.tensor([0.3, 0.7, 1.0, 0.0, 0.5, 0.2, 0.9, -0.5, 0.4, 0.6, 2.0], dtype=dt)])
    vjp(out, "lerp_scalar_0.3", lambda s, e: torch.lerp(s, e, 0.3), [uniform((3, 5), -3, 3), uniform((3, 5), -3, 3)],
        ["x", "y"])
    vjp(out, "lerp_scalar_0.8", lambda s, e: torch.lerp(s, e, 0.8), [uniform((3, 5), -3, 3), uniform((3, 5), -3, 3)],
        ["x", "y"])
    write(out, "math_float64.safetensors")


if __name__ == "__main__":
    activations()
    math_ops()
