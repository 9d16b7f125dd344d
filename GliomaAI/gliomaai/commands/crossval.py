"""`gliomaai crossval`: score the cross-validation folds and the shipped model on cases they never saw."""

import argparse
from pathlib import Path

from ..segmentation import DEFAULT_TTA
from ..sequences import SEQUENCES
from ..training.crossval import cross_validation, held_out_test, markdown_table, write_scores


def add_parser(subparsers):
    parser = subparsers.add_parser("crossval", help="score trained folds and a model on held-out real cases")
    parser.add_argument("--data", default="../shared/data", help="folder of cases with manifest.json")
    parser.add_argument("--folds", nargs="*", default=[], help="fold run folders (each with model.json)")
    parser.add_argument("--model", help="model to score on the held-out BraTS 2013 cases (FLAIR + T1c only)")
    parser.add_argument("--out", required=True, help="JSON file for the scores")
    parser.add_argument("--tta", action=argparse.BooleanOptionalAction, default=DEFAULT_TTA,
                        help="the mean of four mirrored passes, as `gliomaai segment` reads by default (--no-tta: one)")
    parser.add_argument("--model-thresholds", action="store_true",
                        help="score at the models' own thresholds and ET rule instead of choosing them on "
                             "out-of-fold cases")
    parser.add_argument("--whole-tumour-also-from", nargs="*", metavar="SEQUENCE", choices=SEQUENCES,
                        help="read the whole tumour a second time from these sequences alone and average the two "
                             "(default: as each model's card says; none given: once)")
    parser.set_defaults(run=run)


def run(args) -> int:
    scores = {}
    if args.folds:
        scores["cross_validation"] = cross_validation(Path(args.data), [Path(f) for f in args.folds], tta=args.tta,
                                                      choose_thresholds=not args.model_thresholds,
                                                      whole_tumour_also_from=args.whole_tumour_also_from)
        print(markdown_table(scores["cross_validation"]["summary"], "Cross-validation, BraTS 2018"))
    chosen = scores.get("cross_validation", {}).get("thresholds")
    if chosen:
        print(f"Thresholds and ET rule chosen on all out-of-fold cases (for the shipped model): {chosen}")
    if args.model:
        scores["brats2013_flair_t1c"] = held_out_test(Path(args.data), args.model, tta=args.tta, choice=chosen,
                                                      whole_tumour_also_from=args.whole_tumour_also_from)
        if scores["brats2013_flair_t1c"]:
            print(markdown_table(scores["brats2013_flair_t1c"]["summary"], "BraTS 2013, FLAIR + T1c only"))
    write_scores(Path(args.out), scores)
    print(f"Wrote {args.out}")
    return 0
