#!/usr/bin/env bash
# Trains the shipped imputer and its four cross-validation folds on this CPU, each run resuming
# where it stopped (run it again after an interruption). Runs go to $RUNS (default
# ~/.cache/gliomaai/imputer-runs). Then `gliomaai crossval-imputer` scores the folds and
# `scripts/publish_model.py RUN --name imputer` copies the shipped weights and card into the package.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$HOME/.cache/gliomaai/imputer-runs}
STEPS=${STEPS:-3000}
FOLD_STEPS=${FOLD_STEPS:-2000}  # the folds train for less, to fit the CPU: their scores understate the shipped model
DATA=${DATA:-../shared/data}
GLIOMAAI=${GLIOMAAI:-.venv/bin/gliomaai}
"$GLIOMAAI" train-imputer --data "$DATA" --out "$RUNS/imputer" --steps "$STEPS"
for fold in 0 1 2 3; do
  "$GLIOMAAI" train-imputer --data "$DATA" --out "$RUNS/fold$fold" --fold "$fold" --steps "$FOLD_STEPS"
done
