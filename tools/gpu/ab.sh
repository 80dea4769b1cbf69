#!/usr/bin/env bash
# Run ON the lent GPU: an A/B (/C...) of source trees (e.g. HEAD and the commit before a
# change), each built MLIR-free, timing the same kernel packages with `attngen bench`,
# alternating A, B, ..., A, B, ... in one call so that all see the same machine. Each tree
# JIT-compiles the packages with its own templates (its own cache directory).
#   AB_TREES=".snap-old .snap" AB_PACKAGES=".snap/.carry/packages/int8_fp8_d128 ..."
#   AB_SHAPES="1,32,16384;2,32,8192" AB_ROUNDS=3 bash .snap/tools/gpu/ab.sh
# Or one tree and several template-macro settings (ATTNGEN_NVRTC_DEFINES), the baseline first,
# arms separated by '|' (an empty arm: the template defaults):
#   AB_TREES=".snap" AB_DEFINES="AG_SM90_PV_CHUNK=0|AG_SM90_PV_CHUNK=1" ... bash .snap/tools/gpu/ab.sh
# AB_ENVS adds environment settings per arm, '|'-separated like AB_DEFINES (each field: space-
# separated NAME=VALUE words, e.g. runtime knobs such as ATTNGEN_ATTENTION_CTAS=0):
#   AB_DEFINES="X=0|X=0|" AB_ENVS="ATTNGEN_ATTENTION_CTAS=0||" ...
# A package path may contain {tree}, replaced by each arm's tree: trees whose generators differ
# then each read their own packages (AB_PACKAGES="{tree}/.carry/packages/fp8_fp8_d64").
# Or one tree and package variants as arms: AB_SUFFIXES="|_bm128" times each package of
# AB_PACKAGES and the same path with each suffix appended (e.g. packages emitted with other
# tiles: attngen emit --tiles; prepare.sh makes a few), alternated like the other arms. It
# takes the place of AB_DEFINES / AB_ENVS, and only the first of AB_TREES is used.
# Kernels are looked up in AB_CACHE (default <tree>/.ab-cache: precompile them there to spare
# the GPU the NVRTC time).
# Prints one line per (package, arm, round), then each arm's median time per package and
# shape with its ratio to the first arm's.
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
# Arms: (tree, defines, label).
ARM_TREE=() ARM_DEF=() ARM_LABEL=() ARM_ENV=() ARM_SUFFIX=()
if [[ -n ${AB_SUFFIXES:-} ]]; then
  IFS='|' read -r -a sufs <<<"$AB_SUFFIXES|"
  for sfx in "${sufs[@]}"; do
    ARM_TREE+=("${TREES[0]}") ARM_DEF+=("") ARM_ENV+=("") ARM_SUFFIX+=("$sfx")
    ARM_LABEL+=("${sfx:-base}")
  done
elif [[ -n ${AB_DEFINES:-} ]]; then
  IFS='|' read -r -a defs <<<"$AB_DEFINES|" # (read drops one trailing empty field)
  IFS='|' read -r -a envs <<<"${AB_ENVS:-}|"
  for i in "${!defs[@]}"; do
    d=${defs[$i]} e=${envs[$i]:-}
    label="${d:-default}${e:+ $e}"
    ARM_TREE+=("${TREES[0]}") ARM_DEF+=("$d") ARM_ENV+=("$e") ARM_LABEL+=("$label")
  done
else
  for t in "${TREES[@]}"; do ARM_TREE+=("$t") ARM_DEF+=("") ARM_LABEL+=("$(basename "$t")"); done
fi
for pkg in ${AB_PACKAGES:?AB_PACKAGES: package directories}; do
  for ((r = 1; r <= rounds; ++r)); do
    for a in "${!ARM_TREE[@]}"; do
      t=${ARM_TREE[$a]}
      # shellcheck disable=SC2086 # the arm's NAME=VALUE words
      ms=$(env ${ARM_ENV[$a]:-} ATTNGEN_NVRTC_DEFINES="${ARM_DEF[$a]}" \
             ATTNGEN_CACHE_DIR="${AB_CACHE:-$PWD/$t/.ab-cache}" "$t/build-gpu/bin/attngen" bench --package "${pkg//\{tree\}/$t}${ARM_SUFFIX[$a]:-}" \
             --shapes "${AB_SHAPES:-1,32,16384}" --reps "${AB_REPS:-20}" 2>&1 | tee -a "$OUT/ab.log" \
             | awk -F'|' '/^\| [0-9]/ {printf "%s ", $4}')
      echo "$(basename "${pkg//\{tree\}/$t}") ${ARM_LABEL[$a]// /+} round $r: ms $ms" | tee -a "$OUT/ab-lines.txt"
    done
  done
done
python3 "$(dirname "$0")/ab_table.py" "$OUT/ab-lines.txt"
