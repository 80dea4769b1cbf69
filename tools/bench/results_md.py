#!/usr/bin/env python3
"""bench.json (tools/bench/bench.py) -> the markdown tables of bench/RESULTS.md.

Only reformats what the benchmark printed: every number comes from the JSON.
"""
import json
import sys


def main(path):
    data = json.load(open(path))
    info, rows = data["info"], data["rows"]
    print(f"Device {info['device']}; torch {info['torch']} (CUDA {info['cuda']}, cuDNN {info['cudnn']}); "
          f"{info['attngen']}; {info['date']}.\n")
    cudnn = {(r["D"], r["N"], r["causal"]): r.get("tflops") for r in rows if r["impl"] == "sdpa-cudnn"}
    flash = {(r["D"], r["N"], r["causal"]): r.get("tflops") for r in rows if r["impl"] == "sdpa-flash"}
    print("| D | N | B | causal | variant | e2e ms | e2e TFLOPS | x cuDNN | x flash | kernel TFLOPS | cos | rel L1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        # The benchmark's own variant set (bench/variants.attn: names carry _d64/_d128).
        if r["impl"].startswith("sdpa") or "error" in r or ("_d64" not in r["impl"] and "_d128" not in r["impl"]):
            continue
        key = (r["D"], r["N"], r["causal"])
        print(f"| {r['D']} | {r['N']} | {r['B']} | {r['causal']} | {r['impl']} | {r['ms']:.3f} | {r['tflops']:.0f} | "
              f"{r['tflops'] / cudnn[key]:.2f} | {r['tflops'] / flash[key]:.2f} | {r['tflops_kernel']:.0f} | "
              f"{r['cos']:.5f} | {r['rel_l1']:.4f} |")
    print("\ntorch SDPA on the same tensors (bf16):\n")
    print("| D | N | causal | flash TFLOPS | cuDNN TFLOPS |")
    print("|---|---|---|---|---|")
    for key in sorted(cudnn):
        print(f"| {key[0]} | {key[1]} | {key[2]} | {flash[key]:.0f} | {cudnn[key]:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1])
