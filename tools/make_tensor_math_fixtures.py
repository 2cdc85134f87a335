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
    # NaN semantics (issue 13 item 11): maximum/minimum give NaN and send the full gradient to
    # both operands where either is NaN, split ties; clamp keeps NaN (gradient 0) and gives max
    # everywhere when min > max.
    nan_a = torch.tensor([NAN, 1.0, NAN, 2.0, INF, -INF, 3.0, 3.0, -INF], dtype=dt)
    nan_b = torch.tensor([1.0, NAN, NAN, 2.0, INF, 0.0, -INF, INF, -INF], dtype=dt)
    vjp(out, "maximum", torch.maximum, [uniform((3, 4), -2, 2), uniform((4,), -2, 2)], ["x", "y"], [nan_a, nan_b])
    vjp(out, "minimum", torch.minimum, [uniform((3, 4), -2, 2), uniform((4,), -2, 2)], ["x", "y"], [nan_a, nan_b])
    for name, fn in {"clamp": lambda x: torch.clamp(x, -1.0, 1.0), "clamp_min_above_max": lambda x: torch.clamp(x, 1.0, -1.0),
                     "clamp_equal_bounds": lambda x: torch.clamp(x, 0.5, 0.5),
                     "clamp_min": lambda x: torch.clamp(x, min=0.0), "clamp_max": lambda x: torch.clamp(x, max=0.0)}.items():
        vjp(out, name, fn, [uniform((3, 4), -2, 2)], ["x"], [SPECIAL])
    write(out, "math_float64.safetensors")


def statistics():
    torch.manual_seed(20261131)
    out = {}
    x34 = uniform((3, 4), 0.5, 1.5) * torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=dt)
    x234 = uniform((2, 3, 4), -2, 2)
    zeros = torch.tensor([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0], [0.5, -2.0, 1.5, 3.0]], dtype=dt)
    vjp(out, "prod_all", torch.prod, [x34], ["x"])
    vjp(out, "prod_dim1", lambda x: torch.prod(x, 1), [x34], ["x"])
    vjp(out, "prod_dim0_keepdim", lambda x: torch.prod(x, 0, keepdim=True), [x234], ["x"])
    vjp(out, "prod_zeros_dim1", lambda x: torch.prod(x, 1), [zeros], ["x"])
    vjp(out, "prod_zeros_all", torch.prod, [zeros[0:1]], ["x"])
    vjp(out, "var_all", torch.var, [x234], ["x"])
    vjp(out, "var_dim0_correction0_keepdim", lambda x: torch.var(x, 0, unbiased=False, keepdim=True), [x234], ["x"])
    vjp(out, "var_dims12_correction2", lambda x: torch.var(x, (1, 2), correction=2), [x234], ["x"])
    vjp(out, "std_all", torch.std, [x234], ["x"])
    vjp(out, "std_dim2", lambda x: torch.std(x, 2), [x234], ["x"])
    vjp(out, "std_dims01_biased_keepdim", lambda x: torch.std(x, (0, 1), unbiased=False, keepdim=True), [x234], ["x"])
    vjp(out, "norm_2_all", lambda x: torch.norm(x), [x234], ["x"])
    vjp(out, "norm_1_dim1", lambda x: torch.norm(x, 1, 1), [x234], ["x"])
    vjp(out, "norm_inf_dim0_keepdim", lambda x: torch.norm(x, math.inf, 0, keepdim=True), [x234], ["x"])
    vjp(out, "norm_3_dims01", lambda x: torch.norm(x, 3, (0, 1)), [x234], ["x"])
    vjp(out, "norm_fro_dims12", lambda x: torch.norm(x, "fro", (1, 2)), [x234], ["x"])
    with_zero_row = x34.clone()
    with_zero_row[1] = 0
    vjp(out, "norm_2_zero_row", lambda x: torch.norm(x, 2, 1), [with_zero_row], ["x"])
    vjp(out, "norm_inf_ties", lambda x: torch.norm(x, math.inf, 1),
        [torch.tensor([[1.0, -3.0, 3.0, 2.0], [0.5, 0.25, -0.5, 0.1]], dtype=dt)], ["x"])
    vjp(out, "cumsum_dim1", lambda x: torch.cumsum(x, 1), [x234], ["x"])
    vjp(out, "cumsum_dim0", lambda x: torch.cumsum(x, 0), [x34], ["x"])
    vjp(out, "cumprod_dim2", lambda x: torch.cumprod(x, 2), [x234], ["x"])
    vjp(out, "cumprod_zeros_dim1", lambda x: torch.cumprod(x, 1), [zeros], ["x"])
    # sort / topk: values (differentiable) and indices
    no_ties = torch.tensor([[3.0, 1.0, 2.5, NAN, 1.5, 2.0], [0.5, -1.0, 0.25, 0.75, INF, -INF]], dtype=dt)
    ties = torch.tensor([[3.0, 1.0, 3.0, NAN, 1.0, 2.0], [0.5, -1.0, 0.5, 0.5, INF, -INF]], dtype=dt)
    for name, fn in {
        "sort_dim1": lambda x: torch.sort(x, 1),
        "sort_dim0_descending": lambda x: torch.sort(x, 0, descending=True),
        "sort_ties_stable": lambda x: torch.sort(x, stable=True, dim=1),
        "sort_ties_stable_descending": lambda x: torch.sort(x, stable=True, dim=1, descending=True),
        "topk_2_dim1": lambda x: torch.topk(x, 2, 1),
        "topk_3_dim0_smallest": lambda x: torch.topk(x, 2, 0, largest=False),
        "topk_nan": lambda x: torch.topk(x, 3, 1),
    }.items():
        # (PyTorch's topk orders tied values arbitrarily, so topk_nan has NaN and ±inf, no ties)
        src = ties if "ties" in name else no_ties if "nan" in name else x234
        vjp(out, name, lambda x, fn=fn: fn(x)[0], [src], ["x"])
        out[name + ".indices"] = fn(src)[1]
    # max / min along a dim: values and the index they came from (a NaN wins, first one)
    for name, fn, src in [
        ("max_dim1", lambda x: torch.max(x, 1), x234),
        ("min_dim0_keepdim", lambda x: torch.min(x, 0, keepdim=True), x234),
        ("max_nan_dim1", lambda x: torch.max(x, 1), no_ties),
        ("min_nan_dim1", lambda x: torch.min(x, 1), no_ties),
    ]:
        vjp(out, name, lambda x, fn=fn: fn(x)[0], [src], ["x"])
        out[name + ".indices"] = fn(src)[1]
    write(out, "statistics_float64.safetensors")


def gather_ops():
    torch.manual_seed(20261201)
    out = {}
    x = uniform((3, 4), -2, 2)
    idx = torch.tensor([[0, 3, 3], [2, 2, 1], [1, 0, 3]])
    vjp(out, "gather_dim1", lambda x: torch.gather(x, 1, idx), [x], ["x"])
    out["gather_dim1.index"] = idx
    idx0 = torch.tensor([[2, 0, 1, 2], [0, 0, 2, 1]])
    vjp(out, "gather_dim0", lambda x: torch.gather(x, 0, idx0), [x], ["x"])
    out["gather_dim0.index"] = idx0
    src = uniform((3, 3), -2, 2)
    vjp(out, "scatter_add_dim1", lambda s, v: torch.scatter_add(s, 1, idx, v), [x, src], ["x", "y"])
    out["scatter_add_dim1.index"] = idx
    uniq = torch.tensor([[0, 3, 1], [2, 0, 1], [1, 2, 3]])
    vjp(out, "scatter_dim1", lambda s, v: torch.scatter(s, 1, uniq, v), [x, src], ["x", "y"])
    out["scatter_dim1.index"] = uniq
    vjp(out, "scatter_value", lambda s: torch.scatter(s, 1, uniq, 0.25), [x], ["x"])
    out["scatter_value.index"] = uniq
    rows = torch.tensor([2, 0, 2])
    source = uniform((3, 4), -2, 2)
    vjp(out, "index_add_dim0", lambda s, v: torch.index_add(s, 0, rows, v, alpha=1.5), [x, source], ["x", "y"])
    out["index_add_dim0.index"] = rows
    cols = torch.tensor([1, 1])
    vjp(out, "index_add_dim1", lambda s, v: torch.index_add(s, 1, cols, v), [x, uniform((3, 2), -2, 2)], ["x", "y"])
    out["index_add_dim1.index"] = cols
    tidx = torch.tensor([[0], [3], [2]])
    vjp(out, "take_along_dim1", lambda x: torch.take_along_dim(x, tidx, 1), [x], ["x"])
    out["take_along_dim1.index"] = tidx
    bidx = torch.tensor([[1, 0, 2, 2]])  # broadcast over rows of a [3, 4] input along dim 0
    vjp(out, "take_along_dim0_broadcast", lambda x: torch.take_along_dim(x, bidx, 0), [x], ["x"])
    out["take_along_dim0_broadcast.index"] = bidx
    flat = torch.tensor([11, 0, 5])
    vjp(out, "take_along_flat", lambda x: torch.take_along_dim(x, flat), [x], ["x"])
    out["take_along_flat.index"] = flat
    vjp(out, "flip_02", lambda x: torch.flip(x, (0, 2)), [uniform((2, 3, 4), -2, 2)], ["x"])
    x234 = uniform((2, 3, 4), -2, 2)
    vjp(out, "roll_1_dim2_-2_dim0", lambda x: torch.roll(x, (1, -2), (2, 0)), [x234], ["x"])
    vjp(out, "roll_flat_5", lambda x: torch.roll(x, 5), [x234], ["x"])
    vjp(out, "repeat_2_1_3", lambda x: x.repeat(2, 1, 3), [x], ["x"])
    vjp(out, "tile_2", lambda x: torch.tile(x, (2,)), [x], ["x"])
    vjp(out, "tril", torch.tril, [x234], ["x"])
    vjp(out, "triu_1", lambda x: torch.triu(x, 1), [x234], ["x"])
    vjp(out, "tril_-1", lambda x: torch.tril(x, -1), [x], ["x"])
    vjp(out, "diag_vector_1", lambda v: torch.diag(v, 1), [uniform((3,), -2, 2)], ["x"])
    vjp(out, "diag_vector_-2", lambda v: torch.diag(v, -2), [uniform((3,), -2, 2)], ["x"])
    vjp(out, "diag_matrix", torch.diag, [x], ["x"])
    vjp(out, "diag_matrix_-1", lambda m: torch.diag(m, -1), [x], ["x"])
    vjp(out, "pad_1_2_0_1", lambda x: F.pad(x, (1, 2, 0, 1), value=0.5), [x234], ["x"])
    vjp(out, "pad_crop", lambda x: F.pad(x, (-1, 1, 1, -2)), [x234], ["x"])
    vjp(out, "movedim_0_2", lambda x: torch.movedim(x, 0, 2), [x234], ["x"])
    vjp(out, "t", torch.t, [x], ["x"])
    write(out, "gather_float64.safetensors")


if __name__ == "__main__":
    activations()
    math_ops()
    statistics()
    gather_ops()
