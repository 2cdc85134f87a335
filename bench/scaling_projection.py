#!/usr/bin/env python3
"""Paper projection of xgrad's char-RNN step on 1–64 cores (issue 16, item 6; docs/performance.md).

    bench/scaling_projection.py [--gflops-per-core R] [--region-us S] [--bandwidth-gbs W]

A step (Embedding → RNN(E, H, L) → Linear(H, V) → cross-entropy → backward → Adam, T = 100) is
split into the parts xgrad runs as separate kernels, each with the number of blocks blas.cpp /
parallel.hpp cut it into (fixed by shape, so also the most cores that part can use):

  chain    per time step and layer, forward h·W_hh and backward dh·W_hhᵀ: B×H by H×H, strictly
           one after the other (the recurrence); blocks = min(H/64, B·H²/2¹⁸) for B > 1 (gemm),
           min(H/64, H²/2¹⁶) for B = 1 (gemv)
  batched  input projection forward/backward and every weight gradient, over all T·B rows at once
           (up to 256 blocks: scales to every core)
  head     the output layer and the loss over T·B rows (up to 256 blocks)

Assumptions (stated, not measured on > 2 cores): products run at R GFLOP/s per core (default: half
this machine's measured 2-thread sgemm peak); a B = 1 matrix–vector product is bound by reading its
weight at W GB/s per core (default 20, L2/L3 streaming) and by nothing else; every parallel kernel
pays S µs of hand-off (default 3) once more than one core works on it; elementwise work and the
optimizer are ignored (≤ 10 % of a step at these sizes). Speed-up = time(1 core) / time(p cores).
"""
import argparse

T, V, E = 100, 65, 64


def blocks_chain(H, B):
    if B == 1:
        return max(1, min(H // 64, H * H // 2**16))
    return max(1, min(H // 64, B * H * H // 2**18))


def step_time_s(H, L, B, p, gflops, region_us, bandwidth):
    rate = gflops * 1e9
    t = 0.0
    for layer in range(L):
        h_in = E if layer == 0 else H
        # The recurrence: 2 products per time step, T steps, one after the other.
        k = min(p, blocks_chain(H, B))
        if B == 1:
            per_product = H * H * 4 / (bandwidth * 1e9)  # read W_hh once (float32)
        else:
            per_product = 2 * B * H * H / rate
        t += 2 * T * (per_product / k + (region_us * 1e-6 if k > 1 else 0))
        # Batched over T·B rows: input projection fwd + bwd + dW_ih, and dW_hh.
        flops = 6 * T * B * h_in * H + 2 * T * B * H * H
        k = min(p, 256)
        t += flops / rate / k + (4 * region_us * 1e-6 if k > 1 else 0)
    flops = 6 * T * B * H * V
    k = min(p, 256)
    t += flops / rate / k + (3 * region_us * 1e-6 if k > 1 else 0)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gflops-per-core", type=float, default=66.5)
    ap.add_argument("--region-us", type=float, default=3.0)
    ap.add_argument("--bandwidth-gbs", type=float, default=20.0)
    a = ap.parse_args()
    cores = [1, 2, 8, 16, 64]
    print("| point | chain blocks | " + " | ".join(f"{p} cores" for p in cores) + " |")
    print("|---|---:|" + "---:|" * len(cores))
    for H in (128, 256, 512, 1024):
        for L in (1, 2):
            for B in (1, 32):
                one = step_time_s(H, L, B, 1, a.gflops_per_core, a.region_us, a.bandwidth_gbs)
                cells = [f"{one / step_time_s(H, L, B, p, a.gflops_per_core, a.region_us, a.bandwidth_gbs):.2f}×"
                         for p in cores]
                print(f"| H={H} L={L} B={B} | {blocks_chain(H, B)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
