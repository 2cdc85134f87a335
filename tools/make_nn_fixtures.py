"""Writes tests/fixtures/nn/<family>_<dtype>.safetensors (run with /usr/bin/python3, PyTorch 1.13):
PyTorch parity fixtures for the nn modules, replayed by tests/test_nn_parity.cpp.

Families: linear, rnn_cell, rnn, embedding, softmax (Softmax and LogSoftmax), cross_entropy.
rnn is written in float32 and float64; linear, rnn_cell and cross_entropy too; the rest in float64.

Each file holds cases case0, case1, ...; every case is built after torch.manual_seed(<k>) and stores
  case<k>.param.<name>         the module's state_dict (PyTorch's names, checked by a strict load)
  case<k>.input, .h0, .target  the forward's arguments (h0 only when given; target int64)
  case<k>.out.<o>              expected outputs: "output" (and "h_n" for RNN)
  case<k>.w.<o>                fixed random weights; the test backpropagates L = Σ_o Σ w.<o> ⊙ out.<o>
  case<k>.grad.<x>             dL/dx for every float input x (input, h0)
  case<k>.grad.param.<name>    dL/dparameter for every parameter
Metadata "case<k>.<option>" describes the module ("module", sizes, flags) so that the C++ test
constructs it without hard-coding; "cases" is the number of cases in the file.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

L, N, H_IN, H = 5, 3, 4, 6
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn")


def flag(b):
    return "1" if b else "0"


class Writer:
    """Collects the cases of one file."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.tensors = {}
        self.metadata = {}
        self.count = 0

    def seed(self):
        torch.manual_seed(1000 + self.count)

    def add(self, options, module, inputs, run, grad_inputs):
        """options: metadata; inputs: {name: tensor} (float ones listed in grad_inputs get grads);
        run(module, inputs) -> {output name: tensor}."""
        k, prefix = self.count, f"case{self.count}."
        self.count += 1
        for name, value in options.items():
            self.metadata[prefix + name] = str(value)
        for name, t in module.state_dict().items():
            self.tensors[prefix + "param." + name] = t.detach().clone()
        for name, t in inputs.items():
            self.tensors[prefix + name] = t.detach().clone()
            if name in grad_inputs:
                t.requires_grad_(True)
        outputs = run(module, inputs)
        loss = 0
        gen = torch.Generator().manual_seed(77 + k)
        for name, out in outputs.items():
            w = torch.rand(out.shape, generator=gen, dtype=torch.float64).mul(2).sub(1).to(self.dtype)
            self.tensors[prefix + "w." + name] = w
            self.tensors[prefix + "out." + name] = out.detach().clone()
            loss = loss + (w * out).sum()
        loss.backward()
        for name in grad_inputs:
            self.tensors[prefix + "grad." + name] = inputs[name].grad.detach().clone()
        for name, p in module.named_parameters():
            self.tensors[prefix + "grad.param." + name] = p.grad.detach().clone()

    def save(self, family):
        tag = "float32" if self.dtype == torch.float32 else "float64"
        self.metadata["cases"] = str(self.count)
        path = os.path.join(OUT_DIR, f"{family}_{tag}.safetensors")
        save_file(self.tensors, path, self.metadata)
        print(f"{path}: {self.count} cases")


def randn(*shape, dtype):
    return torch.randn(*shape, dtype=torch.float64).to(dtype)


def linear_cases(dtype):
    wr = Writer(dtype)
    for bias in (True, False):
        for shape in ((N, H_IN), (2, N, H_IN), (H_IN,)):
            wr.seed()
            m = torch.nn.Linear(H_IN, H, bias=bias).to(dtype)
            x = randn(*shape, dtype=dtype)
            opts = dict(module="Linear", in_features=H_IN, out_features=H, bias=flag(bias))
            wr.add(opts, m, {"input": x}, lambda m, i: {"output": m(i["input"])}, ["input"])
    wr.save("linear")


def rnn_cell_cases(dtype):
    wr = Writer(dtype)
    for nl in ("tanh", "relu"):
        for bias in (True, False):
            for batched in (True, False):
                for given_h0 in (True, False):
                    wr.seed()
                    m = torch.nn.RNNCell(H_IN, H, bias=bias, nonlinearity=nl).to(dtype)
                    x = randn(*((N, H_IN) if batched else (H_IN,)), dtype=dtype)
                    inputs = {"input": x}
                    if given_h0:
                        inputs["h0"] = randn(*((N, H) if batched else (H,)), dtype=dtype) * 0.5
                    opts = dict(module="RNNCell", input_size=H_IN, hidden_size=H, bias=flag(bias), nonlinearity=nl)
                    wr.add(opts, m, inputs, lambda m, i: {"output": m(i["input"], i.get("h0"))}, list(inputs))
    wr.save("rnn_cell")


def rnn_case(wr, layers, nl, batch_first, bidirectional, bias, given_h0=True, batched=True, dropout=0.0,
             training=True):
    dtype = wr.dtype
    wr.seed()
    m = torch.nn.RNN(H_IN, H, num_layers=layers, nonlinearity=nl, bias=bias, batch_first=batch_first,
                     dropout=dropout, bidirectional=bidirectional).to(dtype)
    m.train(training)
    D = 2 if bidirectional else 1
    if not batched:
        x_shape, h_shape = (L, H_IN), (D * layers, H)
    else:
        x_shape, h_shape = ((N, L, H_IN) if batch_first else (L, N, H_IN)), (D * layers, N, H)
    inputs = {"input": randn(*x_shape, dtype=dtype)}
    if given_h0:
        inputs["h0"] = randn(*h_shape, dtype=dtype) * 0.5
    opts = dict(module="RNN", input_size=H_IN, hidden_size=H, num_layers=layers, nonlinearity=nl, bias=flag(bias),
                batch_first=flag(batch_first), bidirectional=flag(bidirectional), dropout=repr(dropout),
                training=flag(training))

    def run(m, i):
        out, h_n = m(i["input"], i.get("h0"))
        return {"output": out, "h_n": h_n}

    wr.add(opts, m, inputs, run, list(inputs))


def rnn_cases(dtype):
    wr = Writer(dtype)
    for layers in (1, 2):
        for nl in ("tanh", "relu"):
            for batch_first in (False, True):
                for bidirectional in (False, True):
                    for bias in (True, False):
                        rnn_case(wr, layers, nl, batch_first, bidirectional, bias)
    # Default (zero) h0, unbatched input (batch_first has no effect on it), and inter-layer dropout
    # that eval() switches off.
    rnn_case(wr, 1, "tanh", False, False, True, given_h0=False)
    rnn_case(wr, 2, "relu", True, True, True, given_h0=False)
    rnn_case(wr, 2, "tanh", False, True, True, batched=False)
    rnn_case(wr, 2, "tanh", True, True, False, batched=False)
    rnn_case(wr, 1, "relu", False, False, True, batched=False, given_h0=False)
    rnn_case(wr, 2, "tanh", True, True, True, given_h0=False, batched=False)
    rnn_case(wr, 2, "tanh", False, False, True, dropout=0.5, training=False)
    wr.save("rnn")


def embedding_cases(dtype):
    wr = Writer(dtype)
    num, dim = 10, 4
    index_sets = {
        "2d": torch.tensor([[1, 2, 7, 2, 0], [9, 7, 7, 3, 1], [4, 2, 5, 7, 8]]),
        "1d": torch.tensor([3, 3, 7, 0, 9, 2, 7]),
    }
    for padding_idx in (None, 2, -3):
        for shape_name, idx in index_sets.items():
            wr.seed()
            m = torch.nn.Embedding(num, dim, padding_idx=padding_idx).to(dtype)
            if padding_idx is not None and shape_name == "1d":
                # PyTorch only zeroes the padding row at construction; the lookup returns whatever
                # the row holds and only its gradient is suppressed. A non-zero row tests that.
                with torch.no_grad():
                    m.weight[padding_idx].uniform_(-1, 1)
            opts = dict(module="Embedding", num_embeddings=num, embedding_dim=dim,
                        padding_idx="none" if padding_idx is None else str(padding_idx))
            wr.add(opts, m, {"input": idx}, lambda m, i: {"output": m(i["input"])}, [])
    wr.save("embedding")


def softmax_cases(dtype):
    wr = Writer(dtype)
    for kind in ("Softmax", "LogSoftmax"):
        for shape, dims in (((3, 4, 5), (0, 1, 2, -1, -3)), ((6,), (0,))):
            for d in dims:
                wr.seed()
                m = getattr(torch.nn, kind)(dim=d)
                x = randn(*shape, dtype=dtype) * 2
                wr.add(dict(module=kind, dim=d), m, {"input": x}, lambda m, i: {"output": m(i["input"])}, ["input"])
    wr.save("softmax")


def cross_entropy_cases(dtype):
    wr = Writer(dtype)
    C = 5
    option_sets = [
        dict(),
        dict(ignore_index=2),
        dict(ignore_index=-100),  # the default, with -100 present in the targets
        dict(label_smoothing=0.2),
        dict(weight=True),
        dict(weight=True, ignore_index=1, label_smoothing=0.15),
    ]
    shapes = {"NC": ((4, C), (4,)), "NCd": ((3, C, 2), (3, 2)), "NCdd": ((2, C, 2, 3), (2, 2, 3)), "C": ((C,), ())}
    for reduction in ("none", "mean", "sum"):
        for oi, opt in enumerate(option_sets):
            for shape_name, (x_shape, t_shape) in shapes.items():
                if shape_name == "NCdd" and oi not in (0, 5):
                    continue
                if shape_name == "C" and oi not in (0, 3, 4):
                    continue  # unbatched: a single target cannot be ignored without a NaN mean
                wr.seed()
                weight = (torch.rand(C, dtype=torch.float64) + 0.5).to(dtype) if opt.get("weight") else None
                ignore_index = opt.get("ignore_index", -100)
                smoothing = opt.get("label_smoothing", 0.0)
                m = torch.nn.CrossEntropyLoss(weight=weight, ignore_index=ignore_index, reduction=reduction,
                                              label_smoothing=smoothing)
                x = randn(*x_shape, dtype=dtype)
                target = torch.randint(0, C, t_shape)
                if "ignore_index" in opt and target.dim() > 0:
                    flat = target.view(-1)
                    flat[0] = ignore_index
                    flat[-2] = ignore_index
                opts = dict(module="CrossEntropyLoss", reduction=reduction, ignore_index=ignore_index,
                            label_smoothing=repr(smoothing), weight=flag(weight is not None), classes=C)
                wr.add(opts, m, {"input": x, "target": target},
                       lambda m, i: {"output": m(i["input"], i["target"])}, ["input"])
    wr.save("cross_entropy")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for dtype in (torch.float32, torch.float64):
        linear_cases(dtype)
        rnn_cell_cases(dtype)
        rnn_cases(dtype)
        cross_entropy_cases(dtype)
    embedding_cases(torch.float64)
    softmax_cases(torch.float64)


if __name__ == "__main__":
    main()
