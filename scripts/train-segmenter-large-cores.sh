#!/usr/bin/env bash
# Larger synthetic tumour cores, measured: one more cosine cycle (1500 steps, a fresh optimiser) from
# the 6000-step fold weights of scripts/train-segmenter.sh, with synthetic cores of 3-24 mm radius
# instead of 3-12 mm, for the four folds; and the same cycle with 3-12 mm cores (the control) for
# fold 0. One run at a time (each takes the two cores: about 12 minutes a run here); each resumes
# where it stopped, so run it again after an interruption.
#
#   RUNS=~/.cache/gliomaai/runs OUT=~/.cache/gliomaai/runs-large-cores scripts/train-segmenter-large-cores.sh
#
# Then scripts/compare_runs.py scores them beside the 6000-step folds.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
RUNS=${RUNS:-$HOME/.cache/gliomaai/runs}
OUT=${OUT:-$HOME/.cache/gliomaai/runs-large-cores}
STEPS=${STEPS:-1500}
PYTHON=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
export PYTHONPATH="$PWD/GliomaAI${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"

cycle() {  # cycle NAME FROM MAX_CORE_RADIUS_MM [more arguments]
  local name=$1 from=$2 radius=$3; shift 3
  "$PYTHON" -m gliomaai.commands.train --data "$DATA" --out "$OUT/$name" --steps "$STEPS" \
    --init-from "$RUNS/$from/model.json" --synthetic-core-radius-mm 3 "$radius" "$@" > "$OUT/$name.log" 2>&1
}

for fold in 0 1 2 3; do
  cycle "big-fold$fold" "fold$fold" 24 --fold "$fold"
done
cycle control-fold0 fold0 12 --fold 0
