"""`gliomaai evaluate` and `gliomaai evaluate-synthesis`: metrics between two files."""

import numpy as np
import SimpleITK as sitk

from .. import labels as conventions
from ..errors import GliomaAIError
from ..geometry import Grid
from ..imageio import read_image
from ..metrics import lesionwise_metrics, segmentation_metrics, synthesis_metrics
from .output import to_json

SEGMENTATION_KEYS = ("dice", "hd95", "sensitivity", "specificity", "precision", "fpr", "fnr",
                     "volume_pred_ml", "volume_ref_ml")


def add_parsers(subparsers):
    parser = subparsers.add_parser("evaluate", help="segmentation metrics per region (WT, TC, ET)")
    parser.add_argument("--pred", required=True, help="predicted label map")
    parser.add_argument("--ref", required=True, help="reference label map")
    parser.add_argument("--pred-convention", choices=list(conventions.CONVENTIONS),
                        help="label convention of --pred (default: guessed from its values)")
    parser.add_argument("--ref-convention", choices=list(conventions.CONVENTIONS),
                        help="label convention of --ref (default: guessed from its values)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run_segmentation)

    parser = subparsers.add_parser("evaluate-synthesis", help="MSE, MAE, PSNR, SSIM of a synthesised image")
    parser.add_argument("--pred", required=True, help="synthesised image")
    parser.add_argument("--ref", required=True, help="real image of the same sequence")
    parser.add_argument("--mask", help="region to evaluate (default: the non-zero voxels of --ref)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run_synthesis)


def _same_grid(a: sitk.Image, b: sitk.Image, name_a: str, name_b: str) -> None:
    if not Grid.of(a).matches(Grid.of(b)):
        raise GliomaAIError(f"{name_a} ({Grid.of(a).describe()}) and {name_b} ({Grid.of(b).describe()}) "
                            "are not on one grid.", "Resample one onto the other first (they must share voxels).")


def _canonical(image: sitk.Image, convention: str | None, source: str) -> tuple[np.ndarray, str]:
    array = sitk.GetArrayFromImage(image)
    if convention is None:
        convention = conventions.guess_convention(conventions.label_values(array))
    return conventions.to_canonical(array, convention, source), convention


def evaluate_segmentation(pred_path, ref_path, pred_convention=None, ref_convention=None) -> dict:
    pred_image = read_image(pred_path, check_values=False)
    ref_image = read_image(ref_path, check_values=False)
    _same_grid(pred_image, ref_image, str(pred_path), str(ref_path))
    pred, pred_convention = _canonical(pred_image, pred_convention, str(pred_path))
    ref, ref_convention = _canonical(ref_image, ref_convention, str(ref_path))
    regions = conventions.shared_regions(pred_convention, ref_convention)
    spacing = ref_image.GetSpacing()
    result = segmentation_metrics(pred, ref, spacing, regions)
    for region, values in lesionwise_metrics(pred, ref, spacing, regions).items():
        result[region].update(values)
    return result


def _cell(value) -> str:
    return f"{value:12d}" if isinstance(value, int) else f"{value:12.4f}"


def format_table(result: dict, keys) -> str:
    regions = list(result)
    lines = [f"{'metric':22}" + "".join(f"{r:>12}" for r in regions)]
    for key in keys:
        lines.append(f"{key:22}" + "".join(_cell(result[r][key]) for r in regions))
    return "\n".join(lines)


def run_segmentation(args) -> int:
    result = evaluate_segmentation(args.pred, args.ref, args.pred_convention, args.ref_convention)
    if args.json:
        print(to_json(result))
    else:
        keys = SEGMENTATION_KEYS + tuple(k for k in next(iter(result.values())) if k not in SEGMENTATION_KEYS)
        print(format_table(result, keys))
    return 0


def evaluate_synthesis(pred_path, ref_path, mask_path=None) -> dict:
    pred_image = read_image(pred_path)
    ref_image = read_image(ref_path)
    _same_grid(pred_image, ref_image, str(pred_path), str(ref_path))
    mask = None
    if mask_path:
        mask_image = read_image(mask_path, check_values=False)
        _same_grid(mask_image, ref_image, str(mask_path), str(ref_path))
        mask = sitk.GetArrayFromImage(mask_image) > 0
    return synthesis_metrics(sitk.GetArrayFromImage(pred_image).astype(np.float32),
                             sitk.GetArrayFromImage(ref_image).astype(np.float32), mask)


def run_synthesis(args) -> int:
    result = evaluate_synthesis(args.pred, args.ref, args.mask)
    if args.json:
        print(to_json(result))
    else:
        for key, value in result.items():
            print(f"{key:6} {value:.4f}")
    return 0
