#!/usr/bin/env bash
# Round-2 GPU run (from the repo root, on the GPU machine): builds the sm90
# harness twice in parallel (causal blocks reversed / not), checks every
# config, times them, and prints a compact summary last. Results in $OUT.
set -uo pipefail
out=${OUT:-/tmp/sm90_round2}
bin=/tmp/sm90_round2_bin
mkdir -p "$out" "$bin"
flags="-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -Xptxas -v -I templates"
nvcc $flags tools/devharness/sm90_harness.cu -o "$bin/h" 2> "$out/ptxas.txt" &
nvcc $flags -DAG_SM90_CAUSAL_REVERSE=0 tools/devharness/sm90_harness.cu -o "$bin/h_norev" \
  2> "$out/ptxas_norev.txt" &
wait
[ -x "$bin/h" ] || { tail -30 "$out/ptxas.txt"; exit 1; }
echo "C7514/C7515 notes: $(grep -c -E 'C751[45]' "$out/ptxas.txt")"
"$bin/h" "${1:-all}" 1 > "$out/all.txt" 2>&1
rc=$?
"$bin/h_norev" i8f8_d128_causal,f8f8_d128_causal_thr 1 > "$out/norev.txt" 2>&1
echo "== causal without reversal =="
grep TIME "$out/norev.txt"
sed -n '/==== SUMMARY ====/,$p' "$out/all.txt"
exit $rc
