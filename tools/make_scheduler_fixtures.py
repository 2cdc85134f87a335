"""Writes tests/fixtures/optim/schedulers.safetensors (run with /usr/bin/python3, PyTorch 1.13): the
lr (and momentum) that PyTorch 1.13's OneCycleLR, ReduceLROnPlateau, SequentialLR and
ChainedScheduler set, replayed by tests/test_optim_lr_scheduler.cpp.

Per config <name>: "<name>.lr" (float64, the lr after construction and after every step),
"<name>.momentum" for OneCycleLR (SGD momentum or Adam beta1), "<name>.metrics" for
ReduceLROnPlateau (the values passed to step); metadata <name> = the PyTorch calls.
"""
import os
import sys

import torch
from torch.optim import SGD, Adam
from torch.optim.lr_scheduler import (ChainedScheduler, ExponentialLR, LinearLR, MultiStepLR, OneCycleLR,
                                      ReduceLROnPlateau, SequentialLR, StepLR)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "optim",
                   "schedulers.safetensors")


def param():
    return [torch.zeros(1, requires_grad=True)]


def momentum_of(opt):
    g = opt.param_groups[0]
    return g["betas"][0] if "betas" in g else g["momentum"]


def main():
    tensors, metadata = {}, {}

    def record(name, call, lrs, momenta=None, metrics=None):
        tensors[name + ".lr"] = torch.tensor(lrs, dtype=torch.float64)
        if momenta is not None:
            tensors[name + ".momentum"] = torch.tensor(momenta, dtype=torch.float64)
        if metrics is not None:
            tensors[name + ".metrics"] = torch.tensor(metrics, dtype=torch.float64)
        metadata[name] = call

    one_cycle = {
        "one_cycle_cos": ("SGD(lr=0.1, momentum=0.9); OneCycleLR(max_lr=1.0, total_steps=20)",
                          lambda: SGD(param(), lr=0.1, momentum=0.9), dict(max_lr=1.0, total_steps=20)),
        "one_cycle_linear_three_phase": (
            "Adam(lr=0.01); OneCycleLR(max_lr=0.05, total_steps=17, pct_start=0.25, anneal_strategy='linear', "
            "three_phase=True, div_factor=10, final_div_factor=100, base_momentum=0.8, max_momentum=0.9)",
            lambda: Adam(param(), lr=0.01),
            dict(max_lr=0.05, total_steps=17, pct_start=0.25, anneal_strategy="linear", three_phase=True,
                 div_factor=10, final_div_factor=100, base_momentum=0.8, max_momentum=0.9)),
        "one_cycle_no_momentum": ("SGD(lr=0.1); OneCycleLR(max_lr=0.3, total_steps=9, cycle_momentum=False)",
                                  lambda: SGD(param(), lr=0.1), dict(max_lr=0.3, total_steps=9, cycle_momentum=False)),
    }
    for name, (call, make_opt, kwargs) in one_cycle.items():
        opt = make_opt()
        sched = OneCycleLR(opt, **kwargs)
        lrs, momenta = [opt.param_groups[0]["lr"]], [momentum_of(opt)]
        # The last of the total_steps allowed steps extrapolates the final phase; linearly, that
        # lr is negative, which xgrad's set_lr refuses: the linear config stops one step before.
        steps = kwargs["total_steps"] - (1 if kwargs.get("anneal_strategy") == "linear" else 0)
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
            momenta.append(momentum_of(opt))
        record(name, call, lrs, momenta)

    metrics = [5.0, 4.0, 4.0, 3.9999, 4.1, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0, float("nan"), 2.5, 2.5, 2.5, 2.5, 2.5, 2.5]
    plateau = {
        "plateau_min_rel": ("SGD(lr=1.0); ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.05)",
                            dict(factor=0.5, patience=2, cooldown=1, min_lr=0.05)),
        "plateau_max_abs": ("SGD(lr=1.0); ReduceLROnPlateau(mode='max', threshold_mode='abs', threshold=0.1, "
                            "patience=1, factor=0.3)",
                            dict(mode="max", threshold_mode="abs", threshold=0.1, patience=1, factor=0.3)),
    }
    for name, (call, kwargs) in plateau.items():
        opt = SGD(param(), lr=1.0)
        sched = ReduceLROnPlateau(opt, **kwargs)
        lrs = [opt.param_groups[0]["lr"]]
        for m in metrics:
            opt.step()
            sched.step(m)
            lrs.append(opt.param_groups[0]["lr"])
        record(name, call, lrs, metrics=metrics)

    opt = SGD(param(), lr=0.1)
    sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=4), StepLR(opt, 3, 0.5),
                               ExponentialLR(opt, 0.9)], milestones=[4, 10])
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(16):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    record("sequential", "SGD(lr=0.1); SequentialLR([LinearLR(start_factor=0.1, total_iters=4), StepLR(3, 0.5), "
           "ExponentialLR(0.9)], milestones=[4, 10])", lrs)

    opt = SGD(param(), lr=0.2)
    sched = ChainedScheduler([LinearLR(opt, start_factor=0.25, total_iters=5), ExponentialLR(opt, 0.9),
                              MultiStepLR(opt, [3, 6], 0.5)])
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(10):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    record("chained", "SGD(lr=0.2); ChainedScheduler([LinearLR(start_factor=0.25, total_iters=5), ExponentialLR(0.9), "
           "MultiStepLR([3, 6], 0.5)])", lrs)
    save_file(tensors, OUT, metadata)
    print(f"{OUT}: {len(metadata)} configs")


if __name__ == "__main__":
    main()
