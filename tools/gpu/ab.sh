#!/usr/bin/env bash
# Run ON the lent GPU: an A/B (/C...) of source trees (e.g. HEAD and the commit before a
# change), each built MLIR-free, timing the same kernel packages with `attngen bench`,
# alternating A, B, ..., A, B, ... in one call so that all see the same machine. Each tree
# JIT-compiles the packages with its own templates (its own cache directory).
#   AB_TREES=".snap-old .snap" AB_PACKAGES=".snap/.carry/packages/int8_fp8_d128 ..."
#   AB_SHAPES="1,32,16384;2,32,8192" AB_ROUNDS=3 bash .snap/tools/gpu/ab.sh
# Prints one line per (package, tree, round), then each tree's median time per package and
# shape with its ratio to the first tree's.
set -uo pipefail
OUT=${OUT:-/tmp/attngen-out}; mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
read -r -a TREES <<<"${AB_TREES:?AB_TREES: the source trees, the baseline first}"
for t in "${TREES[@]}"; do
  (cmake -S "$t" -B "$t/build-gpu" -G Ninja -DATTNGEN_ENABLE_MLIR=OFF -DCMAKE_BUILD_TYPE=Release \
     >"$OUT/ab-cmake-$(basename "$t").log" 2>&1 && ninja -C "$t/build-gpu" \
     >"$OUT/ab-build-$(basename "$t").log" 2>&1) &
done
wait
for t in "${TREES[@]}"; do
  [[ -x $t/build-gpu/bin/attngen ]] || { echo "build of $t failed"; tail -20 "$OUT"/ab-build-*.log; exit 1; }
done
rounds=${AB_ROUNDS:-3}
for pkg in ${AB_PACKAGES:?AB_PACKAGES: package directories}; do
  for ((r = 1; r <= rounds; ++r)); do
    for t in "${TREES[@]}"; do
      ms=$(ATTNGEN_CACHE_DIR="$PWD/$t/.ab-cache" "$t/build-gpu/bin/attngen" bench --package "$pkg" \
             --shapes "${AB_SHAPES:-1,32,16384}" --reps "${AB_REPS:-20}" 2>&1 | tee -a "$OUT/ab.log" \
             | awk -F'|' '/^\| [0-9]/ {printf "%s ", $4}')
      echo "$(basename "$pkg") $(basename "$t") round $r: ms $ms" | tee -a "$OUT/ab-lines.txt"
    done
  done
done
python3 "$(dirname "$0")/ab_table.py" "$OUT/ab-lines.txt"
