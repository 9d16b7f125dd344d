#!/usr/bin/env bash
# The recipe of train-segmenter.sh on one GPU machine: the four folds, the shipped model and the
# ablation without synthetic tumours train side by side (one process each, sharing the GPU and the
# cores). With STEPS given, each run trains to STEPS in CYCLES cosine cycles, resuming where it
# stopped: segmenter 1.2 is STEPS=6000 CYCLES=4 (four cycles of 1500; on an H200 with 16 cores,
# 0.09 s a step with all six at once, 9 minutes). Without STEPS, a calibration first runs 80 steps
# (CALIBRATION_STEPS) of each, all six at once, in scratch folders, and STEPS is the largest
# multiple of 1000 that fits 70 % of BUDGET seconds. Every run stops at the deadline, checkpointed;
# running the script again with a larger STEPS and CYCLES goes on with the same cycle length (a
# run extended to 2N steps in 2C cycles equals one trained so from scratch).
#
# Needs torch, MONAI, numpy, scipy and tqdm only: the cases come from the cache that
# `gliomaai train` makes on the first run (GLIOMAAI_CACHE/train-2mm/*.npz) and the case list from
# DATA/manifest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
RUNS=${RUNS:-$HOME/.cache/gliomaai/runs-gpu}
BUDGET=${BUDGET:-3600}  # seconds for calibration and training together: the deadline
CYCLES=${CYCLES:-4}
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
export PYTHONPATH="$PWD/GliomaAI${PYTHONPATH:+:$PYTHONPATH}" OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
start=$SECONDS
runs=("fold0 --fold 0" "fold1 --fold 1" "fold2 --fold 2" "fold3 --fold 3" "segmenter"
      "fold0-no-synthetic --fold 0 --no-synthetic-tumours")
mkdir -p "$RUNS"

train_all() {  # train_all STEPS FOLDER_PREFIX SECONDS [more arguments]: the six runs at once, each stopped after SECONDS
  local steps=$1 prefix=$2 limit=$3; shift 3
  local run name options
  for run in "${runs[@]}"; do
    read -r name options <<< "$run"
    # shellcheck disable=SC2086  # the options are words
    timeout "$limit" "$PYTHON" -m gliomaai.commands.train --data "$DATA" --device "$DEVICE" --cycles "$CYCLES" \
      --steps "$steps" --out "$RUNS/$prefix$name" $options "$@" > "$RUNS/$prefix$name.log" 2>&1 &
  done
  wait || true
}

if [ -z "${STEPS:-}" ]; then
  train_all 100000 calibrate- 180 --until "${CALIBRATION_STEPS:-80}"
  seconds_per_step=$("$PYTHON" - "$RUNS" <<'EOF'
import csv, sys
from pathlib import Path
rates = []
for log in Path(sys.argv[1]).glob("calibrate-*/log.csv"):
    rows = list(csv.DictReader(open(log)))
    first = len(rows) // 4  # after the first steps' set-up (cuDNN's choice of kernels)
    rates.append((float(rows[-1]["seconds"]) - float(rows[first]["seconds"])) / (len(rows) - 1 - first))
print(max(rates))
EOF
)
  left=$((BUDGET - (SECONDS - start)))
  STEPS=$("$PYTHON" -c "print(max(1000, int(0.7 * $left / $seconds_per_step) // 1000 * 1000))")
  echo "calibration: $seconds_per_step s a step with six runs at once; $left s left: STEPS=$STEPS CYCLES=$CYCLES"
  rm -rf "$RUNS"/calibrate-*
fi
left=$((BUDGET - (SECONDS - start)))
train_all "$STEPS" "" "$((left - 10))"
for run in "${runs[@]}"; do
  read -r name options <<< "$run"
  echo "$name: step $(tail -1 "$RUNS/$name/log.csv" | cut -d, -f1) of $STEPS; $(ls "$RUNS/$name" | tr "\n" " ")"
done
