"""Whether the whole tumour is drawn better from more than one view of the sequences, scored on cases
the models never saw.

The network was trained with sequences dropped at random, so it can read a case from any subset of
them. With sequences missing (scripts/missing_sequences.py) T2 + FLAIR alone drew the whole tumour
better than all four in 10 of the 16 cross-validation cases (mean Dice 0.862 against 0.845), mostly
by drawing less edema where the T1-weighted images misled it. The variants here average the whole
tumour's probability over several views of the same case, keeping the core and enhancing tumour of
the full view (without T1c they are poor):

- all: the four sequences, as shipped;
- wt-t2-flair: WT the mean of all four and T2 + FLAIR;
- wt-leave-t1s-out: WT the mean of all four, T2 + FLAIR, T1 + T2 + FLAIR and T1c + T2 + FLAIR.

Each is labelled with the shipped model's thresholds and ET rule; the WT threshold is then also
chosen nested (each fold's cases at the threshold best on the other folds' cases), since a mean of
views is calibrated differently. The BraTS 2013 cases have T1c and FLAIR only: there the view is
FLAIR alone.

    python scripts/sequence_views.py --runs RUNS/6000 [--data ../shared/data]
        [--out docs/models/segmenter/scores-sequence-views.json]
"""

import argparse
import json
from pathlib import Path

import numpy as np

from gliomaai.inference.engine import default_engine
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.segmentation.segmenter import acquired_t1c_zscore, draw_labels, sequences_key, tuned
from gliomaai.training.crossval import CANDIDATE_THRESHOLDS, markdown_table, score_labels, summarise
from gliomaai.training.data import EVALUATION_ONLY, load_labelled_case

FOLDS = ("fold0", "fold1", "fold2", "fold3")
WT_VIEWS = {"all": [], "wt-t2-flair": [("t2w", "t2f")],
            "wt-leave-t1s-out": [("t2w", "t2f"), ("t1n", "t2w", "t2f"), ("t1c", "t2w", "t2f")]}


def view_probabilities(segmenter, case, engine) -> dict:
    """{sequences_key: probabilities} for the case as given and each view of it that its sequences allow."""
    views = {tuple(case.present)} | {v for vs in WT_VIEWS.values() for v in vs if set(v) <= set(case.present)}
    views |= {("t2f",)} if "t2f" in case.present and "t2w" not in case.present else set()
    return {sequences_key(v): segmenter.probabilities(case.only(v), engine)[0] for v in views}


def variant_probabilities(case, views: dict) -> dict:
    """{variant: probabilities}: WT averaged over the variant's views the case has, TC and ET from the full view."""
    full = views[sequences_key(case.present)]
    out = {}
    for variant, extra in WT_VIEWS.items():
        keys = [sequences_key(v) for v in extra if sequences_key(v) in views]
        if not keys and "t2w" not in case.present and extra:
            keys = [sequences_key(("t2f",))]  # T1c + FLAIR: the view without T1c is FLAIR alone
        mixed = full.copy()
        mixed[0] = np.mean([full[0]] + [views[k][0] for k in keys], axis=0)
        out[variant] = mixed
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=Path, required=True, help="the runs as shipped (fold0..fold3, segmenter)")
    parser.add_argument("--out", type=Path, default=Path("docs/models/segmenter/scores-sequence-views.json"))
    args = parser.parse_args()
    engine, shipped = default_engine(), load_segmenter("default")
    jobs = [(name, args.runs / fold, "cross_validation", fold) for fold in FOLDS
            for name in read_card(args.runs / fold / "model.json").training["held_out"]]
    jobs += [(name, args.runs / "segmenter", "brats2013_flair_t1c", None)
             for name in EVALUATION_ONLY if (args.data / name).exists()]
    rows = {}  # part -> variant -> WT threshold -> [rows]
    for name, model, part, fold in jobs:
        case = load_labelled_case(args.data, name)
        t1c = acquired_t1c_zscore(case)
        variants = variant_probabilities(case, view_probabilities(load_segmenter(model), case, engine))
        for variant, probabilities in variants.items():
            for threshold in CANDIDATE_THRESHOLDS:
                rules = tuned(shipped, (threshold,) + tuple(shipped.thresholds[1:]), shipped.enhancing_zscore,
                              shipped.whole_tumour_seed)
                row = {"fold": fold, **score_labels(case, draw_labels(rules, case, probabilities, t1c)[0], 0.0)}
                rows.setdefault(part, {}).setdefault(variant, {}).setdefault(str(threshold), []).append(row)
        at_shipped = str(shipped.thresholds[0])
        print(name, " ".join(f"{v}: {rows[part][v][at_shipped][-1]['WT']['dice']:.3f}" for v in variants), flush=True)
    scores = {part: {variant: scored(by, shipped.thresholds[0]) for variant, by in variants.items()}
              for part, variants in rows.items()}
    args.out.write_text(json.dumps({"scores": scores, "per_case": rows}, indent=1) + "\n")
    for part, variants in scores.items():
        for variant, s in variants.items():
            print(markdown_table(s["shipped_threshold"], f"{part}: {variant}, WT threshold {shipped.thresholds[0]}"))
            if "nested" in s:
                print(markdown_table(s["nested"], f"{part}: {variant}, WT threshold nested {s['chosen']}"))


def scored(by_threshold: dict, shipped_threshold: float) -> dict:
    """The variant at the shipped WT threshold, and (with folds) at a WT threshold chosen on the other folds."""
    out = {"shipped_threshold": summarise(by_threshold[str(shipped_threshold)])}
    folds = sorted({r["fold"] for r in by_threshold[str(shipped_threshold)] if r["fold"]})
    if not folds:
        return out
    nested, chosen = [], {}
    for fold in folds:
        def others(t):
            return np.mean([r["WT"]["dice"] for r in by_threshold[t] if r["fold"] != fold])
        best = max(by_threshold, key=others)
        chosen[fold] = float(best)
        nested += [r for r in by_threshold[best] if r["fold"] == fold]
    out.update(nested=summarise(nested), chosen=chosen)
    return out


if __name__ == "__main__":
    main()
