#!/usr/bin/env bash
# Installs what the build and the tests need and is missing; a no-op when all
# is there. Debian packages: LLVM/MLIR 22, fmt, Catch2, ninja. PyPI:
# nvidia-cuda-cuobjdump and nvidia-cuda-nvdisasm (the SASS checks; the CUDA install here
# lacks them).
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(llvm-22-dev libmlir-22-dev mlir-22-tools libzstd-dev libfmt-dev catch2 ninja-build cmake g++)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# cuobjdump -sass runs nvdisasm, which the cuobjdump wheel does not carry.
if [ ! -x .deps/py/nvidia/cu13/bin/cuobjdump ] || [ ! -x .deps/py/nvidia/cu13/bin/nvdisasm ]; then
  echo "installing: nvidia-cuda-cuobjdump, nvidia-cuda-nvdisasm (PyPI) into .deps/py"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    --target .deps/py --upgrade nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm
fi

if [ ! -f /usr/local/cuda/include/nvrtc.h ]; then
  echo "error: the CUDA toolkit (nvrtc.h, cuda.h) is not under /usr/local/cuda" >&2
  exit 1
fi
