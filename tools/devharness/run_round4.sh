#!/usr/bin/env bash
# Round-4 GPU run (from the repo root, on the GPU machine): sm90 harness
# binaries built on the dev machine (nvcc there) and carried in $BIN. Checks
# every config with $CHECK_BIN (programmatic dependent launch on), then times
# $CFGS with each RUNS entry "binary:pdl" (pdl 0 = AG_PDL=0); summary last.
#   BIN=build-prologue/devharness RUNS="base:0 h:0 h:1" tools/devharness/run_round4.sh
set -uo pipefail
out=${OUT:-/tmp/sm90_round4}
bin=${BIN:-build-prologue/devharness}
cfgs=${CFGS:-bench_i8f8_bal,default_i8bf16_tok,i8f8_d128}
mkdir -p "$out"
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm --format=csv,noheader
"$bin/${CHECK_BIN:-h}" "${CHECK:-all}" 0 > "$out/correct.txt" 2>&1
rc=$?
echo "correctness (${CHECK_BIN:-h}) rc=$rc: $(grep -c PASS "$out/correct.txt") PASS," \
  "$(grep -c FAIL "$out/correct.txt") FAIL"
grep -E "FAIL|error" "$out/correct.txt" | head -20
for run in ${RUNS:-base:0 h:0 h:1}; do
  name=${run%%:*} pdl=${run##*:}
  [ -x "$bin/$name" ] || continue
  AG_PDL=$pdl "$bin/$name" "$cfgs" 1 > "$out/time_${name}_pdl$pdl.txt" 2>&1
done
for run in ${RUNS:-base:0 h:0 h:1}; do
  f="$out/time_${run%%:*}_pdl${run##*:}.txt"
  [ -f "$f" ] || continue
  echo "== ${run%%:*} pdl ${run##*:}"
  sed -n '/==== SUMMARY ====/,$p' "$f" | grep -E "TIME|FAIL" |
    sed -e 's/TFLOPS//g' -e 's/TIME //' -e 's/  */ /g' -e 's/quant_q.*//'
done
exit $rc
