#!/usr/bin/env python3
"""Side-by-side benchmark: attngen variants vs torch SDPA (flash and cuDNN backends).

Protocol (../../docs/BENCHMARK.md): bf16 inputs [B, H, N, D], H = 32, B * N = 16k tokens;
CUDA events around each call, warm-up, median of many runs, fresh random normal inputs,
two input sets alternated; every implementation of a shape (SDPA's included) timed once per
round, round robin, the median of the rounds reported, with the SM clock and board power
nvidia-smi sampled while it ran; TFLOPS = 4 B H N^2 D / time, halved for causal. attngen is
timed end to end (all quantization prologues included) and kernel only (the attention
kernel on already-quantized operands). Accuracy of each attngen output against an FP32
reference on the first heads. Prints a table with progress, writes JSON and a PNG plot.
"""
import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import attngen  # noqa: E402


def flops(b, h, n, d, causal):
    f = 4.0 * b * h * n * n * d
    return f / 2 if causal else f


def time_fn(fn, warmup=5, reps=30):
    for _ in range(warmup):
        fn(0)
    torch.cuda.synchronize()
    times = []
    for i in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn(i)
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    return statistics.median(times)


def metrics(o, ref):
    o, ref = o.float().flatten(), ref.float().flatten()
    finite = bool(torch.isfinite(o).all())
    cos = float(F.cosine_similarity(o, ref, dim=0))
    rel_l1 = float((o - ref).abs().sum() / ref.abs().sum())
    return {"cos": cos, "rel_l1": rel_l1, "max_abs": float((o - ref).abs().max()), "finite": finite}


def time_sdpa(rows, name, backend, attn, reps, fl, tflops_key="tflops"):
    """Times attn(i) (a torch SDPA call on input set i % 2) under `backend`, appends its row
    (or the backend's refusal) to rows and returns attn(0)'s output, None if refused."""
    try:
        with sdpa_kernel(backend):
            ms = time_fn(attn, reps=reps)
            out = attn(0)
        rows.append({"impl": name, "ms": ms, tflops_key: fl / ms / 1e9})
        print(f"  {name}: {ms:.3f} ms", flush=True)
        return out
    except RuntimeError as e:
        rows.append({"impl": name, "error": str(e)[:160]})
        print(f"  {name}: {str(e)[:160]}", flush=True)
        return None


def print_impl_table(rows, tflops_key, tflops_header, ratio_header, ratio):
    """The implementations of a side benchmark (bench_bias.py, bench_blockmap.py): one row
    each with its end-to-end and kernel times, TFLOPS and ratio(row); failed ones say why."""
    print(f"| impl | ms e2e | ms kernel | {tflops_header} | {ratio_header} |")
    print("|---|---|---|---|---|")
    for row in rows:
        if "error" in row:
            print(f"| {row['impl']} | {row['error'][:60]} | | | |")
            continue
        mk = f"{row['ms_kernel']:.3f}" if "ms_kernel" in row else "-"
        print(f"| {row['impl']} | {row['ms']:.3f} | {mk} | {row[tflops_key]:.0f} | "
              f"{ratio(row):.2f} |")


def print_accuracy(acc):
    """Name -> metrics() of a side benchmark's outputs, as a table."""
    print("| output | cos | rel L1 | max abs |")
    print("|---|---|---|---|")
    for name, m in acc.items():
        print(f"| {name} | {m['cos']:.5f} | {m['rel_l1']:.4f} | {m['max_abs']:.4f} |")


class ClockSampler:
    """nvidia-smi sampling the SM clock and board power every 100 ms into a CSV for the whole
    run; during(windows) averages the samples inside the given (start, end) wall times, so
    each row says under which clocks it was timed (the power cap moves them by ~10%)."""

    def __init__(self, path):
        self.path, self.proc = path, None
        try:
            import subprocess
            self.file = open(path, "w")
            self.proc = subprocess.Popen(
                ["nvidia-smi", "--query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu",
                 "--format=csv,noheader,nounits", "-lms", "100"], stdout=self.file,
                stderr=subprocess.DEVNULL)
        except (OSError, ValueError):
            self.proc = None

    def samples(self):
        self.file.flush()
        out = []
        for line in open(self.path):
            f = [x.strip() for x in line.split(",")]
            try:
                t = time.mktime(time.strptime(f[0].split(".")[0], "%Y/%m/%d %H:%M:%S"))
                t += float("0." + f[0].split(".")[1]) if "." in f[0] else 0.0
                out.append((t, float(f[1]), float(f[2]), float(f[3])))
            except (ValueError, IndexError):
                continue
        return out

    def during(self, windows):
        if self.proc is None:
            return {}
        inside = [s for s in self.samples() if any(a <= s[0] <= b for a, b in windows)]
        if not inside:
            return {}
        return {"sm_mhz": statistics.mean(s[1] for s in inside), "power_w": statistics.mean(s[2] for s in inside),
                "temp_c": max(s[3] for s in inside)}

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()


def sdpa_arms(sets, causal):
    """torch SDPA's flash and cuDNN backends on input set i % 2."""
    call = lambda i: F.scaled_dot_product_attention(*sets[i % 2], is_causal=bool(causal))
    return [{"name": name, "backend": backend, "run": call}
            for name, backend in (("sdpa-flash", SDPBackend.FLASH_ATTENTION),
                                  ("sdpa-cudnn", SDPBackend.CUDNN_ATTENTION))]


def package_arms(packages, sets, d, causal, b, h, n):
    """One arm per package that runs this shape as SDPA does: end to end on input set i % 2,
    kernel only (the attention kernel on operands already quantized into its workspace), the
    model's floor, and its accuracy against an FP32 reference of the first two heads."""
    q0, k0, v0 = (t[:1, :2].float() for t in sets[0])
    with sdpa_kernel(SDPBackend.MATH):
        ref = F.scaled_dot_product_attention(q0, k0, v0, is_causal=bool(causal))
    arms = []
    for pname, pkg in packages.items():
        v = pkg.plan["variant"]
        # Same inputs as SDPA: bf16 [B, H, N, D] self-attention, no GQA. Score modifiers
        # and windows are bench_mods.py's (they need their base variant and a dense-bias
        # baseline).
        mods = (v.get("bias", "none") != "none" or v.get("softcap", 0) > 0
                or v.get("window_left", -1) >= 0 or v.get("window_right", -1) >= 0)
        if (pkg.head_dim != d or pkg.causal != bool(causal) or v["input"] != "bf16"
                or v["layout"] != "bhnd" or v["gqa"] != 1 or mods):
            continue
        kern = attngen.load_package(pkg.path)
        # The variant's output type (not the inputs'), and the LSE it may return.
        odt = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[v["output"]]
        outs = [torch.empty_like(s[0], dtype=odt) for s in sets]
        lse = torch.empty((b, h, n), device="cuda", dtype=torch.float32) if v["lse"] else None
        ws = kern.workspace(sets[0][0], sets[0][1])

        def run(i, stage="all", kern=kern, outs=outs, ws=ws, lse=lse):
            return kern.launch(*sets[i % 2], outs[i % 2], ws, lse=lse, stage=stage)

        def kernel_only(i, run=run, state={}):
            if not state:  # the workspace holds input set 0's quantized operands
                run(0, "prologue")
                state["ready"] = True
            return run(0, "attention")

        def accuracy(run=run, outs=outs):
            outs[0].fill_(float("nan"))
            run(0)
            torch.cuda.synchronize()
            return metrics(outs[0][:1, :2], ref)

        t = kern.tiles(sets[0][0], sets[0][1])  # the plan's, or a tuning database's choice
        arms.append({"name": pname, "run": run, "kernel": kernel_only, "accuracy": accuracy,
                     "cost": kern.cost(sets[0][0], sets[0][1]),
                     "tiles": f"{t['block_m']}/{t['block_n']}/{t['warps']}/{t['stages']}"})
    return arms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--packages", required=True, help="directory of kernel packages (attngen emit --package)")
    ap.add_argument("--dims", default="64,128")
    ap.add_argument("--lens", default="1024,4096,16384")
    ap.add_argument("--causal", default="0,1")
    ap.add_argument("--recipes", default="", help="comma list of package name prefixes (default: all)")
    ap.add_argument("--tokens", type=int, default=16384)
    ap.add_argument("--heads", type=int, default=32)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3,
                    help="times each implementation is timed per shape, round robin; the median is reported")
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    args = ap.parse_args()

    dev = torch.cuda.get_device_name()
    info = {"device": dev, "torch": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(), "attngen": attngen.version(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S"), "host": platform.node()}
    print("# " + " | ".join(f"{k} {v}" for k, v in info.items()), flush=True)

    packages = attngen.list_packages(args.packages)
    if args.recipes:
        wanted = args.recipes.split(",")
        packages = {n: p for n, p in packages.items() if any(n.startswith(w) for w in wanted)}
    rows = []
    smi = ClockSampler(os.path.join(args.out, "clocks.csv"))
    torch.manual_seed(0)
    for d in map(int, args.dims.split(",")):
        for n in map(int, args.lens.split(",")):
            for causal in map(int, args.causal.split(",")):
                b, h = max(1, args.tokens // n), args.heads
                sets = [[torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16) for _ in range(3)]
                        for _ in range(2)]
                fl = flops(b, h, n, d, causal)
                base = {"D": d, "N": n, "B": b, "H": h, "causal": causal}
                arms = sdpa_arms(sets, causal) + package_arms(packages, sets, d, causal, b, h, n)
                # Rounds: every arm timed once per round, in the same order, so that a drift of
                # the machine's clocks (power, heat) spreads over all of them alike.
                for r in range(args.rounds):
                    for arm in arms:
                        if arm.get("error"):
                            continue
                        t0 = time.time()
                        try:
                            with sdpa_kernel(arm["backend"]) if "backend" in arm else contextlib.nullcontext():
                                arm.setdefault("ms_rounds", []).append(time_fn(arm["run"], reps=args.reps))
                                if "kernel" in arm:
                                    arm.setdefault("ms_kernel_rounds", []).append(time_fn(arm["kernel"], reps=args.reps))
                        except RuntimeError as e:  # an SDPA backend may refuse a shape
                            arm["error"] = str(e)[:200]
                        arm.setdefault("windows", []).append((t0, time.time()))
                for arm in arms:
                    row = {**base, "impl": arm["name"]}
                    if arm.get("error"):
                        rows.append({**row, "error": arm["error"]})
                        print(f"  D={d} N={n} causal={causal} {arm['name']}: {arm['error'][:160]}", flush=True)
                        continue
                    ms = statistics.median(arm["ms_rounds"])
                    row.update(ms=ms, tflops=fl / ms / 1e9, ms_rounds=arm["ms_rounds"], **smi.during(arm["windows"]))
                    if "kernel" in arm:
                        ms_k = statistics.median(arm["ms_kernel_rounds"])
                        row.update(ms_kernel=ms_k, tflops_kernel=fl / ms_k / 1e9, ms_kernel_rounds=arm["ms_kernel_rounds"],
                                   tiles=arm["tiles"],
                                   floor_ms=arm["cost"]["floor_ms"], bound=arm["cost"]["bound"],
                                   of_floor=arm["cost"]["floor_ms"] / ms_k, **arm["accuracy"]())
                    rows.append(row)
                    clk = f", {row['sm_mhz']:.0f} MHz {row['power_w']:.0f} W" if "sm_mhz" in row else ""
                    print(f"  D={d} N={n} causal={causal} {arm['name']}: {row['tflops']:.0f} TFLOPS e2e"
                          + (f", {row['tflops_kernel']:.0f} kernel, cos {row['cos']:.5f} relL1 {row['rel_l1']:.4f}, "
                             f"tiles {row['tiles']}"
                             if "kernel" in arm else "") + clk, flush=True)
                del sets, arms
                torch.cuda.empty_cache()
    smi.stop()

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump({"info": info, "rows": rows}, f, indent=1)
    plot(rows, os.path.join(args.out, "bench.png"))
    print_table(rows, info)


def print_table(rows, info):
    print(f"\n## {info['device']}, torch {info['torch']}, cuDNN {info['cudnn']}, {info['date']}")
    print("| D | N | causal | impl | ms e2e | TFLOPS e2e | x cuDNN | TFLOPS kernel | of floor | cos | relL1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    cudnn = {(r["D"], r["N"], r["causal"]): r.get("tflops") for r in rows if r["impl"] == "sdpa-cudnn"}
    for r in rows:
        if "error" in r:
            print(f"| {r['D']} | {r['N']} | {r['causal']} | {r['impl']} | error | | | | | | |")
            continue
        c = cudnn.get((r["D"], r["N"], r["causal"]))
        ratio = f"{r['tflops'] / c:.2f}" if c else ""
        k = f"{r['tflops_kernel']:.0f}" if "tflops_kernel" in r else ""
        fl = f"{100 * r['of_floor']:.0f}% ({r['bound']})" if "of_floor" in r else ""
        acc = f"{r['cos']:.5f} | {r['rel_l1']:.4f}" if "cos" in r else " | "
        print(f"| {r['D']} | {r['N']} | {r['causal']} | {r['impl']} | {r['ms']:.3f} | {r['tflops']:.0f} | {ratio} | {k} | {fl} | {acc} |")


def recipe(impl):
    """Package name without its shape suffixes: int8_fp8_d128_causal -> int8_fp8."""
    parts = [p for p in impl.split("_") if p != "causal" and not (p[:1] == "d" and p[1:].isdigit())]
    return "_".join(parts)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    shapes = sorted({(r["D"], r["causal"], r["N"]) for r in rows})
    impls = sorted({recipe(r["impl"]) for r in rows})
    fig, ax = plt.subplots(figsize=(max(8, len(shapes) * 0.9), 4.5))
    width = 0.8 / max(1, len(impls))
    for i, impl in enumerate(impls):
        ys = [max([r.get("tflops", 0) for r in rows
                   if recipe(r["impl"]) == impl and (r["D"], r["causal"], r["N"]) == s] or [0])
              for s in shapes]
        ax.bar([x + i * width for x in range(len(shapes))], ys, width, label=impl)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(shapes))])
    ax.set_xticklabels([f"D{d}{' c' if c else ''}\nN{n // 1024}k" for d, c, n in shapes], fontsize=7)
    ax.set_ylabel("TFLOPS (end to end)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
