"""Cheaper ways to a better core than a better network, scored on cases the models never saw: the mean of
the network's output over several passes, each pass a variant of how the shipped one reads a case.

- snapshot: each fold's model averaged with the same run one learning-rate cycle earlier (SNAPSHOTS);
- scales: passes with the case read at 1.8 and 2.2 mm as well as at the model's 2 mm;
- models (BraTS 2013 only): the shipped model averaged with the four fold models. In cross-validation
  every other fold's model has seen the case, so this variant has no fair cross-validation score.

All variants are labelled with the shipped model's thresholds and ET rule (not the nested choice of
`gliomaai crossval`): compare the rows with each other, not with the model card's nested figures.

    python scripts/inference_variants.py --runs RUNS/6000 --snapshots RUNS/4500 [--data ../shared/data]
        [--out docs/models/segmenter/scores-inference-variants.json]

RUNS/N: the folders fold0..fold3 and segmenter of scripts/train-segmenter.sh after N steps.
"""

import argparse
import copy
import dataclasses
import json
from pathlib import Path

import numpy as np

from gliomaai.inference.engine import default_engine
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.segmentation.segmenter import acquired_t1c_zscore, draw_labels
from gliomaai.training.crossval import REGIONS, markdown_table, score_labels, summarise
from gliomaai.training.data import EVALUATION_ONLY, load_labelled_case

FOLDS = ("fold0", "fold1", "fold2", "fold3")
SCALES_MM = (1.8, 2.2)


def read_at(segmenter, spacing_mm: float):
    """The segmenter reading cases at another grid spacing (same weights, same cached network)."""
    other = copy.copy(segmenter)
    other.card = dataclasses.replace(other.card, input={**other.card.input, "spacing_mm": spacing_mm})
    return other


def variants(case, model: Path, snapshots: Path | None, engine, ensemble: list[Path]) -> dict:
    """{variant: mean probabilities} for one case, `model` being the run that never saw it."""
    segmenter = load_segmenter(model)
    shipped = segmenter.probabilities(case, engine)[0]
    scales = [read_at(segmenter, s).probabilities(case, engine)[0] for s in SCALES_MM]
    out = {"shipped": shipped, "scales": np.mean([shipped, *scales], axis=0)}
    if snapshots is not None:
        earlier = load_segmenter(snapshots / model.name).probabilities(case, engine)[0]
        out["snapshot"] = (shipped + earlier) / 2
    if ensemble:
        out["models"] = np.mean([shipped] + [load_segmenter(m).probabilities(case, engine)[0] for m in ensemble], axis=0)
    return out


def score(case, probabilities: dict, rules, t1c) -> dict:
    return {name: score_labels(case, draw_labels(rules, case, p, t1c)[0], 0.0) for name, p in probabilities.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=Path, required=True, help="the runs as shipped (fold0..fold3, segmenter)")
    parser.add_argument("--snapshots", type=Path, help="the same runs one cycle earlier")
    parser.add_argument("--out", type=Path, default=Path("docs/models/segmenter/scores-inference-variants.json"))
    args = parser.parse_args()
    engine, rules = default_engine(), load_segmenter("default")  # labelled alike: the shipped rules
    rows = {"cross_validation": {}, "brats2013_flair_t1c": {}}
    jobs = [(name, args.runs / fold, [], "cross_validation") for fold in FOLDS
            for name in read_card(args.runs / fold / "model.json").training["held_out"]]
    jobs += [(name, args.runs / "segmenter", [args.runs / f for f in FOLDS], "brats2013_flair_t1c")
             for name in EVALUATION_ONLY if (args.data / name).exists()]
    for name, model, ensemble, part in jobs:
        case = load_labelled_case(args.data, name)
        scored = score(case, variants(case, model, args.snapshots, engine, ensemble), rules, acquired_t1c_zscore(case))
        for variant, row in scored.items():
            rows[part].setdefault(variant, []).append(row)
        print(name, " ".join(f"{v}: " + "/".join(f"{r[k]['dice']:.3f}" for k in REGIONS) for v, r in scored.items()),
              flush=True)
    summaries = {part: {variant: summarise(r) for variant, r in by.items()} for part, by in rows.items()}
    args.out.write_text(json.dumps({"summary": summaries, "per_case": rows}, indent=2) + "\n")
    for part, by in summaries.items():
        for variant, summary in by.items():
            print(markdown_table(summary, f"{part}: {variant}"), "\n")


if __name__ == "__main__":
    main()
