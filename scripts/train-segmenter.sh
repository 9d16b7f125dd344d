#!/usr/bin/env bash
# Trains the shipped segmenter and its cross-validation, each run resuming where it stopped (run
# it again after an interruption). Runs go to $RUNS (default ~/.cache/gliomaai/runs).
# The recipe: 6000 steps in four cosine cycles of 1500 (a finished run goes on by more cycles of
# the same length exactly as a run trained so from scratch would). About 37 minutes a run on two
# CPU cores; scripts/train-segmenter-gpu.sh trains the same six runs at once on one GPU in 9.
# Then `gliomaai crossval` scores the folds at full resolution and chooses the thresholds, and
# `scripts/publish_model.py` copies the shipped weights and card into the package.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$HOME/.cache/gliomaai/runs}
STEPS=${STEPS:-6000}
CYCLES=${CYCLES:-4}
DATA=${DATA:-../shared/data}
GLIOMAAI=${GLIOMAAI:-.venv/bin/gliomaai}
for fold in 0 1 2 3; do
  "$GLIOMAAI" train --data "$DATA" --out "$RUNS/fold$fold" --fold "$fold" --steps "$STEPS" --cycles "$CYCLES"
done
"$GLIOMAAI" train --data "$DATA" --out "$RUNS/segmenter" --steps "$STEPS" --cycles "$CYCLES"
# The ablation: the same fold and budget without synthetic tumours.
"$GLIOMAAI" train --data "$DATA" --out "$RUNS/fold0-no-synthetic" --fold 0 --steps "$STEPS" --cycles "$CYCLES" \
  --no-synthetic-tumours
