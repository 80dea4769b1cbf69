#!/usr/bin/env python3
"""Biases from memory (issue 4): a Swin-V2-like relative-position bias on a 2-D token grid,
factored by attngen.fit_lowrank at an energy target and run as bias = lowrank(R), against
the same bias as a dense table (bias = dense), torch SDPA given the dense table, and the
variant without a bias; in one process, on the protocol of bench.py (CUDA events,
warm-up, median, two input sets).

The bias: per head h, T_h(dy, dx) = 16 sigmoid(MLP_h(c(dy), c(dx))) over the relative
offsets of a G x G grid (N = G^2 tokens), c(x) = sign(x) log2(1 + 8 |x| / (G - 1)) / 3,
the continuous position bias of Swin V2 with a random 2-512-H MLP (synthetic: no trained
weights are shipped). Each head's table minus its mean (a constant shift, which softmax
ignores) is fitted; the rank of the variant is the largest head's, padded with zero
columns to the nearest of the shipped ranks (16, 32, 64).

Accuracy: cosine and relative L1 of each output against FP32 attention with the exact
table (the first heads of batch 0), and of the low-rank kernel against FP32 attention
with its own factors (the kernel's error alone). Writes bias.json; prints a table last.
"""
import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import attngen  # noqa: E402
from bench import (flops, metrics, print_accuracy, print_impl_table, time_fn,  # noqa: E402
                   time_sdpa)

RANKS = (16, 32, 64)


def swin_v2_tables(grid, heads, seed=0):
    """[H, 2G-1, 2G-1] continuous position bias tables (float32, on the GPU)."""
    g = torch.Generator(device="cpu").manual_seed(seed)
    d = torch.arange(-(grid - 1), grid, dtype=torch.float32)
    c = torch.sign(d) * torch.log2(1 + 8 * d.abs() / (grid - 1)) / 3
    coords = torch.stack(torch.meshgrid(c, c, indexing="ij"), dim=-1).view(-1, 2)
    w1 = torch.randn(2, 512, generator=g) * 2.0
    b1 = torch.randn(512, generator=g) * 0.5
    w2 = torch.randn(512, heads, generator=g) / math.sqrt(512) * 2.0
    t = 16 * torch.sigmoid(torch.relu(coords @ w1 + b1) @ w2)
    return t.t().reshape(heads, 2 * grid - 1, 2 * grid - 1).cuda()


def dense_table(tables, grid):
    """[H, N, N] bias of token pairs on the G x G grid (row-major tokens)."""
    y = torch.arange(grid, device="cuda").repeat_interleave(grid)
    x = torch.arange(grid, device="cuda").repeat(grid)
    dy = (y.view(-1, 1) - y.view(1, -1)) + grid - 1
    dx = (x.view(-1, 1) - x.view(1, -1)) + grid - 1
    return tables[:, dy, dx]


def reference(q, k, v, scale, bias):
    """FP32 attention of [1, h, N, D] tensors plus a [h, N, N] bias."""
    s = torch.einsum("bhid,bhjd->bhij", q.float(), k.float()) * scale + bias.float().unsqueeze(0)
    return torch.softmax(s, dim=-1) @ v.float()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", required=True)
    ap.add_argument("--grid", type=int, default=64, help="tokens per side: N = grid^2")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--energy", type=float, default=0.995)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--ref-heads", type=int, default=2)
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()
    packages = attngen.list_packages(args.packages)
    g, h, b, d = args.grid, args.heads, args.batch, 128
    n = g * g
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "grid": g, "N": n, "B": b, "H": h,
              "D": d, "energy_target": args.energy}

    # ---- the bias and its factors ------------------------------------------------------
    table = dense_table(swin_v2_tables(g, h), g)
    table -= table.mean(dim=(1, 2), keepdim=True)  # a constant per head: softmax ignores it
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=min(h, os.cpu_count() or 1)) as pool:
        fits = list(pool.map(lambda i: attngen.fit_lowrank(table[i], energy=args.energy,
                                                           max_rank=max(RANKS)), range(h)))
    fit_s = time.time() - t0
    ranks = [f[2]["rank"] for f in fits]
    rank = next(r for r in RANKS if r >= max(ranks))
    result.update(fit_seconds=fit_s, head_ranks=ranks, rank=rank,
                  head_rel_frob=[f[2]["rel_frob_error"] for f in fits],
                  head_max_abs=[f[2]["max_abs_error"] for f in fits])
    print(f"fit: {h} heads of {n} x {n} at energy {args.energy} in {fit_s:.1f} s "
          f"({os.cpu_count()} threads); ranks {min(ranks)}..{max(ranks)} -> lowrank({rank}); "
          f"rel Frobenius error <= {max(result['head_rel_frob']):.4f}, max abs <= "
          f"{max(result['head_max_abs']):.3f}", flush=True)
    qb = torch.zeros(1, h, n, rank, device="cuda", dtype=torch.bfloat16)
    kb = torch.zeros(1, h, n, rank, device="cuda", dtype=torch.bfloat16)
    for i, (u, w, info) in enumerate(fits):
        qb[0, i, :, :info["rank"]] = u.to(torch.bfloat16)
        kb[0, i, :, :info["rank"]] = w.to(torch.bfloat16)
    del fits
    dense = table.to(torch.bfloat16).unsqueeze(0)  # [1, H, N, N], broadcast over the batch
    del table

    # ---- timing --------------------------------------------------------------------------
    torch.manual_seed(0)
    sets = [[torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(3)]
            for _ in range(2)]
    fl = flops(b, h, n, d, False)
    rows = []

    def run_pkg(name, bias):
        kern = attngen.load_package(packages[name].path)
        outs = [torch.empty_like(s[0]) for s in sets]
        ws = kern.workspace(sets[0][0], sets[0][1])
        run = lambda i, stage="all": kern.launch(*sets[i % 2], outs[i % 2], ws, stage=stage,
                                                 bias=bias)
        ms = time_fn(run, reps=args.reps)
        run(0, "prologue")
        ms_k = time_fn(lambda i: run(0, "attention"), reps=args.reps)
        outs[0].fill_(float("nan"))
        run(0)
        torch.cuda.synchronize()
        rows.append({"impl": name, "ms": ms, "ms_kernel": ms_k, "tflops": fl / ms / 1e9})
        print(f"  {name}: {ms:.3f} ms e2e, {ms_k:.3f} ms kernel", flush=True)
        return outs[0]

    outputs = {}
    outputs["lowrank"] = run_pkg(f"int8_fp8_d128_lowrank{rank}", (qb, kb))
    # The smaller shipped ranks with the factors truncated to their leading columns (the
    # best rank-r approximation of each head): the cost of a rank, and its error.
    for r in RANKS:
        if r < rank:
            outputs[f"lowrank{r} (truncated)"] = run_pkg(
                f"int8_fp8_d128_lowrank{r}", (qb[..., :r].contiguous(), kb[..., :r].contiguous()))
    outputs["dense"] = run_pkg("int8_fp8_d128_dense", dense)
    run_pkg("int8_fp8_d128", None)
    mask = dense.expand(b, h, n, n)
    for name, backend, with_bias in (("sdpa-cudnn+bias", SDPBackend.CUDNN_ATTENTION, True),
                                     ("sdpa-efficient+bias", SDPBackend.EFFICIENT_ATTENTION, True),
                                     ("sdpa-cudnn, no bias", SDPBackend.CUDNN_ATTENTION, False)):
        attn = (lambda i: F.scaled_dot_product_attention(*sets[i % 2], attn_mask=mask)) \
            if with_bias else (lambda i: F.scaled_dot_product_attention(*sets[i % 2]))
        out = time_sdpa(rows, name, backend, attn, args.reps, fl)
        if with_bias and out is not None:
            outputs[name] = out
    result["rows"] = rows

    # ---- accuracy (batch 0, the first heads) ---------------------------------------------
    r = args.ref_heads
    q0, k0, v0 = (t[:1, :r] for t in sets[0])
    scale = 1.0 / math.sqrt(d)
    exact = reference(q0, k0, v0, scale, dense[0, :r])
    factored = reference(q0, k0, v0, scale, (qb[0, :r].float() @ kb[0, :r].float().transpose(1, 2)))
    acc = {name: metrics(o[:1, :r], exact) for name, o in outputs.items()}
    acc["lowrank vs its factors"] = metrics(outputs["lowrank"][:1, :r], factored)
    acc["fp32 factored vs exact"] = metrics(factored, exact)
    result["accuracy"] = acc

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bias.json"), "w") as f:
        json.dump(result, f, indent=1)
    by = {row["impl"]: row for row in rows}
    lr = by[f"int8_fp8_d128_lowrank{rank}"]
    print(f"\n## biases from memory: {result['device']}, torch {result['torch']}; "
          f"Swin-V2-like bias, grid {g}x{g} (N={n}), B={b}, H={h}, D={d}; "
          f"lowrank({rank}) at energy {args.energy}")
    print_impl_table(rows, "tflops", "TFLOPS e2e", f"time / lowrank{rank}",
                     lambda row: row["ms"] / lr["ms"])
    print_accuracy(acc)


if __name__ == "__main__":
    main()
