#!/usr/bin/env bash
# Run HERE (the machine with MLIR) before a call on the lent GPU: builds, emits the kernel
# packages of bench/variants.attn and examples/*.attn for sm_90a into .carry/packages, and
# those of examples/*.attn also for sm_90 (no "a": the mma.sync mainloop of sm_80/89, the
# only way to run it on a Hopper; packages named NAME_mma), and compiles each with NVRTC into
# the disk cache .carry/cache, so that the GPU machine (no MLIR there) loads them with no
# NVRTC call. Then call the device with
#   carry: [".carry"]   command: bash tools/gpu/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
make build >/dev/null
rm -rf .carry/packages .carry/cache
mkdir -p .carry/packages .carry/cache
export ATTNGEN_CACHE_DIR=$PWD/.carry/cache
for f in bench/variants.attn examples/*.attn; do
  build/bin/attngen emit "$f" --all --target sm_90a --package-dir .carry/packages
done
# Tiles other than the heuristic's, as packages NAME_bm128 / NAME_bm192 (the GPU tests and
# A/Bs run them too): two or three consumer warpgroups (tile_size.h sm90ThreeConsumersFit).
for vt in fp8_fp8_d64:128,128,12,3 int8_fp8_d64:128,128,12,3 fp8_fp8_d64_causal:128,128,12,3 \
          fp8_fp8_d128:128,128,12,3 int8_fp8_d128:128,128,12,3 fp8_fp8_d128_causal:128,128,12,3; do
  v=${vt%%:*} tiles=${vt#*:}
  build/bin/attngen emit bench/variants.attn --variant "$v" --target sm_90a \
    --tiles "$tiles" --package ".carry/packages/${v}_bm${tiles%%,*}"
done
build/bin/attngen compile-packages .carry/packages --target sm_90a
rm -rf .carry/mma && mkdir -p .carry/mma
for f in examples/*.attn; do
  # A variant that only targets sm_89 (INT4) is skipped with its reason.
  build/bin/attngen emit "$f" --all --target sm_90 --package-dir .carry/mma || true
done
build/bin/attngen compile-packages .carry/mma --target sm_90
for d in .carry/mma/*; do mv "$d" ".carry/packages/$(basename "$d")_mma"; done
rmdir .carry/mma
du -sh .carry
