#!/usr/bin/env bash
# Build and run the wgmma dev harness on the GPU machine (from the repo root):
#   tools/devharness/run_sm90.sh [configs|all] [timing 0/1]
# Writes ptxas -v to $OUT (or /tmp/sm90_harness) and prints SASS instruction counts;
# NVCC_FLAGS adds flags (e.g. -DAG_SM90_PINGPONG=0).
set -euo pipefail
out=${OUT:-/tmp/sm90_harness}
mkdir -p "$out"
nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -Xptxas -v -I templates ${NVCC_FLAGS:-} \
  tools/devharness/sm90_harness.cu -o "$out/sm90_harness" 2> "$out/ptxas.txt" || {
  cat "$out/ptxas.txt"; exit 1; }
grep -A2 "attngen_attention" "$out/ptxas.txt" | grep -E "registers|spill" | sort | uniq -c || true
echo "ptxas wgmma serialization notes (C7514/C7515): $(grep -c -E "C751[45]" "$out/ptxas.txt")"
if command -v cuobjdump > /dev/null; then
  cuobjdump -sass "$out/sm90_harness" > /tmp/sm90_sass.txt
  echo "SASS: IGMMA $(grep -c IGMMA /tmp/sm90_sass.txt) QGMMA $(grep -c QGMMA /tmp/sm90_sass.txt)" \
       "HGMMA $(grep -c HGMMA /tmp/sm90_sass.txt) local $(grep -cE 'LDL|STL' /tmp/sm90_sass.txt)"
fi
"$out/sm90_harness" "${1:-all}" "${2:-1}"
