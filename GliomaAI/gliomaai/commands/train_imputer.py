"""`gliomaai train-imputer`: train the imputation network here (resumes from its checkpoint), or one fold."""

from ..training.train_imputer import ImputerConfig, train_imputer


def add_parser(subparsers):
    parser = subparsers.add_parser("train-imputer", help="train the missing-sequence imputer (resumes where it stopped)")
    parser.add_argument("--data", default="../shared/data", help="folder of cases with manifest.json")
    parser.add_argument("--out", required=True, help="run folder: checkpoint, curves, weights and card")
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--fold", type=int, help="cross-validation fold to hold out (default: train on all)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ssim-weight", type=float, default=0.5, help="weight of the SSIM term beside L1 (0: L1 only)")
    parser.add_argument("--until", type=int, help="stop at this step (checkpointed); run again later to go on")
    parser.set_defaults(run=run)


def run(args) -> int:
    card = train_imputer(ImputerConfig(data=args.data, out=args.out, steps=args.steps, fold=args.fold,
                                       folds=args.folds, seed=args.seed, ssim_weight=args.ssim_weight),
                         until=args.until)
    print(f"Wrote {card} and its weights" if card else f"Stopped at step {args.until}; run again to go on")
    return 0
