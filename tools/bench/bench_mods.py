#!/usr/bin/env python3
"""Score modifiers and masks (issue 4): each generated variant against the same variant
without the modifier, and against torch SDPA given the equivalent dense bias or mask, in
one process, on the protocol of bench.py (CUDA events, warm-up, median, two input sets).

Cases (one per modifier kind found among the packages):
  alibi    causal ALiBi, D=128, N=8k, H=32, B=2: x no-bias variant, x SDPA(dense bias)
  window   sliding window, D=128, N=32k, H=32, B=1: speed-up over the full causal variant
  softcap  logit soft cap, D=128, N=16k, H=32, B=1: x no-cap variant
The base of a case is the package whose variant equals the modified one with the modifier
removed (bench/variants.attn ships both). Accuracy: cosine and relative L1 against an FP32
reference that applies the same bias / mask / cap (first heads of batch 0). Writes
mods.json; prints a table last.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import attngen  # noqa: E402
from bench import flops, metrics, time_fn  # noqa: E402

MOD_KEYS = ("window_left", "window_right", "softcap", "bias")
NO_MOD = {"window_left": -1, "window_right": -1, "softcap": 0, "bias": "none"}


def kind(v):
    if v.get("bias", "none") == "alibi":
        return "alibi"
    if v.get("window_left", -1) >= 0 or v.get("window_right", -1) >= 0:
        return "window"
    if v.get("softcap", 0) > 0:
        return "softcap"
    return None


def alibi_slopes(heads):
    """The standard ALiBi slopes (Press et al.), as attngen::alibiSlope."""
    n = 1 << int(math.floor(math.log2(heads)))
    s = [2.0 ** (-8.0 * (h + 1) / n) for h in range(n)]
    s += [2.0 ** (-8.0 * (2 * j + 1) / (2 * n)) for j in range(heads - n)]
    return torch.tensor(s, dtype=torch.float32, device="cuda")


def dense_bias(v, h, nq, nk, slopes, dtype, r0=0, r1=None):
    """The additive bias [1, H, r1 - r0, Nk] of query rows [r0, r1) equal to the variant's
    mask, window and ALiBi."""
    r1 = nq if r1 is None else r1
    i = torch.arange(r0, r1, device="cuda").view(-1, 1)
    j = torch.arange(nk, device="cuda").view(1, -1)
    rel = i + (nk - nq) - j  # >= 0: key at or before the aligned diagonal
    visible = torch.ones(r1 - r0, nk, dtype=torch.bool, device="cuda")
    if v["mask"] == "causal":
        visible &= rel >= 0
    if v.get("window_left", -1) >= 0:
        visible &= rel <= v["window_left"]
    if v.get("window_right", -1) >= 0:
        visible &= -rel <= v["window_right"]
    bias = torch.zeros(1, h, r1 - r0, nk, dtype=dtype, device="cuda")
    if v.get("bias") == "alibi":
        bias -= (slopes.view(1, h, 1, 1) * rel.abs().to(torch.float32)).to(dtype)
    return bias.masked_fill(~visible, float("-inf"))


def reference(q, k, v, var, slopes, scale, rows=2048):
    """FP32 attention of [1, h, N, D] tensors with the variant's modifiers, by row chunks."""
    h, nq, nk = q.shape[1], q.shape[2], k.shape[2]
    out = torch.empty(q.shape, dtype=torch.float32, device="cuda")
    for r0 in range(0, nq, rows):
        r1 = min(nq, r0 + rows)
        s = torch.einsum("bhid,bhjd->bhij", q[:, :, r0:r1].float(), k.float()) * scale
        if var.get("softcap", 0) > 0:
            cap = var["softcap"]
            s = cap * torch.tanh(s / cap)
        s = s + dense_bias(var, h, nq, nk, slopes[:h], torch.float32, r0, r1)
        out[:, :, r0:r1] = torch.softmax(s, dim=-1) @ v.float()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", required=True)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()
    packages = attngen.list_packages(args.packages)
    by_variant = {}
    for name, pkg in packages.items():
        v = dict(pkg.plan["variant"])
        v.pop("name", None)
        by_variant[json.dumps(v, sort_keys=True)] = name
    shapes = {"alibi": (2, 8192), "window": (1, 32768), "softcap": (1, 16384)}
    rows = []
    base_times = {}  # (base package, B, N) -> (ms e2e, ms kernel)
    h = args.heads
    slopes = alibi_slopes(h)
    for name, pkg in sorted(packages.items()):
        v = pkg.plan["variant"]
        k = kind(v)
        if k is None or v["input"] != "bf16" or v["layout"] != "bhnd" or v["gqa"] != 1:
            continue
        base_v = {key: val for key, val in v.items() if key != "name"}
        base_v.update(NO_MOD)
        base = by_variant.get(json.dumps(base_v, sort_keys=True))
        b, n = shapes[k]
        d = pkg.head_dim
        causal = v["mask"] == "causal"
        torch.manual_seed(0)
        sets = [[torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(3)]
                for _ in range(2)]
        # Work actually done: every key a row sees (causal halves, a window bounds it).
        fl = flops(b, h, n, d, causal)
        row = {"case": k, "impl": name, "base": base, "B": b, "H": h, "N": n, "D": d}

        def run_pkg(pname, extra):
            kern = attngen.load_package(packages[pname].path)
            outs = [torch.empty_like(s[0]) for s in sets]
            ws = kern.workspace(sets[0][0], sets[0][1])
            if kern.lse:  # the variant returns the LSE: it needs somewhere to write it
                extra = dict(extra, lse=torch.empty((b, h, n), device="cuda", dtype=torch.float32))
            run = lambda i, stage="all": kern.launch(*sets[i % 2], outs[i % 2], ws, stage=stage, **extra)
            ms = time_fn(run, reps=args.reps)
            run(0, "prologue")
            ms_k = time_fn(lambda i: kern.launch(*sets[0], outs[0], ws, stage="attention", **extra),
                           reps=args.reps)
            outs[0].fill_(float("nan"))
            run(0)
            torch.cuda.synchronize()
            return ms, ms_k, outs[0]

        extra = {"alibi_slopes": slopes} if k == "alibi" else {}
        ms, ms_k, o = run_pkg(name, extra)
        row.update(ms=ms, ms_kernel=ms_k, tflops=fl / ms / 1e9)
        scale = 1.0 / math.sqrt(d) if pkg.plan["variant"].get("scale") is None else v["scale"]
        q0, k0, v0 = (t[:1, :1] for t in sets[0])
        ref = reference(q0, k0, v0, v, slopes, scale)
        row.update(metrics(o[:1, :1], ref))
        print(f"  {k} {name}: {ms:.3f} ms e2e, {ms_k:.3f} kernel, cos {row['cos']:.5f} "
              f"relL1 {row['rel_l1']:.4f}", flush=True)
        if base:
            # A base serves several modified variants on one shape: timed once.
            if (base, b, n) not in base_times:
                base_times[(base, b, n)] = run_pkg(base, {})[:2]
            bms, bms_k = base_times[(base, b, n)]
            row.update(base_ms=bms, base_ms_kernel=bms_k)
            print(f"  {k} base {base}: {bms:.3f} ms e2e, {bms_k:.3f} kernel", flush=True)
        if k != "window" or n <= 16384:
            # torch SDPA given the dense bias (mask, window and ALiBi as one additive tensor).
            bias = dense_bias(v, h, n, n, slopes, torch.bfloat16)
            for bname, backend in (("sdpa-cudnn", SDPBackend.CUDNN_ATTENTION),
                                   ("sdpa-efficient", SDPBackend.EFFICIENT_ATTENTION)):
                try:
                    with sdpa_kernel(backend):
                        sms = time_fn(lambda i: F.scaled_dot_product_attention(
                            *sets[i % 2], attn_mask=bias), reps=args.reps)
                    row[bname + "_ms"] = sms
                    print(f"  {k} {bname} + dense bias: {sms:.3f} ms", flush=True)
                except RuntimeError as e:
                    row[bname + "_error"] = str(e)[:160]
            del bias
        if causal:
            with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                try:
                    row["sdpa_cudnn_causal_ms"] = time_fn(lambda i: F.scaled_dot_product_attention(
                        *sets[i % 2], is_causal=True), reps=args.reps)
                except RuntimeError as e:
                    row["sdpa_cudnn_causal_error"] = str(e)[:160]
        rows.append(row)
        del sets
        torch.cuda.empty_cache()

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "mods.json"), "w") as f:
        json.dump({"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                   "date": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows}, f, indent=1)
    print(f"\n## score modifiers: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    print("| case | variant | base | B,N | ms e2e | ms kernel | base ms e2e | base / this | "
          "base / this, kernels | SDPA+bias best ms | SDPA / this | cos | relL1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        bms = r.get("base_ms")
        sd = [r[x] for x in ("sdpa-cudnn_ms", "sdpa-efficient_ms") if x in r]
        sdb = min(sd) if sd else None
        base_cols = (f"{bms:.3f} | {bms / r['ms']:.2f} | {r['base_ms_kernel'] / r['ms_kernel']:.2f}"
                     if bms else "- | - | -")
        sdpa_cols = f"{sdb:.3f} | {sdb / r['ms']:.2f}" if sdb else "- | -"
        print(f"| {r['case']} | {r['impl']} | {r['base'] or '-'} | {r['B']},{r['N']} | {r['ms']:.3f} | {r['ms_kernel']:.3f} | "
              f"{base_cols} | {sdpa_cols} | {r['cos']:.5f} | {r['rel_l1']:.4f} |")

if __name__ == "__main__":
    main()
