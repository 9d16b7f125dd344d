"""`gliomaai crossval-imputer`: score the imputer's folds and the baselines, and segmentation with imputed inputs."""

from pathlib import Path

from ..errors import GliomaAIError
from ..training.imputation_scores import cross_validation, markdown_tables


def add_parser(subparsers):
    parser = subparsers.add_parser("crossval-imputer",
                                   help="score imputer folds beside the baselines, and the segmentation they lead to")
    parser.add_argument("--data", default="../shared/data", help="folder of cases with manifest.json")
    parser.add_argument("--folds", nargs="+", required=True, help="imputer fold run folders (each with model.json)")
    parser.add_argument("--segmenters", nargs="+", required=True,
                        help="the segmenter fold run folders holding out the same cases, in the same order")
    parser.add_argument("--out", required=True, help="JSON file for the scores (cases already in it are kept)")
    parser.set_defaults(run=run)


def run(args) -> int:
    if len(args.folds) != len(args.segmenters):
        raise GliomaAIError("--folds and --segmenters differ in number.", "Give one segmenter fold per imputer fold.")
    scores = cross_validation(Path(args.data), args.folds, args.segmenters, Path(args.out))
    print(markdown_tables(scores["summary"]))
    print(f"Wrote {args.out}")
    return 0
