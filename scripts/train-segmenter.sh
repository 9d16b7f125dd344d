#!/usr/bin/env bash
# Trains the shipped segmenter and its cross-validation on this CPU, each run resuming where it
# stopped (run it again after an interruption). Runs go to $RUNS (default ~/.cache/gliomaai/runs).
# The recipe: 3000 steps in two cosine cycles of 1500 (a run of 1500 steps goes on to 3000
# with the same command). Then `gliomaai crossval` scores the folds at full resolution and
# chooses the thresholds, and `scripts/publish_model.py` copies the shipped weights and card
# into the package.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$HOME/.cache/gliomaai/runs}
STEPS=${STEPS:-3000}
CYCLES=${CYCLES:-2}
DATA=${DATA:-../shared/data}
GLIOMAAI=${GLIOMAAI:-.venv/bin/gliomaai}
for fold in 0 1 2 3; do
  "$GLIOMAAI" train --data "$DATA" --out "$RUNS/fold$fold" --fold "$fold" --steps "$STEPS" --cycles "$CYCLES"
done
"$GLIOMAAI" train --data "$DATA" --out "$RUNS/segmenter" --steps "$STEPS" --cycles "$CYCLES"
# The ablation: the same fold and budget without synthetic tumours.
"$GLIOMAAI" train --data "$DATA" --out "$RUNS/fold0-no-synthetic" --fold 0 --steps "$STEPS" --cycles "$CYCLES" \
  --no-synthetic-tumours
