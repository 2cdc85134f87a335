"""Writes tests/fixtures/nn_loss/losses_<dtype>.safetensors (run with /usr/bin/python3, PyTorch 1.13):
parity fixtures for L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss and
CrossEntropyLoss with class-probability targets, replayed by tests/test_nn_loss.cpp.

Layout of tools/make_nn_fixtures.py: per case the metadata (module, reduction, beta, delta,
log_target, label_smoothing), "input", "target", the optional "weight" / "pos_weight" tensors,
"out.output", "w.output" and "grad.input" (and "grad.target" where PyTorch 1.13 differentiates the
target).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nn_fixtures import Writer, flag, randn  # noqa: E402
from safetensors_io import save_file  # noqa: E402

N, C = 4, 5
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "nn_loss")
REDUCTIONS = ("mean", "sum", "none")


class LossWriter(Writer):
    def loss_case(self, module, opts, inputs, extra=None, target_grad=True):
        extra = extra or {}
        k = self.count
        for name, t in extra.items():
            self.tensors[f"case{k}.{name}"] = t.clone()
        run = lambda m, i: {"output": m(i["input"], i["target"])}  # noqa: E731
        grads = ["input", "target"] if target_grad else ["input"]
        self.add(opts, module, inputs, run, grads)

    def save(self):
        tag = "float32" if self.dtype == torch.float32 else "float64"
        self.metadata["cases"] = str(self.count)
        path = os.path.join(OUT_DIR, f"losses_{tag}.safetensors")
        save_file(self.tensors, path, self.metadata)
        print(f"{path}: {self.count} cases")


def cases(dtype):
    wr = LossWriter(dtype)
    pair = lambda *shape: {"input": randn(*shape, dtype=dtype), "target": randn(*shape, dtype=dtype)}  # noqa: E731
    for reduction in REDUCTIONS:
        wr.seed()
        wr.loss_case(torch.nn.L1Loss(reduction=reduction), dict(module="L1Loss", reduction=reduction), pair(N, C))
        for beta in (1.0, 0.5, 0.0):
            wr.seed()
            wr.loss_case(torch.nn.SmoothL1Loss(reduction=reduction, beta=beta),
                         dict(module="SmoothL1Loss", reduction=reduction, beta=repr(beta)), pair(N, C))
        for delta in (1.0, 2.0, 0.3):
            wr.seed()
            wr.loss_case(torch.nn.HuberLoss(reduction=reduction, delta=delta),
                         dict(module="HuberLoss", reduction=reduction, delta=repr(delta)), pair(N, 2, C))
        for weighted in (False, True):
            wr.seed()
            x = torch.sigmoid(randn(N, C, dtype=dtype))
            y = torch.rand(N, C, dtype=torch.float64).to(dtype)
            weight = torch.rand(C, dtype=torch.float64).to(dtype) + 0.5 if weighted else None
            extra = {"weight": weight} if weighted else {}
            # PyTorch 1.13 does not differentiate binary_cross_entropy w.r.t. its target.
            wr.loss_case(torch.nn.BCELoss(weight=weight, reduction=reduction),
                         dict(module="BCELoss", reduction=reduction), {"input": x, "target": y}, extra, False)
        for pos, weighted in ((False, False), (True, False), (True, True)):
            wr.seed()
            x = randn(N, C, dtype=dtype) * 3
            y = torch.rand(N, C, dtype=torch.float64).to(dtype)
            pos_weight = torch.rand(C, dtype=torch.float64).to(dtype) * 3 if pos else None
            weight = torch.rand(N, 1, dtype=torch.float64).to(dtype) + 0.5 if weighted else None
            extra = {k: v for k, v in (("pos_weight", pos_weight), ("weight", weight)) if v is not None}
            wr.loss_case(torch.nn.BCEWithLogitsLoss(weight=weight, reduction=reduction, pos_weight=pos_weight),
                         dict(module="BCEWithLogitsLoss", reduction=reduction), {"input": x, "target": y}, extra)
    for reduction in ("none", "batchmean", "sum", "mean"):
        for log_target in (False, True):
            wr.seed()
            x = F.log_softmax(randn(N, C, dtype=dtype), 1)
            y = F.softmax(randn(N, C, dtype=dtype), 1)
            if log_target:
                y = y.log()
            wr.loss_case(torch.nn.KLDivLoss(reduction=reduction, log_target=log_target),
                         dict(module="KLDivLoss", reduction=reduction, log_target=flag(log_target)),
                         {"input": x, "target": y})
    # A zero probability in the target: its term is 0 (xlogy); the input gradient only.
    wr.seed()
    y = F.softmax(randn(N, C, dtype=dtype), 1)
    y[1, 2] = 0
    wr.loss_case(torch.nn.KLDivLoss(reduction="sum"), dict(module="KLDivLoss", reduction="sum", log_target=flag(False)),
                 {"input": F.log_softmax(randn(N, C, dtype=dtype), 1), "target": y}, None, False)
    # cross_entropy with class probabilities: (N, C), (N, C, d), (C); label smoothing; weight.
    for shape in ((N, C), (N, C, 3), (C,)):
        for reduction in REDUCTIONS:
            for smoothing, weighted in ((0.0, False), (0.2, False), (0.1, True)):
                wr.seed()
                x = randn(*shape, dtype=dtype)
                y = F.softmax(randn(*shape, dtype=dtype), 0 if len(shape) == 1 else 1)
                weight = torch.rand(C, dtype=torch.float64).to(dtype) + 0.5 if weighted else None
                wr.loss_case(torch.nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=smoothing),
                             dict(module="CrossEntropyLoss", reduction=reduction, label_smoothing=repr(smoothing)),
                             {"input": x, "target": y}, {"weight": weight} if weighted else {})
    wr.save()


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for dtype in (torch.float32, torch.float64):
        cases(dtype)


if __name__ == "__main__":
    main()
