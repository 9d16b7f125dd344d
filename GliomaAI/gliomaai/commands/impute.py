"""`gliomaai impute CASE --out DIR`: synthesise the case's missing sequences (or those named), marked synthetic."""

from pathlib import Path

from ..errors import GliomaAIError
from ..imageio import write_image
from ..imputation.imputer import impute_case, keep_only, quality_against_real
from ..inference.engine import DEVICES, default_engine
from ..report import case_montage
from ..sequences import SEQUENCES
from .case_arguments import add_case_arguments, case_from_args
from .output import percent_bar, to_json

SUMMARY, MONTAGE = "imputation.json", "imputation.png"


def synthetic_file_name(sequence: str) -> str:
    return f"{sequence}-synthetic.nii.gz"


def add_parser(subparsers):
    parser = subparsers.add_parser("impute", help="synthesise missing sequences from those present (never for reading)")
    add_case_arguments(parser)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--sequences", help="comma-separated sequences to synthesise (default: the missing ones); "
                                            "a present one is synthesised from the others and scored against it")
    parser.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICES)} (default: auto)")
    parser.add_argument("--model", default="default", help="built-in imputer name, or a model card or folder")
    parser.set_defaults(run=run)


def parse_sequences(text: str | None):
    if not text:
        return None
    names = tuple(s.strip().lower() for s in text.split(",") if s.strip())
    unknown = [s for s in names if s not in SEQUENCES]
    if unknown:
        raise GliomaAIError(f"Unknown sequence(s) in --sequences: {', '.join(unknown)}.",
                            f"Use names among {', '.join(SEQUENCES)}, for example --sequences t1c,t2w.")
    return names


def refuse_to_overwrite(out: Path, sequences) -> None:
    existing = [n for n in [*map(synthetic_file_name, sequences), SUMMARY, MONTAGE] if (out / n).exists()]
    if existing:
        raise GliomaAIError(f"{out} already holds {', '.join(existing)}.", "Choose another --out: GliomaAI never overwrites.")


def write_imputation(result, case, out: Path) -> dict:
    """Each synthetic sequence as DIR/<sequence>-synthetic.nii.gz (header marked), a summary and a montage."""
    refuse_to_overwrite(out, result.images)
    for sequence, image in result.images.items():
        write_image(image, out / synthetic_file_name(sequence), description=image.GetMetaData("Description"))
    quality = quality_against_real(case, result)
    summary = {"case": case.name, "synthetic": {s: synthetic_file_name(s) for s in result.images},
               "sources": list(result.sources), "model": result.model, "model_version": result.model_version,
               "device": result.device, "seconds": result.seconds, "quality_against_real": quality,
               "warning": "Synthetic images: for computation (segmentation), never for diagnostic reading.",
               "notes": result.notes}
    (out / SUMMARY).write_text(to_json(summary) + "\n")
    shown = result.case_with_imputed(keep_only(case, [s for s in case.present if s not in quality]))
    real = {f"{s} (real)": case.images[s] for s in quality}
    case_montage(shown, out / MONTAGE, labels=case.labels, title=f"{case.name}: imputed by {result.model}", extra=real,
                 draw_labels=False)
    return summary


def run(args) -> int:
    case = case_from_args(args)
    out = Path(args.out)
    sequences = parse_sequences(args.sequences)
    refuse_to_overwrite(out, sequences or case.missing)  # before the work, and again before writing
    engine = default_engine(args.device)
    with percent_bar("impute") as progress:
        result = impute_case(case, sequences, args.model, engine, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    summary = write_imputation(result, case, out)
    for sequence, scores in summary["quality_against_real"].items():
        print(f"{sequence} against the real one: PSNR {scores['psnr']:.2f} dB, SSIM {scores['ssim']:.3f}, "
              f"MAE {scores['mae']:.4f}")
    print(f"Wrote {', '.join(str(out / n) for n in summary['synthetic'].values())} (SYNTHETIC: not for reading), "
          f"{out / SUMMARY}, {out / MONTAGE}")
    return 0
