#!/usr/bin/env python3
"""bench.json (tools/bench/bench.py) -> the markdown tables of bench/RESULTS.md.

Only reformats what the benchmark printed: every number comes from the JSON.
"""
import json
import sys


def ratio(a, b):
    """a / b, or blank when the baseline refused the shape (its row holds an error)."""
    return f"{a / b:.2f}" if b else ""


def tf(x):
    return f"{x:.0f}" if x is not None else "error"


def floor(r):
    """The fraction of the cost model's tightest floor the attention kernel reached."""
    return f"{100 * r['of_floor']:.0f}% ({r['bound']})" if "of_floor" in r else ""


def main(path):
    data = json.load(open(path))
    info, rows = data["info"], data["rows"]
    print(f"Device {info['device']}; torch {info['torch']} (CUDA {info['cuda']}, cuDNN {info['cudnn']}); "
          f"{info['attngen']}; {info['date']}.\n")
    cudnn = {(r["D"], r["N"], r["causal"]): r.get("tflops") for r in rows if r["impl"] == "sdpa-cudnn"}
    flash = {(r["D"], r["N"], r["causal"]): r.get("tflops") for r in rows if r["impl"] == "sdpa-flash"}
    print("| D | N | B | causal | variant | e2e ms | e2e TFLOPS | x cuDNN | x flash | kernel TFLOPS | "
          "of the model's floor (kernel) | cos | rel L1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        # The benchmark's own variant set (bench/variants.attn: names carry _d64/_d128).
        if r["impl"].startswith("sdpa") or "error" in r or ("_d64" not in r["impl"] and "_d128" not in r["impl"]):
            continue
        key = (r["D"], r["N"], r["causal"])
        print(f"| {r['D']} | {r['N']} | {r['B']} | {r['causal']} | {r['impl']} | {r['ms']:.3f} | {r['tflops']:.0f} | "
              f"{ratio(r['tflops'], cudnn.get(key))} | {ratio(r['tflops'], flash.get(key))} | {r['tflops_kernel']:.0f} | "
              f"{floor(r)} | {r['cos']:.5f} | {r['rel_l1']:.4f} |")
    print("\ntorch SDPA on the same tensors (bf16):\n")
    print("| D | N | causal | flash TFLOPS | cuDNN TFLOPS |")
    print("|---|---|---|---|---|")
    for key in sorted(cudnn):
        print(f"| {key[0]} | {key[1]} | {key[2]} | {tf(flash.get(key))} | {tf(cudnn[key])} |")


if __name__ == "__main__":
    main(sys.argv[1])
