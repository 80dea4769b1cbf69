#!/usr/bin/env bash
# Build and run the wgmma dev harness on the GPU machine (from the repo root):
#   tools/devharness/run_sm90.sh [configs|all] [timing 0/1]
# Writes ptxas -v and SASS instruction counts to $OUT (or /tmp) beside the run.
set -euo pipefail
out=${OUT:-/tmp/sm90_harness}
mkdir -p "$out"
nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -Xptxas -v -I templates \
  tools/devharness/sm90_harness.cu -o "$out/sm90_harness" 2> "$out/ptxas.txt" || {
  cat "$out/ptxas.txt"; exit 1; }
grep -A2 "attngen_attention" "$out/ptxas.txt" | grep -E "registers|spill" | sort | uniq -c || true
if command -v cuobjdump > /dev/null; then
  cuobjdump -sass "$out/sm90_harness" > "$out/sass.txt"
  echo "SASS: IGMMA $(grep -c IGMMA "$out/sass.txt") QGMMA $(grep -c QGMMA "$out/sass.txt")" \
       "HGMMA $(grep -c HGMMA "$out/sass.txt") local $(grep -cE 'LDL|STL' "$out/sass.txt")"
fi
"$out/sm90_harness" "${1:-all}" "${2:-1}"
