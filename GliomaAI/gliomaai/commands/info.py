"""`gliomaai info CASE`: the sequences found, their grids, what is missing."""


from ..summary import case_summary, format_summary
from .case_arguments import add_case_arguments, case_from_args
from .output import to_json


def add_parser(subparsers):
    parser = subparsers.add_parser("info", help="show the sequences of a case, their grids and what is missing")
    add_case_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run)


def run(args) -> int:
    summary = case_summary(case_from_args(args))
    print(to_json(summary) if args.json else format_summary(summary))
    return 0
