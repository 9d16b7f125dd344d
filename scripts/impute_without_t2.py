"""Whether imputing helps segmentation when neither T2 nor FLAIR was acquired, on cases the models never saw.

For each case held out by the imputer folds that exist (each has the same held-out cases as the
segmenter fold of its name), the case is cut down to T1 + T1c, to T1c alone, and to T1c + FLAIR
(for comparison: the BraTS 2013 pair, where imputing was measured to help), then segmented by the
fold's segmenter as it is and with the missing sequences other than T1c imputed by the fold's
imputer, as `gliomaai segment --impute-missing` does. The segmenter labels with the shipped model's
rules.

    python scripts/impute_without_t2.py --segmenters RUNS/6000 --imputers IMPUTER_RUNS [--data ../shared/data]
        [--out docs/models/imputer/impute-without-t2.json]
"""

import argparse
import json
from pathlib import Path

import numpy as np

from gliomaai.imputation.imputer import NOT_IMPUTED_FOR_SEGMENTATION, impute_case
from gliomaai.inference.engine import default_engine
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.segmentation.segmenter import segment_case, sequences_key
from gliomaai.training.crossval import REGIONS, as_shipped, score_labels
from gliomaai.training.data import load_labelled_case

FOLDS = ("fold0", "fold1", "fold2", "fold3")
GIVEN = (("t1n", "t1c"), ("t1c",), ("t1c", "t2f"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--segmenters", type=Path, required=True, help="the segmenter fold runs (fold0..fold3)")
    parser.add_argument("--imputers", type=Path, required=True, help="the imputer fold runs (those that exist)")
    parser.add_argument("--out", type=Path, default=Path("docs/models/imputer/impute-without-t2.json"))
    args = parser.parse_args()
    engine, shipped = default_engine(), load_segmenter("default")
    rows = {sequences_key(given): [] for given in GIVEN}
    for fold in (f for f in FOLDS if (args.imputers / f / "model.json").exists()):
        segmenter_card, imputer = args.segmenters / fold / "model.json", args.imputers / fold / "model.json"
        held_out = read_card(segmenter_card).training["held_out"]
        if read_card(imputer).training["held_out"] != held_out:
            raise SystemExit(f"{fold}: the imputer and the segmenter hold out different cases")
        segmenter = as_shipped(segmenter_card, shipped)
        for name in held_out:
            case = load_labelled_case(args.data, name)
            for given in GIVEN:
                partial = case.only(given)
                targets = [s for s in partial.missing if s not in NOT_IMPUTED_FOR_SEGMENTATION]
                filled = impute_case(partial, targets, imputer, engine).case_with_imputed(partial)
                row = {"case": name, "fold": fold, "imputed": targets}
                for label, version in (("absent", partial), ("imputed", filled)):
                    row[label] = score_labels(version, segment_case(version, segmenter, engine).labels_array(), 0.0)
                rows[sequences_key(given)].append(row)
                print(name, sequences_key(given), {k: [round(row[k][r]["dice"], 3) for r in REGIONS]
                                                   for k in ("absent", "imputed")}, flush=True)
    means = {given: {label: {r: round(float(np.mean([row[label][r]["dice"] for row in by])), 4) for r in REGIONS}
                     for label in ("absent", "imputed")} for given, by in rows.items()}
    args.out.write_text(json.dumps({"mean_dice": means, "cases": rows}, indent=1) + "\n")
    for given, by_label in means.items():
        print(given, json.dumps(by_label))


if __name__ == "__main__":
    main()
