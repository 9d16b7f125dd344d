#!/usr/bin/env bash
# Trains the shipped segmenter and its cross-validation on this CPU, each run resuming where it
# stopped (run it again after an interruption). Runs go to $RUNS (default ~/.cache/gliomaai/runs).
# Then `gliomaai crossval` scores the folds at full resolution and `scripts/publish_model.py`
# copies the shipped weights and card into the package.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$HOME/.cache/gliomaai/runs}
STEPS=${STEPS:-1500}
DATA=${DATA:-../shared/data}
GLIOMAAI=${GLIOMAAI:-.venv/bin/gliomaai}
"$GLIOMAAI" train --data "$DATA" --out "$RUNS/segmenter" --steps "$STEPS"
"$GLIOMAAI" train --data "$DATA" --out "$RUNS/fold0" --fold 0 --steps "$STEPS"
# The ablation: the same fold and budget without synthetic tumours.
"$GLIOMAAI" train --data "$DATA" --out "$RUNS/fold0-no-synthetic" --fold 0 --steps "$STEPS" --no-synthetic-tumours
for fold in 1 2 3; do
  "$GLIOMAAI" train --data "$DATA" --out "$RUNS/fold$fold" --fold "$fold" --steps "$STEPS"
done
