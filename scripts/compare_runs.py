"""Runs of the same folds (arms: another recipe, another network) compared on their held-out cases,
each labelled with the shipped model's rules (thresholds, ET rule, whole-tumour reading).

    python scripts/compare_runs.py --arm before=RUNS/fold{} --arm control=OUT/control-fold{} \\
        --arm large=OUT/big-fold{} --folds 0 3 --out docs/models/segmenter/scores-large-cores.json \\
        [--data ../shared/data]

An arm is NAME=PATTERN, `{}` standing for the fold. Per case: Dice and HD95 per region, and the
core's volumes and errors as scripts/core_errors.py reports them; per arm, the means, and the mean
over the cases whose expert core is mostly non-enhancing and over the others.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core_errors import core_errors
from gliomaai.inference.engine import default_engine
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.segmentation.segmenter import acquired_t1c_zscore, draw_labels
from gliomaai.training.crossval import REGIONS, as_shipped, score_labels
from gliomaai.training.data import load_labelled_case


def means(rows: list[dict]) -> dict:
    return {r: {k: round(float(np.mean([row[r][k] for row in rows])), 4) for k in ("dice", "hd95")} for r in REGIONS}


def summary(rows: list[dict]) -> dict:
    """The arm's means over every case, and over the cases whose expert core is mostly non-enhancing and the others."""
    def mostly_non_enhancing(row):
        return row["core"]["expert_netc_ml"] > row["core"]["expert_core_ml"] / 2

    groups = {"all": rows, "mostly_non_enhancing": [r for r in rows if mostly_non_enhancing(r)],
              "mostly_enhancing": [r for r in rows if not mostly_non_enhancing(r)]}
    return {name: {"cases": len(group), **means(group)} for name, group in groups.items() if group}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arm", action="append", required=True, metavar="NAME=PATTERN")
    parser.add_argument("--folds", type=int, nargs="+", required=True)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    arms = dict(arm.split("=", 1) for arm in args.arm)
    engine, shipped = default_engine(), load_segmenter("default")
    rows = {name: [] for name in arms}
    runs = {}
    for fold in args.folds:
        cards = {name: read_card(Path(pattern.format(fold)) / "model.json") for name, pattern in arms.items()}
        held_out = {tuple(card.training["held_out"]) for card in cards.values()}
        if len(held_out) != 1:
            raise SystemExit(f"Fold {fold}: the arms hold out different cases.")
        runs[fold] = {name: {"path": str(Path(card.path).parent), "steps": card.training["steps"],
                             "config": card.training["config"]} for name, card in cards.items()}
        segmenters = {name: as_shipped(card.path, shipped) for name, card in cards.items()}
        for case_name in tqdm(held_out.pop(), desc=f"fold {fold}"):
            case = load_labelled_case(args.data, case_name)
            t1c = acquired_t1c_zscore(case)
            for name, segmenter in segmenters.items():
                probabilities, _ = segmenter.probabilities(case, engine)
                labels = draw_labels(segmenter, case, probabilities, t1c)[0]
                row = score_labels(case, labels, 0.0)
                rows[name].append({"fold": fold, **row,
                                   "core": core_errors(case, segmenter, probabilities, t1c, labels)})
                print(f"{case_name:22s} {name:10s} Dice " + " / ".join(f"{row[r]['dice']:.3f}" for r in REGIONS),
                      flush=True)
    scores = {"rules": {"thresholds": list(shipped.thresholds), "enhancing_t1c_zscore": shipped.enhancing_zscore,
                        "whole_tumour_also_from": list(shipped.whole_tumour_also_from)},
              "runs": runs, "summary": {name: summary(arm_rows) for name, arm_rows in rows.items()}, "per_case": rows}
    args.out.write_text(json.dumps(scores, indent=1) + "\n")
    print(json.dumps(scores["summary"], indent=1))


if __name__ == "__main__":
    main()
