"""Copy a trained run's weights and card into the package as a built-in model, with its scores.

    python scripts/publish_model.py RUN_FOLDER --scores SCORES.json [--name segmenter|imputer] [--version V] [--note TEXT]
        [--whole-tumour-also-from t2w t2f]

The card keeps the run's training record; its weights are renamed after the model and their
sha256 is checked again. Scores come from `gliomaai crossval` or `gliomaai crossval-imputer`
(JSON); docs/models/NAME/MODEL_CARD.md is written for people.
"""

import argparse
import json
import shutil
from pathlib import Path

from gliomaai.models.card import read_card, sha256_of
from gliomaai.models.registry import BUILTIN
from gliomaai.segmentation.segmenter import MISSING_SEQUENCE_SCORES
from gliomaai.training.crossval import REGIONS, markdown_table, sequences_table
from gliomaai.training.imputation_scores import markdown_tables

TITLES = {"cross_validation": "Cross-validation over the 16 BraTS 2018 cases (4 folds, each fold's model on its held-out "
                              "cases, with thresholds and ET rule chosen on the other folds' cases)",
          "brats2013_flair_t1c": "Held-out BraTS 2013 cases, FLAIR and T1c only (pat0003-0005; never trained on)",
          MISSING_SEQUENCE_SCORES: "Cross-validation with sequences missing (each fold's model on its held-out cases, "
                                   "given only these sequences; the shipped thresholds and ET rule, not nested)",
          "imputation_cross_validation": "Cross-validation over the 16 BraTS 2018 cases (4 folds; each fold's imputer, "
                                         "baselines and segmenter on its held-out cases)"}


def markdown(card) -> str:
    return segmenter_markdown(card) if card.task == "segmentation" else imputer_markdown(card)


def imputer_markdown(card) -> str:
    training = card.training
    lines = [f"# Model card: {card.name} {card.version}", "",
             "- Task: missing-sequence imputation. Any non-empty subset of T1, T1c, T2, FLAIR in; every missing "
             "one out, on the case's grid, in 0..1. **Synthetic images are for computation (segmentation), never "
             "for diagnostic reading**; every file and node made says so.",
             f"- Architecture: MONAI {card.architecture['class']} {json.dumps(card.architecture['params'])} applied to "
             f"each axial slice, with {card.input.get('context_slices')} neighbouring slice(s) on each side and one "
             "presence flag per sequence as input channels.",
             f"- Input: {card.input.get('normalisation')}.",
             f"- Weights: `{card.weights}`, sha256 `{card.sha256}`.",
             f"- Training: {training.get('steps')} steps (batch {training['config']['batch']}, "
             f"{training['config']['patch']}^2 patches; loss L1 + {training['config']['ssim_weight']} x (1 - SSIM) on "
             f"the hidden sequences inside the brain; a random pattern of hidden sequences per sample), "
             f"{training.get('cpu_seconds')} s on a 2-core CPU.",
             f"- Training cases ({len(training.get('cases', []))}): {', '.join(training.get('cases', []))}.",
             "- Not used for training: brats2013-* (two sequences only; CC BY-NC-SA), glioma-gan-example (GPL: "
             "evaluation only).", ""]
    for key, scores in card.scores.items():
        if isinstance(scores, dict) and "summary" in scores:
            lines += [f"## {TITLES.get(key, key)}", "", markdown_tables(scores["summary"]), ""]
    lines += [f"- {note}" for note in card.notes]
    return "\n".join(lines) + "\n"


def training_time(training: dict) -> str:
    if "device" in training:
        return f"{training['seconds']} s on one {training['device']}"
    return f"{training.get('cpu_seconds')} s on a 2-core CPU"  # cards before training took a device


def et_rule(output: dict) -> str:
    zscore = output.get("enhancing_t1c_zscore")
    if zscore is None:
        return "ET from the ET channel"
    return (f"ET drawn as the tumour core's voxels whose T1c (z-scored over the brain, at full resolution) is above "
            f"{zscore:g}, and the core grown by what they enclose; the ET channel where the T1c is missing or synthetic")


def whole_tumour_reading(output: dict) -> str:
    also, seed = output.get("whole_tumour_also_from"), output.get("whole_tumour_seed")
    return ((f"; WT the mean of the reading of every sequence and a second reading of the case's acquired "
             f"{' and '.join(also)} alone" if also else "")
            + (f"; a part of WT drawn only where it holds a part above {seed:g} of at least 0.1 mL" if seed else ""))


def ablation_table(ablation: dict) -> str:
    """Mean Dice (HD95 in mm) per region, with and without synthetic tumours, as trained and (where scored)
    with the shipped model's rules."""
    folds = ablation.get("folds", [ablation.get("fold")])
    lines = [f"**Fold{'s' * (len(folds) > 1)} {', '.join(map(str, folds))} trained with and without synthetic tumours "
             f"({ablation['steps']} steps each; {ablation['cases']} held-out cases)** (mean Dice, HD95 in mm in "
             "brackets)", "", "| labelled with | synthetic tumours | " + " | ".join(REGIONS) + " |",
             "|---|---|" + "---|" * len(REGIONS)]
    for rules, scores in (("thresholds 0.5, the ET channel", ablation), ("the shipped rules", ablation.get("shipped_rules"))):
        for label in ("with", "without") if scores else ():
            means = scores[f"{label}_synthetic_tumours"]
            lines.append(f"| {rules} | {label} | " + " | ".join(f"{means[r]['dice']:.3f} ({means[r]['hd95']:.1f})"
                                                               for r in REGIONS) + " |")
    return "\n".join(lines)


def segmenter_markdown(card) -> str:
    """The card for people: what the model is, what trained it, what it scored."""
    training = card.training
    lines = [f"# Model card: {card.name} {card.version}", "",
             f"- Task: {card.task}; output {', '.join(card.output.get('regions', []))} "
             f"({card.output.get('activation')}, thresholds WT/TC/ET "
             f"{'/'.join(str(t) for t in card.output.get('thresholds', [card.output.get('threshold')] * 3))}; "
             f"{et_rule(card.output)}{whole_tumour_reading(card.output)}), composed into NETC / SNFH / ET labels "
             "with ET inside TC inside WT, all inside the brain.",
             f"- Architecture: MONAI {card.architecture['class']} {json.dumps(card.architecture['params'])}.",
             f"- Input: {', '.join(card.input.get('sequences', []))} at {card.input.get('spacing_mm')} mm; "
             f"{card.input.get('normalisation')}.",
             f"- Weights: `{card.weights}`, sha256 `{card.sha256}`.",
             f"- Training: {training.get('steps')} steps (batch {training['config']['batch']}, patches "
             f"{training['config']['patch']}), {training_time(training)}; synthetic tumours "
             f"{'on' if training['config']['synthetic_tumours'] else 'off'}.",
             f"- Training cases ({len(training.get('cases', []))}): {', '.join(training.get('cases', []))}.",
             "- Not used for training: brats2013-* (CC BY-NC-SA, evaluation only), glioma-gan-example (GPL), "
             "brats-met-00110-000 (metastasis).", ""]
    for key, scores in card.scores.items():
        if isinstance(scores, dict) and "summary" in scores:
            passes = "; the mean of four mirrored passes" if scores.get("tta") else ""
            lines += [markdown_table(scores["summary"], TITLES.get(key, key) + passes), ""]
        if key == "synthetic_tumour_ablation":
            lines += [ablation_table(scores), ""]
        if key == MISSING_SEQUENCE_SCORES:
            passes = "; the mean of four mirrored passes" if scores.get("rules", {}).get("tta") else ""
            lines += [f"**{TITLES[key]}{passes}** (mean Dice, median in brackets)", "",
                      sequences_table(scores["by_sequences"]), ""]
        if isinstance(scores, dict) and "at_model_threshold" in scores:
            lines += [markdown_table(scores["at_model_threshold"]["summary"],
                                     "The same folds as trained (thresholds 0.5, the ET channel: before any choice)"), ""]
    lines += [f"- {note}" for note in card.notes]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--scores", type=Path, action="append", default=[])
    parser.add_argument("--name", default="segmenter")
    parser.add_argument("--note", action="append", default=[])
    parser.add_argument("--version", help="the published version (default: the run's)")
    parser.add_argument("--whole-tumour-also-from", nargs="+", metavar="SEQUENCE",
                        help="a segmenter reads the whole tumour a second time from these sequences alone (as scored "
                             "with gliomaai crossval's option of that name)")
    args = parser.parse_args()
    card = read_card(args.run / "model.json")
    if sha256_of(card.weights_path) != card.sha256:
        raise SystemExit(f"{card.weights_path}: sha256 does not match its card")
    BUILTIN.mkdir(parents=True, exist_ok=True)
    weights = BUILTIN / f"{args.name}.pt"
    shutil.copyfile(card.weights_path, weights)
    card.name, card.weights = args.name, weights.name
    card.version = args.version or card.version
    for path in args.scores:
        card.scores.update(json.loads(path.read_text()))
    chosen = card.scores.get("cross_validation", {}).get("thresholds")
    if card.task == "segmentation" and chosen:  # chosen on every out-of-fold case by `gliomaai crossval`
        card.output["thresholds"] = [chosen[r] for r in ("WT", "TC", "ET")]
        card.output["enhancing_t1c_zscore"] = chosen.get("enhancing_t1c_zscore")
        card.output["whole_tumour_seed"] = chosen.get("whole_tumour_seed")
    if args.whole_tumour_also_from:
        card.output["whole_tumour_also_from"] = list(args.whole_tumour_also_from)
    card.notes.extend(args.note)
    card.save(BUILTIN / f"{args.name}.json")
    docs = Path(__file__).resolve().parents[1] / "docs" / "models" / args.name
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "MODEL_CARD.md").write_text(markdown(card))
    print(f"Published {BUILTIN / args.name}.json and {weights.name} ({weights.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
