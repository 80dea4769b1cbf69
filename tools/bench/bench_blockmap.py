#!/usr/bin/env python3
"""A dense mask with a block map (issue 4): packed sequences (document masking, every query
sees the keys of its own document) given to bias = dense as a -inf table, run with and
without the table's block map (Kernel.block_map, built once), against the variant without a
bias (full attention) and torch SDPA given the same mask; one process, the protocol of
bench.py (CUDA events, warm-up, median, two input sets).

The documents: random lengths in [--min-doc, --max-doc] tokens filling N (the last one cut),
the same for every head (the table is [1, 1, N, N], broadcast). Accuracy: cosine and relative
L1 of each output against FP32 attention with the mask (first heads of batch 0). Writes
blockmap.json; prints a table last.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import attngen  # noqa: E402
from bench import (flops, metrics, print_accuracy, print_impl_table, time_fn,  # noqa: E402
                   time_sdpa)


def documents(n, lo, hi, seed):
    g = torch.Generator(device="cpu").manual_seed(seed)
    lens, total = [], 0
    while total < n:
        length = int(torch.randint(lo, hi + 1, (1,), generator=g))
        lens.append(min(length, n - total))
        total += lens[-1]
    return lens


def reference(q, k, v, scale, doc, rows=2048):
    """FP32 attention of [1, h, N, D] with the document mask, in row chunks."""
    out = torch.empty(q.shape, dtype=torch.float32, device=q.device)
    kf, vf = k.float(), v.float()
    for r0 in range(0, q.shape[2], rows):
        r1 = min(r0 + rows, q.shape[2])
        s = torch.einsum("bhid,bhjd->bhij", q[:, :, r0:r1].float(), kf) * scale
        s = s.masked_fill(doc[r0:r1].view(-1, 1) != doc.view(1, -1), float("-inf"))
        out[:, :, r0:r1] = torch.softmax(s, dim=-1) @ vf
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", required=True)
    ap.add_argument("--n", type=int, default=16384)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--min-doc", type=int, default=512)
    ap.add_argument("--max-doc", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--ref-heads", type=int, default=2)
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()
    packages = attngen.list_packages(args.packages)
    n, h, b, d = args.n, args.heads, 1, 128
    lens = documents(n, args.min_doc, args.max_doc, seed=1)
    doc = torch.repeat_interleave(torch.arange(len(lens)), torch.tensor(lens)).cuda()
    visible = doc.view(-1, 1) == doc.view(1, -1)
    table = torch.zeros(n, n, dtype=torch.bfloat16, device="cuda")
    table.masked_fill_(~visible, float("-inf"))
    table = table.view(1, 1, n, n)
    pairs = sum(x * x for x in lens)
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "N": n, "B": b, "H": h, "D": d,
              "documents": lens, "visible_fraction": pairs / (n * n)}
    print(f"{len(lens)} documents of {min(lens)}..{max(lens)} tokens in N={n}: "
          f"{100 * pairs / (n * n):.1f}% of the score matrix visible", flush=True)

    torch.manual_seed(0)
    sets = [[torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(3)]
            for _ in range(2)]
    fl_full = flops(b, h, n, d, False)
    fl_visible = fl_full * pairs / (n * n)  # the useful work
    rows, outputs = [], {}

    def run(name, pkg, **kw):
        kern = attngen.load_package(packages[pkg].path)
        outs = [torch.empty_like(s[0]) for s in sets]
        ws = kern.workspace(sets[0][0], sets[0][1])
        go = lambda i, stage="all": kern.launch(*sets[i % 2], outs[i % 2], ws, stage=stage, **kw)
        ms = time_fn(go, reps=args.reps)
        go(0, "prologue")
        ms_k = time_fn(lambda i: go(0, "attention"), reps=args.reps)
        outs[0].fill_(float("nan"))
        go(0)
        torch.cuda.synchronize()
        rows.append({"impl": name, "ms": ms, "ms_kernel": ms_k,
                     "tflops_visible": fl_visible / ms / 1e9})
        print(f"  {name}: {ms:.3f} ms e2e, {ms_k:.3f} ms kernel", flush=True)
        outputs[name] = outs[0]
        return kern

    dense = run("dense, no map", "int8_fp8_d128_dense", bias=table)
    t0 = time.time()
    bmap = dense.block_map(sets[0][0], sets[0][1], table)
    torch.cuda.synchronize()
    build_ms = time_fn(lambda i: dense.block_map(sets[0][0], sets[0][1], table), reps=5)
    skipped = int((bmap == 0).sum())
    result.update(map_bytes=bmap.numel(), map_tiles_skipped=skipped, map_build_ms=build_ms,
                  map_first_build_s=time.time() - t0)
    print(f"  block map: {bmap.numel()} tiles, {skipped} skipped "
          f"({100 * skipped / bmap.numel():.1f}%), built in {build_ms:.3f} ms", flush=True)
    run("dense + block map", "int8_fp8_d128_dense", bias=table, block_map=bmap)
    run("no bias (full attention)", "int8_fp8_d128")
    mask = table.expand(b, h, n, n)
    attn = lambda i: F.scaled_dot_product_attention(*sets[i % 2], attn_mask=mask)
    for name, backend in (("sdpa-cudnn+mask", SDPBackend.CUDNN_ATTENTION),
                          ("sdpa-efficient+mask", SDPBackend.EFFICIENT_ATTENTION)):
        out = time_sdpa(rows, name, backend, attn, args.reps, fl_visible, "tflops_visible")
        if out is not None:
            outputs[name] = out
    result["rows"] = rows

    r = args.ref_heads
    q0, k0, v0 = (t[:1, :r] for t in sets[0])
    exact = reference(q0, k0, v0, 1.0 / math.sqrt(d), doc)
    acc = {name: metrics(o[:1, :r], exact) for name, o in outputs.items()
           if name != "no bias (full attention)"}
    acc["map vs no map: max abs difference"] = {
        "cos": float("nan"), "rel_l1": float("nan"),
        "max_abs": float((outputs["dense + block map"].float()
                          - outputs["dense, no map"].float()).abs().max())}
    result["accuracy"] = acc
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "blockmap.json"), "w") as f:
        json.dump(result, f, indent=1)
    by = {row["impl"]: row for row in rows}
    base = by["dense, no map"]["ms"]
    print(f"\n## dense mask + block map: {result['device']}, torch {result['torch']}; "
          f"document mask, N={n}, B={b}, H={h}, D={d}, {len(lens)} documents, "
          f"{100 * pairs / (n * n):.1f}% visible, {skipped}/{bmap.numel()} tiles skipped")
    print_impl_table(rows, "tflops_visible", "TFLOPS (visible)", "x dense, no map",
                     lambda row: base / row["ms"])
    print_accuracy(acc)


if __name__ == "__main__":
    main()
