"""Writes tests/fixtures/nn_extra/<family>_float64.safetensors (run with /usr/bin/python3, PyTorch 1.13):
parity fixtures for LayerNorm, the activation modules (GELU, SiLU, LeakyReLU, ELU, Softplus,
Hardtanh, LogSigmoid), Flatten/Unflatten (replayed by tests/test_nn_modules_extra.cpp), Bilinear
(tests/test_nn_bilinear.cpp) and Embedding's max_norm, scale_grad_by_freq and from_pretrained
(tests/test_nn_embedding.cpp).

Families: layer_norm, activation, flatten, bilinear, embedding_options. embedding_options cases also
hold "after.weight": the weight after the forward (max_norm renormalises looked-up rows in place).
The layout is tools/make_nn_fixtures.py's (its Writer): per case the metadata (module and its
options, lists as "4,5"), "input" (Bilinear: "input1", "input2"), "param.<name>", "out.output",
"w.output", "grad.<input>" and "grad.param.<name>".
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_nn_fixtures  # noqa: E402
from make_nn_fixtures import Writer, flag, randn  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn_extra")
DTYPE = torch.float64


def ints(values):
    return ",".join(str(v) for v in values)


def forward(m, i):
    return {"output": m(i["input"])}


def layer_norm_cases():
    wr = Writer(DTYPE)
    for normalized_shape, input_shape in (((5,), (3, 5)), ((4, 5), (2, 4, 5)), ((4, 5), (3, 2, 4, 5))):
        for affine in (True, False):
            for eps in (1e-5, 0.1):
                wr.seed()
                m = torch.nn.LayerNorm(normalized_shape, eps=eps, elementwise_affine=affine).to(DTYPE)
                if affine:  # away from ones/zeros, so that a swapped or ignored parameter shows
                    with torch.no_grad():
                        m.weight.copy_(randn(*normalized_shape, dtype=DTYPE))
                        m.bias.copy_(randn(*normalized_shape, dtype=DTYPE))
                x = randn(*input_shape, dtype=DTYPE) * 2 + 0.5
                opts = dict(module="LayerNorm", normalized_shape=ints(normalized_shape), eps=repr(eps),
                            elementwise_affine=flag(affine))
                wr.add(opts, m, {"input": x}, forward, ["input"])
    wr.save("layer_norm")


def activation_cases():
    wr = Writer(DTYPE)
    modules = [
        (torch.nn.GELU(), dict(module="GELU", approximate="none")),
        (torch.nn.GELU(approximate="tanh"), dict(module="GELU", approximate="tanh")),
        (torch.nn.SiLU(), dict(module="SiLU")),
        (torch.nn.LeakyReLU(), dict(module="LeakyReLU", negative_slope=repr(0.01))),
        (torch.nn.LeakyReLU(0.2), dict(module="LeakyReLU", negative_slope=repr(0.2))),
        (torch.nn.ELU(), dict(module="ELU", alpha=repr(1.0))),
        (torch.nn.ELU(alpha=0.7), dict(module="ELU", alpha=repr(0.7))),
        (torch.nn.Softplus(), dict(module="Softplus", beta=repr(1.0), threshold=repr(20.0))),
        # βx crosses the threshold inside the input's range: both branches are compared.
        (torch.nn.Softplus(beta=2.0, threshold=3.0), dict(module="Softplus", beta=repr(2.0), threshold=repr(3.0))),
        (torch.nn.Hardtanh(), dict(module="Hardtanh", min_val=repr(-1.0), max_val=repr(1.0))),
        (torch.nn.Hardtanh(-0.5, 2.0), dict(module="Hardtanh", min_val=repr(-0.5), max_val=repr(2.0))),
        (torch.nn.LogSigmoid(), dict(module="LogSigmoid")),
    ]
    for m, opts in modules:
        wr.seed()
        x = randn(3, 2, 4, dtype=DTYPE) * 2.5
        wr.add(opts, m, {"input": x}, forward, ["input"])
    wr.save("activation")


def flatten_cases():
    wr = Writer(DTYPE)
    for start, end, shape in ((1, -1, (2, 3, 4, 5)), (0, -1, (2, 3, 4)), (1, 2, (2, 3, 4, 5)), (-3, -2, (2, 3, 4, 5))):
        wr.seed()
        opts = dict(module="Flatten", start_dim=start, end_dim=end)
        wr.add(opts, torch.nn.Flatten(start, end), {"input": randn(*shape, dtype=DTYPE)}, forward, ["input"])
    for dim, sizes, shape in ((1, (3, 4), (2, 12, 5)), (-1, (2, -1), (2, 3, 6)), (0, (2, 1, 3), (6, 2))):
        wr.seed()
        opts = dict(module="Unflatten", dim=dim, sizes=ints(sizes))
        wr.add(opts, torch.nn.Unflatten(dim, sizes), {"input": randn(*shape, dtype=DTYPE)}, forward, ["input"])
    wr.save("flatten")


def bilinear_cases():
    wr = Writer(DTYPE)
    in1, in2, out = 3, 4, 5
    for bias in (True, False):
        for batch in ((6,), (2, 3), ()):
            wr.seed()
            m = torch.nn.Bilinear(in1, in2, out, bias=bias).to(DTYPE)
            x1 = randn(*batch, in1, dtype=DTYPE)
            x2 = randn(*batch, in2, dtype=DTYPE)
            opts = dict(module="Bilinear", in1_features=in1, in2_features=in2, out_features=out, bias=flag(bias))
            wr.add(opts, m, {"input1": x1, "input2": x2}, lambda m, i: {"output": m(i["input1"], i["input2"])},
                   ["input1", "input2"])
    wr.save("bilinear")


def embedding_options_cases():
    wr = Writer(DTYPE)
    num, dim = 7, 4
    # Index 2 repeats (renormalised once, gradient summed); rows 0, 5 and 6 are never looked up (left
    # alone). Weights ~ 1.5·N(0, 1): norms around 3, so max_norm 2.5 rescales some rows and not others.
    indices = torch.tensor([[1, 2, 4], [2, 3, 2]])
    for padding_idx in (None, 3):
        for max_norm, norm_type, by_freq in ((None, 2.0, False), (2.5, 2.0, False), (2.5, 1.0, False),
                                             (1.5, 3.5, False), (2.0, float("inf"), False), (None, 2.0, True),
                                             (2.5, 2.0, True)):
            wr.seed()
            m = torch.nn.Embedding(num, dim, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                                   scale_grad_by_freq=by_freq).to(DTYPE)
            with torch.no_grad():
                m.weight.copy_(randn(num, dim, dtype=DTYPE) * 1.5)
            opts = dict(module="Embedding", num_embeddings=num, embedding_dim=dim,
                        padding_idx="none" if padding_idx is None else padding_idx,
                        max_norm="none" if max_norm is None else repr(max_norm), norm_type=repr(norm_type),
                        scale_grad_by_freq=flag(by_freq))
            k = wr.count
            wr.add(opts, m, {"input": indices.clone()}, forward, [])
            wr.tensors[f"case{k}.after.weight"] = m.weight.detach().clone()
    # from_pretrained(freeze=False) with max_norm: the given tensor is the weight (no copy of it is
    # renormalised elsewhere).
    wr.seed()
    pretrained = randn(num, dim, dtype=DTYPE) * 1.5
    m = torch.nn.Embedding.from_pretrained(pretrained.clone(), freeze=False, max_norm=2.0)
    opts = dict(module="Embedding", num_embeddings=num, embedding_dim=dim, padding_idx="none", max_norm=repr(2.0),
                norm_type=repr(2.0), scale_grad_by_freq=flag(False), from_pretrained=flag(True))
    k = wr.count
    wr.add(opts, m, {"input": indices.clone()}, forward, [])
    wr.tensors[f"case{k}.after.weight"] = m.weight.detach().clone()
    wr.save("embedding_options")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    make_nn_fixtures.OUT_DIR = OUT_DIR  # Writer.save writes into the module's OUT_DIR
    layer_norm_cases()
    activation_cases()
    flatten_cases()
    bilinear_cases()
    embedding_options_cases()


if __name__ == "__main__":
    main()
