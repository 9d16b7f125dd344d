#!/usr/bin/env bash
# The networks `gliomaai train --network` offers, compared at the same training time on this machine:
# each trains cross-validation folds for BUDGET seconds a fold (its step count calibrated first, on
# 30 steps, so a faster network takes more steps), one run at a time, with the shipped recipe
# otherwise (synthetic tumours, one cosine cycle). Each run resumes where it stopped: run the script
# again after an interruption. Calibrate on a quiet machine: a job beside the calibration makes it
# give too few steps. OUT/NETWORK.steps, where present, gives a network's steps instead (written by
# the calibration, or by hand from benchmarks/architectures.py's step times). Then
# scripts/compare_runs.py (shipped rules, any folds) and gliomaai crossval (nested, four folds) score them.
#
#   OUT=~/.cache/gliomaai/networks BUDGET=720 FOLDS="0 1" scripts/compare-networks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
OUT=${OUT:-$HOME/.cache/gliomaai/networks}
BUDGET=${BUDGET:-720}
FOLDS=${FOLDS:-0 1}
NETWORKS=${NETWORKS:-segresnet-8 segresnet-16 dynunet unet}
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
export PYTHONPATH="$PWD/GliomaAI${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"

for network in $NETWORKS; do
  steps_file="$OUT/$network.steps"
  if [ ! -s "$steps_file" ]; then  # calibration: seconds a step after the first quarter, in a scratch run
    rm -rf "$OUT/calibrate-$network"
    "$PYTHON" -m gliomaai.commands.train --data "$DATA" --out "$OUT/calibrate-$network" --network "$network" \
      --fold 0 --steps 100000 --until 30 > "$OUT/calibrate-$network.log" 2>&1
    rate=$("$PYTHON" scripts/seconds_per_step.py "$OUT/calibrate-$network/log.csv")
    "$PYTHON" -c "print(max(50, int($BUDGET / $rate) // 50 * 50))" > "$steps_file"
    rm -rf "$OUT/calibrate-$network"
  fi
  steps=$(cat "$steps_file")
  for fold in $FOLDS; do
    echo "$network fold $fold: $steps steps"
    "$PYTHON" -m gliomaai.commands.train --data "$DATA" --out "$OUT/$network-fold$fold" --network "$network" \
      --fold "$fold" --steps "$steps" > "$OUT/$network-fold$fold.log" 2>&1
  done
done
