"""Scores of trained models on cases they never saw, at full resolution, as the model card reports them.

Cross-validation: each fold's model segments its held-out BraTS 2018 cases. Held-out test:
the shipped model segments the BraTS 2013 cases with FLAIR and T1c only (expert labels;
pat0006 is left out, being the patient of a training case).

Thresholds: each region's probability threshold is chosen where its mean Dice is best over
out-of-fold cases, nested: a fold's cases are scored with thresholds chosen on the other folds'
cases (each predicted by a model that never saw it), so no case helps choose its own. The
shipped model gets the choice over all of them.

The ET rule is chosen the same way: ET as the tumour core's voxels above a z-score on the
acquired T1c (each candidate), or the network's ET channel where that scores better.

The whole-tumour seed is not chosen: where the whole tumour's threshold is below WHOLE_TUMOUR_SEED, a part
is drawn only if it holds a part of at least a speck's size above the seed (the model more sure than not). Dice alone
rewards a lower threshold at the tumour's border and does not see the faint islands it adds far away.
"""

import copy
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..inference.engine import default_engine
from ..labels import region_masks
from ..metrics import dice, segmentation_metrics
from ..models.card import read_card
from ..models.registry import load_segmenter
from ..segmentation.postprocess import core_and_enhancing
from ..segmentation.segmenter import acquired_t1c_zscore, draw_labels, segment_case, tuned
from .data import EVALUATION_ONLY, load_labelled_case

REGIONS = ("WT", "TC", "ET")
REPORTED = ("dice", "hd95", "sensitivity", "precision")
CANDIDATE_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CANDIDATE_ENHANCING_ZSCORES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
ENHANCING = "enhancing_t1c_zscore"  # the key of the ET rule in a choice, as in the model card's output
SEED = "whole_tumour_seed"  # the key of the whole-tumour seed in a choice, as in the model card's output
WHOLE_TUMOUR_SEED = 0.5


def score_labels(case, labels: np.ndarray, seconds: float) -> dict:
    metrics = segmentation_metrics(labels, case.label_array(), case.reference.GetSpacing(), REGIONS)
    return {"case": case.name, "sequences": list(case.present), "seconds": seconds,
            **{r: {k: round(metrics[r][k], 4) for k in REPORTED} for r in REGIONS}}


def reading(model, whole_tumour_also_from=None):
    """The model as a segmenter; with `whole_tumour_also_from` (sequences), reading the whole tumour a second
    time from those alone, as a card's output of that name makes it (None: as its card says)."""
    segmenter = load_segmenter(model)
    if whole_tumour_also_from is not None:
        segmenter = copy.copy(segmenter)
        segmenter.whole_tumour_also_from = tuple(whole_tumour_also_from)
    return segmenter


def as_shipped(model, shipped=None):
    """The model's weights read and labelled as the shipped model (default: the built-in one) reads and labels:
    its thresholds, ET rule and whole-tumour reading. How a fold's model is scored beside the shipped rules."""
    shipped = shipped or load_segmenter("default")
    return tuned(reading(model, shipped.whole_tumour_also_from), shipped.thresholds, shipped.enhancing_zscore,
                 shipped.whole_tumour_seed)


def chosen_segmenter(model, choice: dict | None = None, whole_tumour_also_from=None):
    """The model as a segmenter, labelling with a choice of thresholds, ET rule and seed when given."""
    segmenter = reading(model, whole_tumour_also_from)
    if choice is None:
        return segmenter
    return tuned(segmenter, [choice[r] for r in REGIONS], choice.get(ENHANCING), choice.get(SEED))


def score_case(case, model, engine=None, tta=False, choice=None, whole_tumour_also_from=None) -> dict:
    result = segment_case(case, chosen_segmenter(model, choice, whole_tumour_also_from), engine, tta=tta)
    return score_labels(case, result.labels_array(), result.seconds)


def enhancement_table(probabilities: np.ndarray, t1c: np.ndarray | None, truth_et: np.ndarray) -> list | None:
    """Dice of ET drawn as the tumour core's voxels (rows: candidate TC thresholds) where the T1c is above
    each candidate z-score (columns), as segmenting draws it; None without an acquired T1c."""
    if t1c is None:
        return None
    bright = [t1c > z for z in CANDIDATE_ENHANCING_ZSCORES]
    return [[round(dice(core_and_enhancing(probabilities[1] > t, b)[1], truth_et), 4) for b in bright]
            for t in CANDIDATE_THRESHOLDS]


def score_and_tabulate(case, model, engine=None, tta=False, whole_tumour_also_from=None) -> tuple[dict, dict]:
    """From one inference: the scores at the model's own thresholds and ET rule, per region the Dice of
    its thresholded probability map at each candidate threshold, and the ET rule's table."""
    started = time.perf_counter()
    segmenter = reading(model, whole_tumour_also_from)
    probabilities, _ = segmenter.probabilities(case, engine or default_engine(), tta)
    t1c = acquired_t1c_zscore(case)  # once, for the model's own labels and the ET rule's table
    labels, _ = draw_labels(segmenter, case, probabilities, t1c)
    seconds = round(time.perf_counter() - started, 2)
    truth = region_masks(case.label_array(), REGIONS)
    table = {r: [round(dice(probabilities[i] > t, truth[r]), 4) for t in CANDIDATE_THRESHOLDS]
             for i, r in enumerate(REGIONS)}
    table[ENHANCING] = enhancement_table(probabilities, t1c, truth["ET"])
    return score_labels(case, labels, seconds), table


def best_choice(tables: list[dict]) -> dict:
    """Per region, the candidate threshold with the best mean Dice over these cases' tables; and the ET
    rule's z-score (at the chosen TC threshold) where it beats the ET channel on the cases with a T1c; and
    the whole-tumour seed where the chosen WT threshold is below it."""
    choice = {r: CANDIDATE_THRESHOLDS[int(np.argmax(np.mean([table[r] for table in tables], axis=0)))]
              for r in REGIONS}
    with_t1c = [table for table in tables if table.get(ENHANCING) is not None]
    choice[ENHANCING] = None
    if with_t1c:
        row = CANDIDATE_THRESHOLDS.index(choice["TC"])
        rule = np.mean([table[ENHANCING][row] for table in with_t1c], axis=0)
        channel = np.mean([table["ET"] for table in with_t1c], axis=0)
        if rule.max() > channel.max():
            choice[ENHANCING] = CANDIDATE_ENHANCING_ZSCORES[int(np.argmax(rule))]
    choice[SEED] = WHOLE_TUMOUR_SEED if choice["WT"] < WHOLE_TUMOUR_SEED else None
    return choice


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


def cross_validation(data: Path, runs: list[Path], engine=None, tta=False, choose_thresholds=True,
                     whole_tumour_also_from=None) -> dict:
    """Each fold's model on its held-out cases. With `choose_thresholds`, scored with nested
    out-of-fold thresholds and ET rule (see the module's note) and, for comparison, at the model's own.
    `whole_tumour_also_from`: the sequences each model reads the whole tumour from a second time (reading)."""
    folds = {run: read_card(run / "model.json").training["held_out"] for run in runs}
    tables, own = {}, []
    for run, names in folds.items():
        for name in tqdm(names, desc=f"scoring {run.name}"):
            row, tables[name] = score_and_tabulate(load_labelled_case(data, name), run, engine, tta,
                                                   whole_tumour_also_from)
            own.append({"fold_model": run.name, **row})
    if not choose_thresholds:
        return {"per_case": own, "summary": summarise(own), "tta": tta}
    rows = []
    for run, names in folds.items():
        chosen = best_choice([table for name, table in tables.items() if name not in names])
        for name in tqdm(names, desc=f"scoring {run.name} at {chosen}"):
            case = load_labelled_case(data, name)
            rows.append({"fold_model": run.name, "thresholds": chosen,
                         **score_case(case, run, engine, tta, chosen, whole_tumour_also_from)})
    return {"per_case": rows, "summary": summarise(rows), "tta": tta, "thresholds": best_choice(list(tables.values())),
            "candidate_thresholds": list(CANDIDATE_THRESHOLDS),
            "candidate_enhancing_zscores": list(CANDIDATE_ENHANCING_ZSCORES), "dice_by_threshold": tables,
            "at_model_threshold": {"per_case": own, "summary": summarise(own)}}


def held_out_test(data: Path, model, engine=None, tta=False, cases=EVALUATION_ONLY, choice=None,
                  whole_tumour_also_from=None) -> dict:
    rows = [score_case(load_labelled_case(data, name), model, engine, tta, choice, whole_tumour_also_from)
            for name in tqdm(cases, desc="scoring held-out cases") if (data / name).exists()]
    return {"per_case": rows, "summary": summarise(rows), "tta": tta} if rows else {}


def markdown_table(summary: dict, title: str) -> str:
    lines = [f"**{title}** ({summary['cases']} cases; mean, median in brackets)", "",
             "| region | Dice | HD95 (mm) | sensitivity | precision |", "|---|---|---|---|---|"]
    for region in REGIONS:
        cells = [f"{summary[region][k]['mean']:.3f} ({summary[region][k]['median']:.3f})" for k in REPORTED]
        lines.append(f"| {region} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sequences_table(by_sequences: dict) -> str:
    """One row per set of sequences given: mean Dice per region (median in brackets), and the number of cases."""
    lines = ["| sequences | " + " | ".join(f"Dice {r}" for r in REGIONS) + " | cases |",
             "|---|" + "---|" * (len(REGIONS) + 1)]
    for sequences, summary in by_sequences.items():
        cells = [f"{summary[r]['dice']['mean']:.3f} ({summary[r]['dice']['median']:.3f})" for r in REGIONS]
        lines.append(f"| {sequences} | " + " | ".join(cells) + f" | {summary['cases']} |")
    return "\n".join(lines)


def write_scores(path: Path, scores: dict) -> None:
    path.write_text(json.dumps(scores, indent=2) + "\n")
