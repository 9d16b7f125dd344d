"""What synthetic tumours add: one fold trained with and without them (same budget), scored alike.

    python scripts/synthetic_tumour_ablation.py RUN_WITH RUN_WITHOUT --out scores-synthetic-tumour-ablation.json

Both runs are scored on their held-out cases at threshold 0.5 (no threshold choice, which would
need every fold), at full resolution, as `gliomaai crossval` scores.
"""

import argparse
import json
from pathlib import Path

from gliomaai.models.card import read_card
from gliomaai.training.crossval import REGIONS, cross_validation


def mean_scores(run: Path, data: Path) -> dict:
    summary = cross_validation(data, [run], choose_thresholds=False)["summary"]
    return {r: {k: summary[r][k]["mean"] for k in ("dice", "hd95")} for r in REGIONS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("with_run", type=Path)
    parser.add_argument("without_run", type=Path)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    cards = [read_card(run / "model.json") for run in (args.with_run, args.without_run)]
    if cards[0].training["held_out"] != cards[1].training["held_out"] or \
            cards[0].training["steps"] != cards[1].training["steps"]:
        raise SystemExit("The two runs must hold out the same cases and train the same number of steps.")
    config = cards[0].training["config"]
    scores = {"synthetic_tumour_ablation": {
        "fold": config["fold"], "cases": len(cards[0].training["held_out"]), "steps": cards[0].training["steps"],
        "cycles": config.get("cycles", 1),
        "with_synthetic_tumours": mean_scores(args.with_run, args.data),
        "without_synthetic_tumours": mean_scores(args.without_run, args.data)}}
    args.out.write_text(json.dumps(scores, indent=2) + "\n")
    print(json.dumps(scores, indent=2))


if __name__ == "__main__":
    main()
