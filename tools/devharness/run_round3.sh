#!/usr/bin/env bash
# Round-3 GPU run (from the repo root, on the GPU machine): builds the sm90
# harness (Q quantized inside attention) and, when a baseline tree is given
# ($BASE: a checkout of the previous templates + harness), the baseline too,
# and with $VARIANT (nvcc flags, e.g. -DAG_SM90_Q_STAGGER=0) a variant build;
# checks every config, times them, prints a compact summary last.
#   tools/devharness/run_round3.sh [configs|all] [baseline / variant configs]
set -uo pipefail
out=${OUT:-/tmp/sm90_round3}
bin=/tmp/sm90_round3_bin
mkdir -p "$out" "$bin"
flags="-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -Xptxas -v"
nvcc $flags -I templates tools/devharness/sm90_harness.cu -o "$bin/h" 2> "$out/ptxas.txt" &
if [ -n "${BASE:-}" ]; then
  nvcc $flags -I "$BASE/templates" "$BASE/tools/devharness/sm90_harness.cu" -o "$bin/base" \
    2> "$out/ptxas_base.txt" &
fi
if [ -n "${VARIANT:-}" ]; then
  nvcc $flags $VARIANT -I templates tools/devharness/sm90_harness.cu -o "$bin/var" \
    2> "$out/ptxas_var.txt" &
fi
wait
[ -x "$bin/h" ] || { tail -30 "$out/ptxas.txt"; exit 1; }
echo "C7514/C7515 notes: $(grep -c -E 'C751[45]' "$out/ptxas.txt")"
grep -A2 "attngen_attention" "$out/ptxas.txt" | grep -E "registers|spill" | sort | uniq -c
"$bin/h" "${1:-all}" 1 > "$out/all.txt" 2>&1
rc=$?
if [ -x "$bin/base" ]; then
  "$bin/base" "${2:-i8f8_d128,i8f8_d128_causal}" 1 > "$out/base.txt" 2>&1
  echo "== baseline (quant_q prologue + bulk copy of Q) =="
  grep TIME "$out/base.txt"
fi
if [ -x "$bin/var" ]; then
  "$bin/var" "${2:-i8f8_d128,i8f8_d128_causal}" 1 > "$out/var.txt" 2>&1
  echo "== variant: $VARIANT =="
  grep -E "TIME|FAIL" "$out/var.txt"
fi
sed -n '/==== SUMMARY ====/,$p' "$out/all.txt"
exit $rc
