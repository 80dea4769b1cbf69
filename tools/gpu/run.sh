#!/usr/bin/env bash
# Run ON the lent GPU (tools/gpu/prepare.sh first, here): builds the MLIR-free runtime,
# runs the GPU tests over the carried kernel packages, then the benchmark against torch
# SDPA. Full logs and results go to $OUT (as one results.tgz unless BUNDLE=0); a short
# table is printed last.
#   STAGES="build tests cli bench mods bias blockmap" (default: all)   BENCH_ARGS="--dims 128 --lens 16384"
#   mods: tools/bench/bench_mods.py, the score modifiers and masks against their base
#   variants and torch SDPA with the dense bias (MODS_ARGS are passed on).
#   bias: tools/bench/bench_bias.py, a Swin-V2-like bias as lowrank(R) factors against
#   the dense table, torch SDPA with it and no bias (BIAS_ARGS are passed on).
#   blockmap: tools/bench/bench_blockmap.py, a document mask as a dense table with and
#   without its block map (BLOCKMAP_ARGS are passed on).
#   profile (not in the default): ncu --set full (source counters) of the attention kernel
#   for each PROFILE entry "package:B,H,N" into $OUT/ncu-*.{ncu-rep,txt,csv}.
#   tune (not in the default): `attngen tune` of TUNE_PACKAGE (default: default) over
#   TUNE_SHAPES into $OUT/tuning.json (candidates precompiled here: docs/TUNING.md), then
#   `attngen bench --tuning-db` of the same shapes and the GPU tests tagged [tune].
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/attngen-out}; mkdir -p "$OUT"
STAGES=${STAGES:-"build tests cli bench mods bias blockmap"}
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export ATTNGEN_PACKAGES=$PWD/.carry/packages ATTNGEN_CACHE_DIR=$PWD/.carry/cache PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader | tee "$OUT/gpu.txt"
status=0
if [[ $STAGES == *build* ]]; then
  cmake -S . -B build-gpu -G Ninja -DATTNGEN_ENABLE_MLIR=OFF -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log" 2>&1 \
    && ninja -C build-gpu >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/cmake.log" "$OUT/build.log"; exit 1; }
  echo "build ok"
fi
if [[ $STAGES == *tests* ]]; then
  build-gpu/bin/attngen-gpu-tests ${TEST_ARGS:-} >"$OUT/gpu-tests.log" 2>&1; status=$?
  grep -E "FAILED|failed|passed|REQUIRE|with expansion" "$OUT/gpu-tests.log" | tail -25
  tail -4 "$OUT/gpu-tests.log"
fi
if [[ $STAGES == *cli* ]]; then
  # The CLI's GPU verbs on a package (the MLIR-free build has no compiler).
  for args in "run --package .carry/packages/default --shape 1,8,4096 --inputs activation" \
              "run --package .carry/packages/causal_gqa --shape 2,8,2,777,1500" \
              "bench --package .carry/packages/default --shapes 1,32,16384;4,32,4096 --reps 10"; do
    echo "\$ attngen $args"
    build-gpu/bin/attngen $args 2>&1 | tee -a "$OUT/cli.log" | tail -12 || status=1
  done
fi
if [[ $STAGES == *bench* ]]; then
  export ATTNGEN_LIB=$PWD/build-gpu/lib/libattngen.so
  # A failed benchmark fails the run (pipefail; the filter itself may select nothing).
  python3 tools/bench/bench.py --packages .carry/packages --out "$OUT" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log" | { grep -v "^  D=" || true; }
  bench_status=$?
  ((status == 0)) && status=$bench_status
fi
if [[ $STAGES == *tune* ]]; then
  pkg=.carry/packages/${TUNE_PACKAGE:-default}
  shapes=${TUNE_SHAPES:-"1,32,16384;4,32,4096;16,32,1024"}
  build-gpu/bin/attngen tune --package "$pkg" --shapes "$shapes" --db "$OUT/tuning.json" \
    --reps 10 --out "$OUT/tune" >"$OUT/tune.log" 2>&1 || status=1
  tail -30 "$OUT/tune.log"
  build-gpu/bin/attngen bench --package "$pkg" --shapes "$shapes" --reps 10 \
    --tuning-db "$OUT/tuning.json" 2>&1 | tee -a "$OUT/tune.log" | tail -8 || status=1
  ATTNGEN_TUNING_DB=$OUT/tuning.json build-gpu/bin/attngen-gpu-tests "[tune]" >>"$OUT/tune.log" 2>&1 \
    || status=1
  tail -3 "$OUT/tune.log"
fi
if [[ $STAGES == *profile* ]]; then
  # PROFILE_KERNEL: a kernel name or regex:... (default the attention kernel).
  for entry in ${PROFILE:-"int8_fp8_d128:16,32,1024"}; do
    pkg=${entry%%:*} shape=${entry#*:} tag=ncu-${entry//[:,]/-}
    ncu --clock-control none --kernel-name "${PROFILE_KERNEL:-attngen_attention}" \
      --launch-skip "${PROFILE_SKIP:-2}" --launch-count "${PROFILE_COUNT:-1}" \
      --set full --import-source yes -f -o "$OUT/$tag" \
      build-gpu/bin/attngen bench --package ".carry/packages/$pkg" --shapes "$shape" --reps 3 \
      >"$OUT/$tag.log" 2>&1 || status=1
    ncu -i "$OUT/$tag.ncu-rep" --page details >"$OUT/$tag.txt" 2>&1
    ncu -i "$OUT/$tag.ncu-rep" --page source --csv --print-source sass >"$OUT/$tag.csv" 2>&1
    echo "$entry: $(grep -E "^  attngen_|^ +Duration|^ +DRAM Throughput|^ +Memory Throughput" "$OUT/$tag.txt" | tr -s ' ' | tr '\n' ' ')"
    rm -f "$OUT/$tag.ncu-rep" "$OUT/$tag.log" # the text and CSV pages carry what is read
  done
fi
if [[ $STAGES == *mods* ]]; then
  export ATTNGEN_LIB=$PWD/build-gpu/lib/libattngen.so
  python3 tools/bench/bench_mods.py --packages .carry/packages --out "$OUT" ${MODS_ARGS:-} 2>&1 \
    | tee "$OUT/mods.log" | { grep -v "^  " || true; }
  mods_status=$?
  ((status == 0)) && status=$mods_status
fi
if [[ $STAGES == *bias* ]]; then
  export ATTNGEN_LIB=$PWD/build-gpu/lib/libattngen.so
  python3 tools/bench/bench_bias.py --packages .carry/packages --out "$OUT" ${BIAS_ARGS:-} 2>&1 \
    | tee "$OUT/bias.log" | { grep -v "^  " || true; }
  bias_status=$?
  ((status == 0)) && status=$bias_status
fi
if [[ $STAGES == *blockmap* ]]; then
  export ATTNGEN_LIB=$PWD/build-gpu/lib/libattngen.so
  python3 tools/bench/bench_blockmap.py --packages .carry/packages --out "$OUT" ${BLOCKMAP_ARGS:-} 2>&1 \
    | tee "$OUT/blockmap.log" | { grep -v "^  " || true; }
  bm_status=$?
  ((status == 0)) && status=$bm_status
fi
# One archive of everything under $OUT (the device tool returns a handful of files per
# call); BUNDLE=0 keeps the files as they are.
if [[ ${BUNDLE:-1} == 1 ]]; then
  tar -czf /tmp/attngen-results.tgz -C "$OUT" . && find "$OUT" -mindepth 1 -delete \
    && mv /tmp/attngen-results.tgz "$OUT/results.tgz"
fi
exit $status
