#!/usr/bin/env bash
# GPU check of the training loop, for the GPU machine:
#   1. every CUDA op and the CUDA model against the CPU reference (the gpu-labelled
#      train tests: test_train_cuda_ops, test_train_cuda_model);
#   2. `tiny` trained on real text on the GPU and on the CPU, side by side (loss falls);
#   3. a short `cairn train --preset 1b --device cuda` on real text, which prints
#      tokens/s and MFU (6 N_non-embedding + 6 L d T FLOPs per token over 989 TFLOP/s,
#      as ../shared/peers/torch_llama.py counts them); with CAIRN_PEER=path/to/that
#      file (../shared does not travel to the GPU machine: copy it in), the PyTorch peer
#      runs after it on the same GPU for comparison.
# Usage: scripts/gpu-train-check.sh [BUILD_DIR]   (default: $CAIRN_BUILD_DIR or build)
# Real text: the fortunes corpus (/usr/share/games/fortunes, Debian `fortunes`), or a
# shard made elsewhere with `cairn data --fortune` and passed as CAIRN_SHARD=FILE.
# CAIRN_1B_STEPS (default 20), CAIRN_1B_BATCH (8) and CAIRN_1B_SEQ (2048) size step 3,
# as the peer's 1b run (batch 8 x 2048).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-${CAIRN_BUILD_DIR:-build}}
cairn="$build/bin/cairn"
status=0
for f in "$cairn" "$build/tests/train/test_train_cuda_ops" "$build/tests/train/test_train_cuda_model"; do
  [ -x "$f" ] || { echo "gpu-train-check: $f is missing; build with CUDA first (scripts/build.sh)" >&2; exit 2; }
done
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

echo "== 1. CUDA ops and model vs the CPU reference"
for t in test_train_cuda_ops test_train_cuda_model; do
  "$build/tests/train/$t" --gtest_brief=1 || status=1
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shard=${CAIRN_SHARD:-}
if [ -z "$shard" ]; then
  corpus=/usr/share/games/fortunes
  if [ ! -d "$corpus" ]; then
    echo "gpu-train-check: no real text here ($corpus is missing); make a shard where the fortunes" \
         "package is installed (cairn data --fortune --input ... --output F) and pass CAIRN_SHARD=F" >&2
    exit 2
  fi
  mapfile -t texts < <(find "$corpus" -maxdepth 1 -type f ! -name '*.*' | sort)
  shard="$work/fortunes.shard"
  "$cairn" data --fortune --input "${texts[@]}" --output "$shard" || exit 2
fi

echo "== 2. tiny on real text: cuda, then cpu (same seed, same batches)"
for device in cuda cpu; do
  "$cairn" train --preset tiny --data "$shard" --device "$device" --steps 200 --batch 16 --log-every 50 \
    || status=1
done

steps=${CAIRN_1B_STEPS:-20}
batch=${CAIRN_1B_BATCH:-8}
seq=${CAIRN_1B_SEQ:-2048}
echo "== 3. 1b on real text, $steps steps of $batch x $seq tokens"
"$cairn" train --preset 1b --data "$shard" --device cuda --steps "$steps" --batch "$batch" --seq-len "$seq" \
  --warmup 5 --lr 3e-4 --log-every 1 || status=1
if [ -n "${CAIRN_PEER:-}" ]; then
  echo "== peer: $CAIRN_PEER (PyTorch, same GPU)"
  python3 "$CAIRN_PEER" || status=1
fi
exit $status
