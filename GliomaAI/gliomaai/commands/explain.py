"""`gliomaai explain CASE --out DIR --method M --target T`: saliency maps of the segmenter, with trust figures."""

from pathlib import Path

from ..errors import GliomaAIError
from ..imageio import read_image, write_image
from ..inference.engine import DEVICES, default_engine
from ..explain.catalogue import DEFAULT_LAYERS, DEFAULT_METHOD, METHODS
from ..segmentation.preprocess import REGIONS
from .case_arguments import add_case_arguments, case_from_args
from .output import percent_bar, to_json



def map_file(method: str, target: str) -> str:
    return f"saliency-{method}-{target}.nii.gz"


def output_files(methods, target: str, trust: bool) -> list:
    files = [n for m in methods for n in (map_file(m, target), f"saliency-{m}-{target}.png")]
    files += [f"explain-{target}.json", f"sequence-importance-{target}.png"]
    return files + ([f"faithfulness-{target}.png"] if trust else [])


def add_parser(subparsers):
    parser = subparsers.add_parser("explain", help="saliency maps: where in which sequence the model looked")
    add_case_arguments(parser)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--method", default=DEFAULT_METHOD,
                        help=f"one of {', '.join(METHODS)}, several separated by commas, or 'all' (default: {DEFAULT_METHOD})")
    parser.add_argument("--target", default="WT", choices=REGIONS, help="region whose score is explained (default: WT)")
    parser.add_argument("--roi", metavar="PATH", help="mask of a region of interest: explain the target's score "
                                                      "over these voxels instead of over the predicted region")
    parser.add_argument("--layer", help="layer for Grad-CAM and Grad-CAM++ (default: "
                        + ", ".join(f"{layer} on a {name}" for name, layer in DEFAULT_LAYERS.items()) + ")")
    parser.add_argument("--no-trust", action="store_true",
                        help="skip the randomisation test and the deletion/insertion curves (about 3x faster)")
    parser.add_argument("--threshold", type=float, default=0.3, help="map value shown in the pictures (0..1)")
    parser.add_argument("--device", default="auto", help=f"one of {', '.join(DEVICES)} (default: auto)")
    parser.add_argument("--model", default="default", help="built-in segmenter name, or a model card or folder")
    parser.set_defaults(run=run)


def parse_methods(text: str) -> tuple:
    names = tuple(METHODS) if text.strip().lower() == "all" else tuple(m.strip().lower() for m in text.split(",") if m.strip())
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise GliomaAIError(f"Unknown method(s) in --method: {', '.join(unknown) or '(none)'}.",
                            f"Use {', '.join(METHODS)}, several separated by commas, or 'all'.")
    return names


def refuse_to_overwrite(out: Path, files) -> None:
    existing = [n for n in files if (out / n).exists()]
    if existing:
        raise GliomaAIError(f"{out} already holds {', '.join(existing)}.", "Choose another --out: GliomaAI never overwrites.")


def trust_table(explanations) -> str:
    """The figures a user chooses a method by, one line per method."""
    lines = [f"{'method':24} {'s':>6} {'rho(random)':>11} {'deletion':>9} {'insertion':>9}  verdict"]
    for e in explanations:
        t = e.trust
        if t is None:
            lines.append(f"{e.method:24} {e.seconds:6.1f} {'-':>11} {'-':>9} {'-':>9}  not checked")
            continue
        lines.append(f"{e.method:24} {e.seconds:6.1f} {t['randomisation_spearman']:11.2f} {t['deletion_auc']:9.3f} "
                     f"{t['insertion_auc']:9.3f}  {t['verdict']}")
    if any(e.trust for e in explanations):
        t = next(e.trust for e in explanations if e.trust)
        lines.append(f"{'random order':24} {'':6} {'':>11} {t['random_deletion_auc']:9.3f} {t['random_insertion_auc']:9.3f}"
                     "  (deletion: lower is better; insertion: higher)")
    return "\n".join(lines)


def write_explanations(explainer, explanations, importance, out: Path, threshold: float) -> dict:
    from ..explain.pictures import faithfulness_chart, saliency_montage, sequence_importance_chart

    case, target = explainer.case, explainer.target
    files = output_files([e.method for e in explanations], target, any(e.trust for e in explanations))
    refuse_to_overwrite(out, files)
    out.mkdir(parents=True, exist_ok=True)
    mask = explainer.target_on_case_grid()
    model = f"{explainer.segmenter.name} {explainer.segmenter.version}"
    for e in explanations:
        write_image(e.saliency, out / map_file(e.method, target),
                    description=f"GliomaAI saliency {e.method} for {target}, {model}: explains the model, shows no tumour")
        saliency_montage(case, e, mask, out / f"saliency-{e.method}-{target}.png", threshold)
    sequence_importance_chart(importance, out / f"sequence-importance-{target}.png",
                              f"{case.name}: what removing each sequence changes ({model})")
    if any(e.trust for e in explanations):
        faithfulness_chart(explanations, out / f"faithfulness-{target}.png", f"{case.name}: {target}, {model}")
    summary = {"case": case.name, "model": explainer.segmenter.name, "model_version": explainer.segmenter.version,
               "target": target, "target_voxels": "region of interest" if explainer.roi else "predicted region",
               "sequences": list(case.present), "sequence_importance": importance,
               "methods": [e.summary() for e in explanations], "files": files,
               "note": "Saliency explains the model's output; it does not show tumour and is not for diagnosis."}
    (out / f"explain-{target}.json").write_text(to_json(summary) + "\n")
    return summary


def run(args) -> int:
    from ..explain.explainer import CaseExplainer

    methods = parse_methods(args.method)
    if not 0 <= args.threshold <= 1:
        raise GliomaAIError(f"--threshold {args.threshold} is outside 0..1.", "Give a value between 0 and 1.")
    case = case_from_args(args)
    out = Path(args.out)
    refuse_to_overwrite(out, output_files(methods, args.target, not args.no_trust))
    roi = read_image(args.roi) if args.roi else None
    explainer = CaseExplainer(case, args.target, args.model, default_engine(args.device), roi=roi)
    explanations = []
    with percent_bar("explain", len(methods)) as progress:
        for index, method in enumerate(methods):
            report = (lambda f, m, index=index: progress(f, m, index))
            explanations.append(explainer.explain(method, args.layer, trust=not args.no_trust, progress=report))
    importance = explainer.sequence_importance()
    summary = write_explanations(explainer, explanations, importance, out, args.threshold)
    print(trust_table(explanations))
    for note in (e.note for e in explanations if e.note):
        print(note)
    print("Removing one sequence (1 - Dice of the prediction; WT / TC / ET): " + "; ".join(
        f"{s} " + " / ".join(f"{(v or {}).get('importance', 0):.2f}" for v in regions.values())
        for s, regions in importance.items()))
    print(f"Wrote {', '.join(str(out / n) for n in summary['files'])}")
    return 0
