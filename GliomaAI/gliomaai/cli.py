"""The `gliomaai` command: one subcommand per job, clear errors, progress bars for long work."""

import argparse
import sys

from . import __version__
from .commands import crossval, crossval_imputer, demo, evaluate, explain, finetune, fuse, impute, info, segment, train, train_imputer, web
from .errors import GliomaAIError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gliomaai", description="GliomaAI: AI for glioma MRI.")
    parser.add_argument("--version", action="version", version=f"gliomaai {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    info.add_parser(subparsers)
    evaluate.add_parsers(subparsers)
    fuse.add_parser(subparsers)
    segment.add_parser(subparsers)
    impute.add_parser(subparsers)
    explain.add_parser(subparsers)
    demo.add_parser(subparsers)
    train.add_parser(subparsers)
    train_imputer.add_parser(subparsers)
    finetune.add_parser(subparsers)
    crossval.add_parser(subparsers)
    crossval_imputer.add_parser(subparsers)
    web.add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except GliomaAIError as error:
        print(f"gliomaai {args.command}: error: {error.problem}", file=sys.stderr)
        if error.hint:
            print(f"  what to do: {error.hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gliomaai {args.command}: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
