"""Scores of trained models on cases they never saw, at full resolution, as the model card reports them.

Cross-validation: each fold's model segments its held-out BraTS 2018 cases. Held-out test:
the shipped model segments the BraTS 2013 cases with FLAIR and T1c only (expert labels;
pat0006 is left out, being the patient of a training case).
"""

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..labels import region_masks
from ..metrics import segmentation_metrics
from ..models.card import read_card
from ..segmentation.segmenter import segment_case
from .data import EVALUATION_ONLY, load_labelled_case

REGIONS = ("WT", "TC", "ET")
REPORTED = ("dice", "hd95", "sensitivity", "precision")


def score_case(case, model, engine=None, tta=False) -> dict:
    result = segment_case(case, model, engine, tta=tta)
    metrics = segmentation_metrics(result.labels_array(), case.label_array(), case.reference.GetSpacing(), REGIONS)
    return {"case": case.name, "sequences": list(case.present), "seconds": result.seconds,
            **{r: {k: round(metrics[r][k], 4) for k in REPORTED} for r in REGIONS}}


def summarise(rows: list[dict]) -> dict:
    """Mean, median and standard deviation of each reported metric per region."""
    out = {}
    for region in REGIONS:
        out[region] = {}
        for key in REPORTED:
            values = np.array([row[region][key] for row in rows], dtype=float)
            out[region][key] = {"mean": round(float(values.mean()), 4), "median": round(float(np.median(values)), 4),
                                "std": round(float(values.std()), 4)}
    out["cases"] = len(rows)
    return out


def cross_validation(data: Path, runs: list[Path], engine=None, tta=False) -> dict:
    rows = []
    for run in runs:
        card = read_card(run / "model.json")
        for name in tqdm(card.training["held_out"], desc=f"scoring {run.name}"):
            rows.append({"fold_model": run.name, **score_case(load_labelled_case(data, name), run, engine, tta)})
    return {"per_case": rows, "summary": summarise(rows)}


def held_out_test(data: Path, model, engine=None, tta=False, cases=EVALUATION_ONLY) -> dict:
    rows = [score_case(load_labelled_case(data, name), model, engine, tta)
            for name in tqdm(cases, desc="scoring held-out cases") if (data / name).exists()]
    return {"per_case": rows, "summary": summarise(rows)} if rows else {}


def markdown_table(summary: dict, title: str) -> str:
    lines = [f"**{title}** ({summary['cases']} cases; mean, median in brackets)", "",
             "| region | Dice | HD95 (mm) | sensitivity | precision |", "|---|---|---|---|---|"]
    for region in REGIONS:
        cells = [f"{summary[region][k]['mean']:.3f} ({summary[region][k]['median']:.3f})" for k in REPORTED]
        lines.append(f"| {region} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_scores(path: Path, scores: dict) -> None:
    path.write_text(json.dumps(scores, indent=2) + "\n")
