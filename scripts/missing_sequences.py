"""How the segmenter does with sequences missing, on cases it never saw: each fold's model segments
its four held-out BraTS 2018 cases from each of several subsets of the sequences, as `gliomaai segment`
does with only those files given (with its default test-time augmentation). Every model labels with the
shipped model's thresholds, ET rule (the ET channel where the T1c is absent) and whole-tumour seed, and
reads the whole tumour as it does, so rows compare with each other; the first row, all four sequences, is
the same case set as the model card's cross-validation, at the shipped rules rather than the nested choice.

    python scripts/missing_sequences.py --runs RUNS/6000 [--data ../shared/data]
        [--out docs/models/segmenter/scores-missing-sequences.json]

RUNS/N: the folders fold0..fold3 of scripts/train-segmenter.sh after N steps. Each case's rows are
written to --out as they are done, and skipped when the script is run again. The output's one key,
"missing_sequences", is the model card's: with it in the card, `gliomaai segment` says what the
model scored with the sequences a case has, when some are missing.
"""

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from gliomaai.inference.engine import default_engine
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.segmentation import DEFAULT_TTA
from gliomaai.segmentation.segmenter import MISSING_SEQUENCE_SCORES, segment_case, sequences_key
from gliomaai.training.crossval import as_shipped, score_labels, sequences_table, summarise
from gliomaai.training.data import load_labelled_case

FOLDS = ("fold0", "fold1", "fold2", "fold3")
PROTOCOL = ("Each fold's model on its four held-out BraTS 2018 cases, given only these sequences, labelled with the "
            "shipped model's thresholds and ET rule.")
# The protocols people bring: the full set, one sequence left out, the pairs common in practice, one alone.
SUBSETS = (("t1n", "t1c", "t2w", "t2f"), ("t1c", "t2w", "t2f"), ("t1n", "t2w", "t2f"), ("t1n", "t1c", "t2w"),
           ("t1c", "t2f"), ("t1n", "t1c"), ("t2w", "t2f"), ("t1c",), ("t2f",))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=Path, required=True, help="the fold runs (fold0..fold3)")
    parser.add_argument("--out", type=Path, default=Path("docs/models/segmenter/scores-missing-sequences.json"))
    args = parser.parse_args()
    engine, shipped = default_engine(), load_segmenter("default")
    rules = {"thresholds": list(shipped.thresholds), "enhancing_t1c_zscore": shipped.enhancing_zscore,
             "whole_tumour_also_from": list(shipped.whole_tumour_also_from),
             "whole_tumour_seed": shipped.whole_tumour_seed, "tta": DEFAULT_TTA}
    earlier = json.loads(args.out.read_text())[MISSING_SEQUENCE_SCORES] if args.out.exists() else None
    if earlier and earlier["rules"] != rules:
        raise SystemExit(f"{args.out} was scored with other rules ({earlier['rules']}): move it away to score again.")
    rows = earlier["cases"] if earlier else []
    done = {(r["case"], sequences_key(tuple(r["sequences"]))) for r in rows}
    for fold in FOLDS:
        model = as_shipped(args.runs / fold / "model.json", shipped)
        for case_name in tqdm(read_card(args.runs / fold / "model.json").training["held_out"], desc=fold):
            case = load_labelled_case(args.data, case_name)
            for subset in SUBSETS:
                if (case_name, sequences_key(subset)) in done:
                    continue
                partial = case.only(subset)
                result = segment_case(partial, model, engine, tta=DEFAULT_TTA)
                rows.append({"fold": fold, **score_labels(partial, result.labels_array(), result.seconds)})
            scores = {"protocol": PROTOCOL, "rules": rules, "by_sequences": summary(rows), "cases": rows}
            args.out.write_text(json.dumps({MISSING_SEQUENCE_SCORES: scores}, indent=1) + "\n")
    print(sequences_table(summary(rows)))


def summary(rows: list) -> dict:
    """Per subset: each region's mean and median Dice, HD95, sensitivity and precision over its cases."""
    return {sequences_key(s): summarise([r for r in rows if tuple(r["sequences"]) == s])
            for s in SUBSETS if any(tuple(r["sequences"]) == s for r in rows)}


if __name__ == "__main__":
    main()
