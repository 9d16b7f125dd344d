"""The CASE argument every case command shares: a folder, or the sequences one by one."""

from ..case import load_case
from ..errors import GliomaAIError
from ..sequences import DESCRIPTIONS, SEQUENCES


def add_case_arguments(parser) -> None:
    parser.add_argument("case", nargs="?", help="case folder (NIfTI, NRRD, MHA files or DICOM series folders)")
    for sequence in SEQUENCES:
        parser.add_argument(f"--{sequence}", metavar="PATH", help=f"{DESCRIPTIONS[sequence]} file (instead of a folder)")
    parser.add_argument("--brain-mask", metavar="PATH", help="brain mask (default: found in the folder, or computed)")
    parser.add_argument("--labels", metavar="PATH", help="label map to load when the folder holds several")
    parser.add_argument("--label-convention", help="convention of the labels (default: guessed from the values)")
    parser.add_argument("--align", action="store_true", help="register sequences on different grids rigidly")


def case_from_args(args):
    explicit = {s: getattr(args, s) for s in SEQUENCES if getattr(args, s)}
    if args.case and explicit:
        raise GliomaAIError("Both a case folder and sequence files were given.", "Give one or the other.")
    if not args.case and not explicit:
        raise GliomaAIError("No case given.", "Give a case folder, or the sequences with --t1n/--t1c/--t2w/--t2f.")
    return load_case(args.case or explicit, brain_mask=args.brain_mask, labels=args.labels,
                     label_convention=args.label_convention, align=args.align)
