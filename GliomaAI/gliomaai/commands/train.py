"""`gliomaai train`: train the segmenter here (resumes from its checkpoint), or one cross-validation fold.

`python -m gliomaai.commands.train ARGS` runs the same command where only the trainer's dependencies
are installed (torch, MONAI, numpy, scipy; no image readers): a GPU machine training from the cache.
"""

import sys

from ..models.network import DEFAULT_SEGMENTER_NAME, SEGMENTERS
from ..training.train import TrainConfig, train


def add_parser(subparsers):
    parser = subparsers.add_parser("train", help="train the segmentation model (resumes where it stopped)")
    parser.add_argument("--data", default="../shared/data", help="folder of cases with manifest.json")
    parser.add_argument("--out", required=True, help="run folder: checkpoint, curves, weights and card")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--cycles", type=int, default=1,
                        help="learning-rate cycles with warm restarts; a finished run of N steps goes on to "
                             "--steps 2N --cycles 2 from its checkpoint")
    parser.add_argument("--fold", type=int, help="cross-validation fold to hold out (default: train on all)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--until", type=int, help="stop at this step (checkpointed); run again later to go on")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then the CPU), cpu, cuda, mps")
    parser.add_argument("--no-synthetic-tumours", action="store_true", help="do not insert synthetic tumours")
    parser.add_argument("--synthetic-core-radius-mm", type=float, nargs=2, default=TrainConfig.synthetic_core_radius_mm,
                        metavar=("MIN", "MAX"), help="range of the synthetic tumours' core radius (default %(default)s)")
    parser.add_argument("--network", choices=list(SEGMENTERS), default=DEFAULT_SEGMENTER_NAME,
                        help="the network to train (default %(default)s, the shipped model's); "
                             "benchmarks/architectures.py times each")
    parser.add_argument("--init-from", help="model card (.json) whose weights start the run instead of random ones")
    parser.set_defaults(run=run)


def run(args) -> int:
    card = train(TrainConfig(data=args.data, out=args.out, steps=args.steps, cycles=args.cycles, fold=args.fold, folds=args.folds,
                             seed=args.seed, synthetic_tumours=not args.no_synthetic_tumours,
                             synthetic_core_radius_mm=tuple(args.synthetic_core_radius_mm), init_from=args.init_from,
                             architecture=SEGMENTERS[args.network], device=args.device), until=args.until)
    print(f"Wrote {card} and its weights" if card else f"Stopped at step {args.until}; run again to go on")
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="gliomaai")
    add_parser(parser.add_subparsers())
    arguments = parser.parse_args(["train", *sys.argv[1:]])
    sys.exit(arguments.run(arguments))
