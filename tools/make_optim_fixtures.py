"""Writes tests/fixtures/optim/trajectories_{float32,float64}.safetensors (run with /usr/bin/python3,
PyTorch 1.13): optimizer trajectories that tests/test_optim.cpp replays and compares.

Every configuration starts from the same seeded parameters (shapes (3, 4) and (5,)) and is fed the
same 12 precomputed gradient sets (p.grad assigned by hand, foreach=False: the single-tensor path).
At step 5 (index 4) parameter 1 gets no gradient, so it is skipped (and Adam's per-parameter step
count lags behind parameter 0's). Tensors written:
  init.0, init.1            initial parameters
  grads.0 [12, 3, 4], grads.1 [12, 5]
  has_grad.1 [12] (int64)   0 where parameter 1 has no gradient
  <config>.0 [12, 3, 4], <config>.1 [12, 5]   parameters after each step
Metadata maps each <config> to its constructor call, which the C++ test checks verbatim.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import save_file  # noqa: E402

STEPS = 12
SKIP_STEP = 4  # parameter 1 has no gradient at this step

# name -> (optimizer class, keyword arguments); kwargs that change the update formula.
CONFIGS = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    "sgd_dampening": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.5)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_weight_decay": (torch.optim.SGD, dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    "sgd_maximize": (torch.optim.SGD, dict(lr=0.1, momentum=0.9, maximize=True)),
    "adam_plain": (torch.optim.Adam, dict(lr=0.01)),
    "adam_weight_decay": (torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    "adam_maximize": (torch.optim.Adam, dict(lr=0.01, eps=1e-3, maximize=True)),
    "adamw_plain": (torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.01, amsgrad=True)),
    "rmsprop_plain": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9)),
    "rmsprop_centered": (torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    "rmsprop_momentum": (torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    "rmsprop_weight_decay": (torch.optim.RMSprop, dict(lr=0.01, weight_decay=0.1, centered=True, momentum=0.5)),
    "adagrad_plain": (torch.optim.Adagrad, dict(lr=0.1)),
    "adagrad_lr_decay": (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05)),
    "adagrad_initial_accumulator_value": (torch.optim.Adagrad, dict(lr=0.1, initial_accumulator_value=0.5)),
    "adagrad_weight_decay": (torch.optim.Adagrad, dict(lr=0.1, weight_decay=0.1, eps=1e-4)),
    "adamax_plain": (torch.optim.Adamax, dict(lr=0.01)),
    "adamax_weight_decay": (torch.optim.Adamax, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    "adamax_maximize": (torch.optim.Adamax, dict(lr=0.01, eps=1e-3, maximize=True)),
    # beta2 = 0.9 reaches rho_t > 5 (the rectified branch) at step 6, so both branches run.
    "radam_plain": (torch.optim.RAdam, dict(lr=0.01)),
    "radam_rectified": (torch.optim.RAdam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    "nadam_plain": (torch.optim.NAdam, dict(lr=0.01)),
    "nadam_weight_decay": (torch.optim.NAdam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
}


def describe(cls, kwargs):
    return cls.__name__ + "(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "optim")
    os.makedirs(out_dir, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    init = [torch.randn(3, 4, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)]
    # Gradient scale varies over steps so that amsgrad's running max differs from v.
    scale = torch.tensor([1.0, 0.3, 2.0, 0.5, 1.5, 0.2, 1.0, 3.0, 0.4, 0.8, 1.2, 0.1], dtype=torch.float64)
    grads = [torch.randn(STEPS, *p.shape, generator=g, dtype=torch.float64) * scale.view(-1, *([1] * p.dim()))
             for p in init]
    has_grad1 = torch.ones(STEPS, dtype=torch.int64)
    has_grad1[SKIP_STEP] = 0

    for dtype, tag in ((torch.float32, "float32"), (torch.float64, "float64")):
        tensors = {
            "init.0": init[0].to(dtype), "init.1": init[1].to(dtype),
            "grads.0": grads[0].to(dtype), "grads.1": grads[1].to(dtype),
            "has_grad.1": has_grad1,
        }
        metadata = {"skip": f"parameter 1 has no gradient at step index {SKIP_STEP}"}
        for name, (cls, kwargs) in CONFIGS.items():
            params = [p.to(dtype).clone().requires_grad_() for p in init]
            opt = cls(params, foreach=False, **kwargs)
            traj = [torch.empty(STEPS, *p.shape, dtype=dtype) for p in params]
            for s in range(STEPS):
                opt.zero_grad(set_to_none=True)
                params[0].grad = grads[0][s].to(dtype).clone()
                if has_grad1[s]:
                    params[1].grad = grads[1][s].to(dtype).clone()
                opt.step()
                for k, p in enumerate(params):
                    traj[k][s] = p.detach()
            tensors[name + ".0"], tensors[name + ".1"] = traj
            metadata[name] = describe(cls, kwargs)
        save_file(tensors, os.path.join(out_dir, f"trajectories_{tag}.safetensors"), metadata)


if __name__ == "__main__":
    main()
