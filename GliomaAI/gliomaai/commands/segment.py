"""`gliomaai segment CASE --out DIR`: the tumour segmentation of a case, with uncertainty, volumes and a picture."""

import argparse
from pathlib import Path

from .. import labels as conventions
from ..errors import GliomaAIError
from ..imageio import image_from_array, write_image
from ..imputation.imputer import impute_for_segmentation
from ..inference.engine import DEVICES, default_engine
from ..report import case_montage
from ..segmentation import DEFAULT_TTA
from ..segmentation.segmenter import segment_case
from .case_arguments import add_case_arguments, case_from_args
from .output import percent_bar, to_json

OUTPUTS = ("segmentation.nii.gz", "uncertainty.nii.gz", "volumes.json", "segmentation.png")


def add_parser(subparsers):
    parser = subparsers.add_parser("segment", help="segment the tumour (NETC, SNFH, ET) of a case")
    add_case_arguments(parser)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICES)} (default: auto)")
    parser.add_argument("--model", default="default", help="built-in model name, model card or folder, or MONAI bundle folder")
    parser.add_argument("--convention", default="brats2023", choices=list(conventions.CONVENTIONS),
                        help="label convention of segmentation.nii.gz (default: brats2023)")
    parser.add_argument("--tta", action=argparse.BooleanOptionalAction, default=DEFAULT_TTA,
                        help="test-time augmentation: the mean of four mirrored passes, the uncertainty from their "
                             "disagreement (default: on; --no-tta reads once, faster, uncertainty from the entropy)")
    parser.add_argument("--impute-missing", action="store_true",
                        help="synthesise missing sequences first (default imputer; T1c is left out, as it "
                             "measured better absent) and segment with them")
    parser.set_defaults(run=run)


def refuse_to_overwrite(out: Path) -> None:
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing:
        raise GliomaAIError(f"{out} already holds {', '.join(existing)}.",
                            "Choose another --out: GliomaAI never overwrites a segmentation.")


def write_segmentation(result, case, out: Path, convention: str) -> dict:
    """The result's files in `out`; refuses to replace earlier results there."""
    refuse_to_overwrite(out)
    labels = image_from_array(conventions.from_canonical(result.labels_array(), convention), case.reference)
    provenance = f"GliomaAI {result.model} {result.model_version}, labels {convention}"
    write_image(labels, out / "segmentation.nii.gz", description=provenance)
    write_image(result.uncertainty, out / "uncertainty.nii.gz", description=f"{provenance}: uncertainty 0..1")
    summary = {"case": case.name, "volumes_ml": result.volumes_ml, "model": result.model,
               "model_version": result.model_version, "convention": convention, "device": result.device,
               "tta": result.tta, "sequences": list(result.sequences), "seconds": result.seconds, "notes": result.notes,
               "foci": result.foci}
    (out / "volumes.json").write_text(to_json(summary) + "\n")
    case_montage(case, out / "segmentation.png", labels=result.labels,
                 title=f"{case.name}: {result.model} {result.model_version}")
    return summary


def run(args) -> int:
    case = case_from_args(args)
    out = Path(args.out)
    refuse_to_overwrite(out)  # before the work, and again before writing
    engine = default_engine(args.device)
    with percent_bar("segment") as progress:
        imputing = args.impute_missing and bool(case.missing)
        share = 0.2 if imputing else 0.0  # of the progress bar
        notes = []
        if imputing:
            case, notes = impute_for_segmentation(case, engine, progress=lambda f, m: progress(share * f, m))
        result = segment_case(case, args.model, engine, tta=args.tta,
                              progress=lambda f, m: progress(share + (1 - share) * f, m))
        result.notes.extend(notes)
    out.mkdir(parents=True, exist_ok=True)
    summary = write_segmentation(result, case, out, args.convention)
    volumes = ", ".join(f"{k} {v:.1f} mL" for k, v in summary["volumes_ml"].items())
    print(f"{case.name}: {volumes}")
    for note in result.notes:  # what the model used, what to expect of it, what to check
        print(f"  {note}")
    print(f"Wrote {', '.join(str(out / n) for n in OUTPUTS)}")
    return 0
