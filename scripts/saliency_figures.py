"""Trust figures of every saliency method on cases the explained model never saw.

For each cross-validation fold of the segmenter (`gliomaai train --fold K`), its first held-out
BraTS 2018 case is explained with that fold's model, for WT and ET, by every method, with the
randomisation test and the deletion/insertion curves. Rows are appended to OUT as they come, so
a stopped run resumes; the summary (per method: mean figures, how often it beat the random
order on both curves, how often its map barely changed with random weights) goes to OUT too.

    python scripts/saliency_figures.py --runs ~/.cache/gliomaai/runs --out docs/explain/figures.json
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from gliomaai.explain.catalogue import METHODS
from gliomaai.explain.explainer import CaseExplainer
from gliomaai.explain.trust import beats_random
from gliomaai.inference.engine import InferenceEngine
from gliomaai.models.registry import load_segmenter
from gliomaai.training.data import load_labelled_case

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGETS = ("WT", "ET")
KEYS = ("randomisation_spearman", "deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc")


def summarise(rows: list) -> dict:
    out = {}
    for method in METHODS:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        out[method] = {k: round(float(np.mean([r[k] for r in mine])), 4) for k in KEYS}
        out[method]["seconds"] = round(float(np.mean([r["seconds"] for r in mine])), 1)
        out[method]["beats_random_on_both_curves"] = sum(beats_random(r) for r in mine)
        out[method]["changes_with_random_weights"] = sum(abs(r["randomisation_spearman"]) < 0.5 for r in mine)
        out[method]["explanations"] = len(mine)
    return out


def markdown(done: dict) -> str:
    """The summary and the per-sequence importance as the tables docs/explain.md shows."""
    lines = ["| method | s (CPU) | rank corr. with random weights | deletion area (random) | insertion area (random) "
             "| beats random on both curves | changes with random weights |", "|---|---|---|---|---|---|---|"]
    for method, f in done["summary"].items():
        n = f["explanations"]
        lines.append(f"| {METHODS[method].title} | {f['seconds']:.0f} | {f['randomisation_spearman']:.2f} | "
                     f"{f['deletion_auc']:.2f} ({f['random_deletion_auc']:.2f}) | "
                     f"{f['insertion_auc']:.2f} ({f['random_insertion_auc']:.2f}) | "
                     f"{f['beats_random_on_both_curves']}/{n} | {f['changes_with_random_weights']}/{n} |")
    lines += ["", "| case | region | " + " | ".join(["T1", "T1c", "T2", "FLAIR"]) + " |", "|---|---|---|---|---|---|"]
    for case, importance in done["importance"].items():
        for region in ("WT", "TC", "ET"):
            cells = [f"{(importance.get(s) or {}).get(region, {}).get('importance', float('nan')):.2f}"
                     for s in ("t1n", "t1c", "t2w", "t2f")]
            lines.append(f"| {case} | {region} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path.home() / ".cache" / "gliomaai" / "runs")
    parser.add_argument("--out", type=Path, default=Path("docs/explain/figures.json"))
    parser.add_argument("--folds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--tables", action="store_true", help="only write OUT's tables (.md) from the rows it holds")
    args = parser.parse_args()
    if args.tables:
        args.out.with_suffix(".md").write_text(markdown(json.loads(args.out.read_text())))
        return
    torch.set_num_threads(2)
    done = json.loads(args.out.read_text()) if args.out.exists() else {"rows": [], "importance": {}}
    engine = InferenceEngine("cpu")
    for fold in args.folds:
        segmenter = load_segmenter(str(args.runs / f"fold{fold}" / "model.json"))
        name = sorted(segmenter.card.training["held_out"])[0]
        case = load_labelled_case(DATA, name)
        for target in TARGETS:
            explainer = CaseExplainer(case, target, segmenter, engine)
            done["importance"].setdefault(name, explainer.sequence_importance())
            for method in METHODS:
                if any(r["case"] == name and r["target"] == target and r["method"] == method for r in done["rows"]):
                    continue
                e = explainer.explain(method)
                done["rows"].append({"fold": fold, "case": name, "target": target, "method": method, "layer": e.layer,
                                     "seconds": e.seconds, **{k: e.trust[k] for k in KEYS}, "verdict": e.trust["verdict"],
                                     "channel_shares": e.channel_shares})
                done["summary"] = summarise(done["rows"])
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(done, indent=1) + "\n")
                args.out.with_suffix(".md").write_text(markdown(done))
                print(json.dumps(done["rows"][-1]), flush=True)


if __name__ == "__main__":
    main()
