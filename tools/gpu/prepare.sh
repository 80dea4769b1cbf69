#!/usr/bin/env bash
# Run HERE (the machine with MLIR) before a call on the lent GPU: builds, emits the kernel
# packages of bench/variants.attn and examples/*.attn for sm_90a into .carry/packages and
# compiles each with NVRTC into the disk cache .carry/cache, so that the GPU machine (no
# MLIR there) loads them with no NVRTC call. Then call the device with
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
build/bin/attngen compile-packages .carry/packages --target sm_90a
du -sh .carry
