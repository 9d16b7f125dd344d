#!/usr/bin/env bash
# Trains the shipped segmenter, its four cross-validation folds and the ablation (folds 0 and 1 without
# synthetic tumours) side by side (one process each, sharing the device and the cores), each resuming where it
# stopped: run it again after an interruption. Runs go to $RUNS (default ~/.cache/gliomaai/runs).
#
# The recipe (segmenter 2.2): NETWORK=unet, STEPS=19400 in CYCLES=4 cosine cycles of 4850 (a finished
# run goes on by more cycles of the same length exactly as a run trained so from scratch would).
# DEVICE is auto: CUDA, then MPS, then the CPU. On two CPU cores one UNet run takes about 45 minutes
# alone (0.1-0.15 s a step), so the seven about 6 hours together. Segmenter 1.x was the SegResNet
# (NETWORK=segresnet-8 STEPS=6000 CYCLES=4), trained on one H200 in 9 minutes.
# With STEPS=auto, a calibration first runs 80 steps (CALIBRATION_STEPS) of each in scratch
# folders, and STEPS is the largest multiple of 1000 that fits 70 % of BUDGET seconds. Every run
# stops at the deadline (BUDGET), checkpointed.
#
# Needs torch, MONAI, numpy, scipy and tqdm only once the cases are prepared: they come from the
# cache that the first run here makes (GLIOMAAI_CACHE/train-2mm/*.npz), the case list from
# DATA/manifest.json. Then `gliomaai crossval` scores the folds at full resolution and chooses the
# thresholds, and `scripts/publish_model.py` copies the shipped weights and card into the package.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
RUNS=${RUNS:-$HOME/.cache/gliomaai/runs}
STEPS=${STEPS:-19400}
BUDGET=${BUDGET:-86400}  # seconds for calibration and training together: the deadline
CYCLES=${CYCLES:-4}
DEVICE=${DEVICE:-auto}
NETWORK=${NETWORK:-unet}  # gliomaai train --network: the shipped model's, or another
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
export PYTHONPATH="$PWD/GliomaAI${PYTHONPATH:+:$PYTHONPATH}" OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( $(nproc) / 7 > 0 ? $(nproc) / 7 : 1 ))}
start=$SECONDS
runs=("fold0 --fold 0" "fold1 --fold 1" "fold2 --fold 2" "fold3 --fold 3" "segmenter"
      "fold0-no-synthetic --fold 0 --no-synthetic-tumours" "fold1-no-synthetic --fold 1 --no-synthetic-tumours")
mkdir -p "$RUNS"

train_all() {  # train_all STEPS FOLDER_PREFIX SECONDS [more arguments]: the seven runs at once, each stopped after SECONDS
  local steps=$1 prefix=$2 limit=$3; shift 3
  local run name options
  for run in "${runs[@]}"; do
    read -r name options <<< "$run"
    # shellcheck disable=SC2086  # the options are words
    timeout "$limit" "$PYTHON" -m gliomaai.commands.train --data "$DATA" --device "$DEVICE" --network "$NETWORK" --cycles "$CYCLES" \
      --steps "$steps" --out "$RUNS/$prefix$name" $options "$@" > "$RUNS/$prefix$name.log" 2>&1 &
  done
  wait || true
}

# The cases are prepared once, here, before seven processes read them (the shipped run reads them all).
"$PYTHON" -m gliomaai.commands.train --data "$DATA" --device "$DEVICE" --network "$NETWORK" --out "$RUNS/segmenter" --until 0 \
  > "$RUNS/prepare.log" 2>&1
if [ "$STEPS" = auto ]; then
  train_all 100000 calibrate- 180 --until "${CALIBRATION_STEPS:-80}"
  seconds_per_step=$("$PYTHON" scripts/seconds_per_step.py "$RUNS"/calibrate-*/log.csv)
  left=$((BUDGET - (SECONDS - start)))
  STEPS=$("$PYTHON" -c "print(max(1000, int(0.7 * $left / $seconds_per_step) // 1000 * 1000))")
  echo "calibration: $seconds_per_step s a step with seven runs at once; $left s left: STEPS=$STEPS CYCLES=$CYCLES"
  rm -rf "$RUNS"/calibrate-*
fi
left=$((BUDGET - (SECONDS - start)))
train_all "$STEPS" "" "$((left - 10))"
for run in "${runs[@]}"; do
  read -r name options <<< "$run"
  echo "$name: step $(tail -1 "$RUNS/$name/log.csv" | cut -d, -f1) of $STEPS; $(ls "$RUNS/$name" | tr "\n" " ")"
done
