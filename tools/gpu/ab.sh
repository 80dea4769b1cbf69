#!/usr/bin/env bash
# Run ON the lent GPU: an A/B of two source trees (e.g. HEAD and the commit before a
# change), each built MLIR-free, timing the same kernel packages with `attngen bench`,
# alternating A, B, A, B ... in one call so that both see the same machine. Each tree
# JIT-compiles the packages with its own templates (its own cache directory).
#   AB_A=.snap-old AB_B=.snap AB_PACKAGES=".snap/.carry/packages/int8_fp8_d128 ..."
#   AB_SHAPES="1,32,16384;2,32,8192" AB_ROUNDS=3 bash .snap/tools/gpu/ab.sh
# Prints one line per (package, tree, round) and the per-package median ratio B / A last.
set -uo pipefail
OUT=${OUT:-/tmp/attngen-out}; mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
A=${AB_A:?AB_A: the first tree} B=${AB_B:?AB_B: the second tree}
for t in "$A" "$B"; do
  (cmake -S "$t" -B "$t/build-gpu" -G Ninja -DATTNGEN_ENABLE_MLIR=OFF -DCMAKE_BUILD_TYPE=Release \
     >"$OUT/ab-cmake-$(basename "$t").log" 2>&1 && ninja -C "$t/build-gpu" \
     >"$OUT/ab-build-$(basename "$t").log" 2>&1) &
done
wait
for t in "$A" "$B"; do
  [[ -x $t/build-gpu/bin/attngen ]] || { echo "build of $t failed"; tail -20 "$OUT"/ab-build-*.log; exit 1; }
done
rounds=${AB_ROUNDS:-3}
for pkg in ${AB_PACKAGES:?AB_PACKAGES: package directories}; do
  for ((r = 1; r <= rounds; ++r)); do
    for t in "$A" "$B"; do
      ms=$(ATTNGEN_CACHE_DIR="$PWD/$t/.ab-cache" "$t/build-gpu/bin/attngen" bench --package "$pkg" \
             --shapes "${AB_SHAPES:-1,32,16384}" --reps "${AB_REPS:-20}" 2>&1 | tee -a "$OUT/ab.log" \
             | awk -F'|' '/^\| [0-9]/ {printf "%s ", $4}')
      echo "$(basename "$pkg") $(basename "$t") round $r: ms $ms" | tee -a "$OUT/ab-lines.txt"
    done
  done
done
python3 - "$OUT/ab-lines.txt" "$(basename "$A")" "$(basename "$B")" <<'EOF'
import sys, statistics, collections
path, a, b = sys.argv[1:]
t = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(path):
    name, tree, _, _, _, *ms = line.split()
    t[name][tree].append([float(x) for x in ms])
print(f"| package | shape | {a} ms (median) | {b} ms (median) | {b} / {a} time |")
print("|---|---|---|---|---|")
for name, trees in t.items():
    for i in range(len(trees[a][0])):
        ma = statistics.median(r[i] for r in trees[a])
        mb = statistics.median(r[i] for r in trees[b])
        print(f"| {name} | {i} | {ma:.3f} | {mb:.3f} | {mb / ma:.3f} |")
EOF
