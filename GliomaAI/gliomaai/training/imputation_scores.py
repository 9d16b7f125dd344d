"""Scores of the imputer's cross-validation folds and of the baselines, on cases none of them saw.

For each held-out BraTS 2018 case and each pattern of missing sequences, the fold's imputer,
mean substitution and k-nearest-neighbour regression (fitted on the fold's training cases)
synthesise the hidden sequences; PSNR, SSIM, MAE and MSE are taken over the brain and over the
tumour, on the 0..1 scale of the real sequence. Then the segmenter of the same fold (which never
saw the case either) segments the case three ways: with the real sequences, with the imputed
ones in their place, and with them simply absent (the segmenter was trained to cope).
"""

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..imageio import image_from_array
from ..imputation.baselines import KnnRegression, mean_substitution
from ..imputation.imputer import keep_only, predict
from ..imputation.preprocess import imputation_input, to_case_grid
from ..inference.engine import default_engine
from ..labels import region_masks
from ..metrics import segmentation_metrics, synthesis_metrics_by_region
from ..models.card import cached_network, read_card
from ..models.registry import load_segmenter
from ..segmentation.segmenter import segment_case
from ..sequences import SEQUENCES
from .data import load_labelled_case
from .imputation_data import prepare_imputation_case

# Each sequence missing alone, and the commonest pair (T1 and T2, as in the BraTS 2013 cases).
PATTERNS = (("t1n",), ("t1c",), ("t2w",), ("t2f",), ("t1n", "t2w"))
METHODS = ("model", "mean", "knn")
METRICS = ("psnr", "ssim", "mae", "mse")
REGIONS = ("WT", "TC", "ET")


def pattern_name(missing) -> str:
    return "+".join(missing)


def _dice(case, result) -> dict:
    metrics = segmentation_metrics(result.labels_array(), case.label_array(), case.reference.GetSpacing(), REGIONS)
    return {r: round(metrics[r]["dice"], 4) for r in REGIONS}


def fitted_baselines(training_cases) -> dict:
    """{(pattern, target): KnnRegression} fitted on a fold's training cases, once for its held-out cases."""
    return {(pattern_name(missing), target): KnnRegression(samples_per_case=3000).fit(
                training_cases, np.array([s not in missing for s in SEQUENCES]), target)
            for missing in PATTERNS for target in missing}


def score_case(case, imputer_card, segmenter, training_cases, knn, engine) -> dict:
    """Synthesis metrics per pattern, target and method; Dice of the fold's segmenter with real, imputed, absent."""
    model_input = imputation_input(case)
    tumour = region_masks(case.label_array(), ("WT",))["WT"]
    z0, z1, y0, y1, x0, x1 = model_input.box
    tumour = tumour[z0:z1, y0:y1, x0:x1]
    network = cached_network(imputer_card, engine)
    row = {"case": case.name, "synthesis": {}, "segmentation": {"real": _dice(case, segment_case(case, segmenter, engine))}}
    for missing in PATTERNS:
        available = np.array([s not in missing for s in SEQUENCES])
        hidden = model_input.channels * available[:, None, None, None]
        predicted = predict(engine, network, hidden, available)
        scores = {}
        for target in missing:
            index = SEQUENCES.index(target)
            made = {"model": predicted[index], "mean": mean_substitution(training_cases, target, model_input.brain),
                    "knn": knn[pattern_name(missing), target].predict(hidden, model_input.brain)}
            scores[target] = {method: _rounded(synthesis_metrics_by_region(image * model_input.brain,
                                                                           model_input.channels[index],
                                                                           model_input.brain, tumour, data_range=1.0))
                              for method, image in made.items()}
        imputed = case.with_images({t: image_from_array(to_case_grid(predicted[SEQUENCES.index(t)], model_input),
                                                        case.reference) for t in missing})
        row["synthesis"][pattern_name(missing)] = scores
        row["segmentation"][pattern_name(missing)] = {
            "imputed": _dice(case, segment_case(imputed, segmenter, engine)),
            "absent": _dice(case, segment_case(keep_only(case, [s for s in SEQUENCES if s not in missing]),
                                               segmenter, engine))}
    return row


def _rounded(scores: dict) -> dict:
    return {region: {k: round(v, 5) for k, v in values.items()} for region, values in scores.items()}


def cross_validation(data: Path, imputer_runs, segmenter_runs, out: Path | None = None, engine=None) -> dict:
    """Every fold's held-out cases scored; rows already in `out` (a JSON file) are kept, so a stopped run goes on."""
    engine = engine or default_engine()
    done = json.loads(out.read_text())["per_case"] if out is not None and out.exists() else []
    rows = list(done)
    for imputer_run, segmenter_run in zip(imputer_runs, segmenter_runs):
        card = read_card(Path(imputer_run) / "model.json")
        segmenter = load_segmenter(segmenter_run)  # loaded once: the engine keeps its network
        if sorted(card.training["held_out"]) != sorted(segmenter.card.training["held_out"]):
            raise ValueError(f"{imputer_run} and {segmenter_run} hold out different cases.")
        training = [prepare_imputation_case(data, n) for n in card.training["cases"]]
        knn = fitted_baselines(training)
        for name in tqdm(card.training["held_out"], desc=f"scoring {Path(imputer_run).name}"):
            if any(r["case"] == name for r in rows):
                continue
            row = {"fold_model": card.name, **score_case(load_labelled_case(data, name), card, segmenter,
                                                         training, knn, engine)}
            rows.append(row)
            if out is not None:
                out.write_text(json.dumps({"per_case": rows, "summary": summarise(rows)}, indent=1) + "\n")
    return {"per_case": rows, "summary": summarise(rows)}


def summarise(rows: list[dict]) -> dict:
    """Means over the cases: synthesis[pattern][target][method][region][metric], segmentation[pattern][way][region]."""
    synthesis, segmentation = {}, {}
    for missing in PATTERNS:
        name = pattern_name(missing)
        synthesis[name] = {
            target: {method: {region: {m: _mean(rows, lambda r: r["synthesis"][name][target][method].get(region, {}).get(m))
                                       for m in METRICS}
                              for region in ("brain", "tumour")}
                     for method in METHODS}
            for target in missing}
        segmentation[name] = {way: {r: _mean(rows, lambda row: row["segmentation"][name][way][r]) for r in REGIONS}
                              for way in ("imputed", "absent")}
    segmentation["real"] = {r: _mean(rows, lambda row: row["segmentation"]["real"][r]) for r in REGIONS}
    return {"cases": len(rows), "synthesis": synthesis, "segmentation": segmentation}


def _mean(rows, get):
    values = [v for v in (get(r) for r in rows) if v is not None and np.isfinite(v)]
    return round(float(np.mean(values)), 4) if values else None


def markdown_tables(summary: dict) -> str:
    """The synthesis table (model beside the baselines) and the downstream segmentation table."""
    lines = [f"Synthesis ({summary['cases']} held-out cases; mean; the tumour is the expert whole tumour)", "",
             "| missing | target | method | PSNR brain | SSIM brain | MAE brain | MSE brain | PSNR tumour | SSIM tumour | MAE tumour |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for pattern, targets in summary["synthesis"].items():
        for target, methods in targets.items():
            for method, regions in methods.items():
                cells = [regions["brain"][m] for m in METRICS] + [regions["tumour"][m] for m in ("psnr", "ssim", "mae")]
                lines.append(f"| {pattern} | {target} | {method} | " + " | ".join(_cell(c) for c in cells) + " |")
    real = summary["segmentation"]["real"]
    lines += ["", "Segmentation Dice of the same fold's segmenter (WT / TC / ET)", "",
              "| missing | real sequences | imputed in their place | left absent |", "|---|---|---|---|"]
    for pattern in summary["synthesis"]:
        ways = summary["segmentation"][pattern]
        lines.append(f"| {pattern} | {_triple(real)} | {_triple(ways['imputed'])} | {_triple(ways['absent'])} |")
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None else (f"{value:.2f}" if abs(value) >= 1 else f"{value:.4f}")


def _triple(dice: dict) -> str:
    return " / ".join(_cell(dice[r]) for r in REGIONS)
