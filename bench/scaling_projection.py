#!/usr/bin/env python3
"""Paper projection of xgrad's char-RNN step on 1–64 cores (issue 16, item 6; docs/performance.md).

    bench/scaling_projection.py [--gflops-per-core R] [--region-us S] [--bandwidth-gbs W]

A step (Embedding → RNN(E, H, L) → Linear(H, V) → cross-entropy → backward → Adam, T = 100) is
split into the parts xgrad runs as separate kernels, each with the number of blocks blas.cpp /
parallel.hpp cut it into (fixed by shape, so also the most cores that part can use):

  chain    per time step and layer, forward h·W_hh and backward dh·W_hhᵀ: B×H by H×H, strictly
           one after the other (the recurrence); for B > 1 the packed weight's panels of 16
           outputs, one block per 2¹⁸ multiply-adds (detail::PackedMatrix), for B = 1
           min(H/64, H²/2¹⁶) (gemv)
  batched  input projection forward/backward over all T·B rows (T·B/64 blocks, at most 256), and
           the weight gradients (their longer side / 64 blocks)
  head     the output layer and the loss over T·B rows (T·B/64 blocks, at most 256)

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
    panels = H // 16
    per_block = max(1, 2**18 // (B * 16 * H))
    return -(-panels // per_block)


def blocks_batched(extent):  # blas.cpp: blocks of at least 64 along the longer side, at most 256
    return max(1, min(256, extent // 64))


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
        # Over all T·B rows: the input projection and its input gradient, cut along the rows ...
        k = min(p, blocks_batched(T * B))
        t += 4 * T * B * h_in * H / rate / k + (2 * region_us * 1e-6 if k > 1 else 0)
        # ... and the weight gradients dW_ih, dW_hh, cut along their longer side.
        k = min(p, blocks_batched(max(H, h_in)))
        t += (2 * T * B * h_in * H + 2 * T * B * H * H) / rate / k + (2 * region_us * 1e-6 if k > 1 else 0)
    flops = 6 * T * B * H * V
    k = min(p, blocks_batched(T * B))
    t += flops / rate / k + (3 * region_us * 1e-6 if k > 1 else 0)
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gflops-per-core", type=float, default=66.5)
    ap.add_argument("--region-us", type=float, default=3.0)
    ap.add_argument("--bandwidth-gbs", type=float, default=20.0)
    a = ap.parse_args()
    cores = [1, 2, 8, 16, 64]
    print("| point | chain blocks | " + " | ".join(f"{p} core{'s' if p > 1 else ''}" for p in cores) + " |")
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
