"""`gliomaai demo --out DIR`: the main job on the default input, the synthetic phantom."""

from pathlib import Path

from tqdm import tqdm

from ..case import load_case
from ..errors import GliomaAIError
from ..imageio import SYNTHETIC_MARK, write_image
from ..metrics import segmentation_metrics
from ..phantom import PHANTOM_NAME, make_phantom
from ..report import SYNTHETIC_WARNING, case_montage
from ..segmentation.segmenter import segment_case
from ..summary import case_summary, format_summary
from ..imputation.imputer import impute_case
from .impute import MONTAGE, SUMMARY, synthetic_file_name, write_imputation
from .segment import OUTPUTS, write_segmentation
from .output import to_json


def add_parser(subparsers):
    parser = subparsers.add_parser("demo", help="run the main job on the synthetic phantom and write a report")
    parser.add_argument("--out", default="demo-output", help="output folder (default: demo-output)")
    parser.add_argument("--size", type=int, nargs=3, default=(155, 240, 240), metavar=("Z", "Y", "X"),
                        help="phantom size in voxels (default: 155 240 240, a full BraTS grid)")
    parser.set_defaults(run=run)


def write_case(case, folder: Path) -> Path:
    """The case's images as files named after their sequence (and 'synthetic' where they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sequence, image in case.images.items():
        synthetic = sequence in case.synthetic
        name = f"{sequence}-synthetic.nii.gz" if synthetic else f"{sequence}.nii.gz"
        write_image(image, folder / name, description=f"{SYNTHETIC_MARK} {sequence}: {SYNTHETIC_WARNING}" if synthetic else None)
    if case.brain_mask is not None:
        write_image(case.brain_mask, folder / "brainmask.nii.gz")
    if case.labels is not None:
        write_image(case.labels, folder / "seg.nii.gz", description="labels, convention brats2023")
    return folder


def segment_step(case, out: Path) -> str:
    """Segment the phantom with the default model, score it against the phantom's own labels."""
    result = segment_case(case, "default")
    folder = out / "segmentation"
    for name in OUTPUTS:  # the demo's own output: a rerun replaces it
        (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_segmentation(result, case, folder, "brats2023")
    scores = segmentation_metrics(result.labels_array(), case.label_array(), case.reference.GetSpacing())
    (folder / "scores.json").write_text(to_json(scores) + "\n")
    table = "\n".join(f"| {r} | {v['dice']:.3f} | {v['hd95']:.1f} | {v['volume_pred_ml']:.1f} | {v['volume_ref_ml']:.1f} |"
                      for r, v in scores.items())
    return (f"## Segmentation ({result.model} {result.model_version}, {result.seconds:.1f} s on {result.device})\n\n"
            f"![segmentation](segmentation/segmentation.png)\n\n"
            "| region | Dice | HD95 (mm) | predicted mL | phantom mL |\n|---|---|---|---|---|\n" + table + "\n")


def impute_step(case, out: Path) -> str:
    """Hide the phantom's T1c, synthesise it from the other three with the default imputer, compare."""
    result = impute_case(case, ["t1c"], "default")
    folder = out / "imputation"
    for name in (synthetic_file_name("t1c"), SUMMARY, MONTAGE):  # the demo's own output: a rerun replaces it
        (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    quality = write_imputation(result, case, folder)["quality_against_real"]["t1c"]
    return (f"## Imputation ({result.model} {result.model_version}, {result.seconds:.1f} s on {result.device})\n\n"
            f"T1c hidden and synthesised from {', '.join(result.sources)}; against the real one: PSNR "
            f"{quality['psnr']:.1f} dB, SSIM {quality['ssim']:.3f}, MAE {quality['mae']:.3f} (0..1 scale). "
            "**Synthetic: for computation, never for reading.**\n\n![imputation](imputation/imputation.png)\n")


def explain_step(case, out: Path) -> str:
    """Grad-CAM++ and saliency for the whole tumour, with the checks that say how far to trust them."""
    from ..explain.explainer import CaseExplainer
    from .explain import output_files, trust_table, write_explanations

    try:
        explainer = CaseExplainer(case, "WT")
    except GliomaAIError as error:  # a phantom too small for the model to find a tumour in
        return f"## Saliency\n\nNothing to explain: {error.problem}\n"
    methods = ("gradcampp", "saliency")
    folder = out / "explanation"
    for name in output_files(methods, "WT", True):  # the demo's own output: a rerun replaces it
        (folder / name).unlink(missing_ok=True)
    explanations = [explainer.explain(m) for m in methods]
    write_explanations(explainer, explanations, explainer.sequence_importance(), folder, 0.3)
    return ("## Saliency (what drove the whole-tumour prediction)\n\n"
            f"```\n{trust_table(explanations)}\n```\n\n![Grad-CAM++](explanation/saliency-gradcampp-WT.png)\n\n"
            "![faithfulness](explanation/faithfulness-WT.png)\n\n"
            "![sequence importance](explanation/sequence-importance-WT.png)\n")


def run(args) -> int:
    out = Path(args.out)
    steps = tqdm(total=6, desc="demo", unit="step")
    steps.set_postfix_str("phantom")
    phantom = make_phantom(tuple(args.size))
    case_folder = write_case(phantom, out / PHANTOM_NAME)
    steps.update()
    steps.set_postfix_str("reload and check")
    case = load_case(case_folder, label_convention="brats2023")
    summary = case_summary(case)
    steps.update()
    steps.set_postfix_str("segment")
    segmentation = segment_step(case, out)
    steps.update()
    steps.set_postfix_str("impute")
    imputation = impute_step(case, out)
    steps.update()
    steps.set_postfix_str("explain")
    explanation = explain_step(case, out)
    steps.update()
    steps.set_postfix_str("report")
    montage = case_montage(case, out / f"{PHANTOM_NAME}-montage.png")
    (out / "report.json").write_text(to_json(summary))
    (out / "report.md").write_text(
        f"# GliomaAI demo\n\n**{SYNTHETIC_WARNING}**: the input is the built-in phantom.\n\n"
        f"![montage]({montage.name})\n\n```\n{format_summary(summary)}\n```\n\n{segmentation}\n{imputation}\n{explanation}")
    steps.update()
    steps.close()
    print(format_summary(summary))
    print(f"\nWrote {out}/report.md, {montage}, and the case in {case_folder}")
    return 0
