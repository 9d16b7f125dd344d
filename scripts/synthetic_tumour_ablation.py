"""What synthetic tumours add: folds trained with and without them (same budget), scored alike.

    python scripts/synthetic_tumour_ablation.py --with RUN [RUN ...] --without RUN [RUN ...] \
        --out scores-synthetic-tumour-ablation.json

The runs pair up in order (the same fold, the same steps, one with and one without synthetic
tumours). Each run's held-out cases are scored at full resolution twice: as trained (thresholds
0.5, the ET channel; no threshold choice, which would need every fold) and with the shipped
model's rules (its thresholds, ET rule and whole-tumour reading). Means are over all held-out
cases; each case's Dice with minus without is kept, with the cases it moved by more than 0.02.
"""

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from gliomaai.inference.engine import default_engine
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.training.crossval import ENHANCING, REGIONS, SEED, score_case, summarise
from gliomaai.training.data import load_labelled_case


def check_pairs(with_runs: list[Path], without_runs: list[Path]) -> list[dict]:
    if len(with_runs) != len(without_runs):
        raise SystemExit("Give as many runs with synthetic tumours as without: they pair up in order.")
    trainings = []
    for with_run, without_run in zip(with_runs, without_runs):
        cards = [read_card(run / "model.json") for run in (with_run, without_run)]
        if cards[0].training["held_out"] != cards[1].training["held_out"] or \
                cards[0].training["steps"] != cards[1].training["steps"]:
            raise SystemExit(f"{with_run} and {without_run} must hold out the same cases and train the same steps.")
        if [card.training["config"]["synthetic_tumours"] for card in cards] != [True, False]:
            raise SystemExit(f"{with_run} must be trained with synthetic tumours and {without_run} without.")
        trainings.append(cards[0].training)
    return trainings


def score_runs(runs: list[Path], data: Path, engine, choice=None, whole_tumour_also_from=None) -> list[dict]:
    """Each run's held-out cases, scored as `gliomaai crossval` scores them (with `choice`: those thresholds and ET rule)."""
    return [score_case(load_labelled_case(data, name), run / "model.json", engine, choice=choice,
                       whole_tumour_also_from=whole_tumour_also_from)
            for run in runs
            for name in tqdm(read_card(run / "model.json").training["held_out"], desc=f"scoring {run.name}")]


def compare(with_rows: list[dict], without_rows: list[dict]) -> dict:
    """Mean Dice and HD95 with and without; each case's Dice with minus without; cases up or down by over 0.02."""
    def means(rows):
        summary = summarise(rows)
        return {r: {k: summary[r][k]["mean"] for k in ("dice", "hd95")} for r in REGIONS}

    without_by_case = {row["case"]: row for row in without_rows}
    change = [{"case": row["case"], **{r: round(row[r]["dice"] - without_by_case[row["case"]][r]["dice"], 4)
                                       for r in REGIONS}} for row in with_rows]
    return {"with_synthetic_tumours": means(with_rows), "without_synthetic_tumours": means(without_rows),
            "dice_with_minus_without": change,
            "cases_up": {r: sum(c[r] > 0.02 for c in change) for r in REGIONS},
            "cases_down": {r: sum(c[r] < -0.02 for c in change) for r in REGIONS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with", dest="with_runs", type=Path, nargs="+", required=True)
    parser.add_argument("--without", dest="without_runs", type=Path, nargs="+", required=True)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    trainings = check_pairs(args.with_runs, args.without_runs)
    engine, shipped = default_engine(), load_segmenter("default")
    shipped_choice = {**dict(zip(REGIONS, shipped.thresholds)), ENHANCING: shipped.enhancing_zscore,
                      SEED: shipped.whole_tumour_seed}
    scored = {rules: [score_runs(runs, args.data, engine, *options) for runs in (args.with_runs, args.without_runs)]
              for rules, options in (("as_trained", ()),
                                     ("shipped_rules", (shipped_choice, shipped.whole_tumour_also_from)))}
    scores = {"synthetic_tumour_ablation": {
        "folds": [t["config"]["fold"] for t in trainings], "cases": len(scored["as_trained"][0]),
        "steps": trainings[0]["steps"], "cycles": trainings[0]["config"].get("cycles", 1),
        **compare(*scored["as_trained"]),
        "shipped_rules": {"thresholds": list(shipped.thresholds), "enhancing_t1c_zscore": shipped.enhancing_zscore,
                          "whole_tumour_also_from": list(shipped.whole_tumour_also_from),
                          **compare(*scored["shipped_rules"])}}}
    args.out.write_text(json.dumps(scores, indent=2) + "\n")
    print(json.dumps({k: v for k, v in scores["synthetic_tumour_ablation"].items()
                      if k != "dice_with_minus_without"}, indent=1))


if __name__ == "__main__":
    main()
