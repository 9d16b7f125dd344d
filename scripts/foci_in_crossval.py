"""The whole tumour's separate parts as the fold models draw them on the cases they never saw (the
16 BraTS 2018 cases, labelled with the shipped thresholds and ET rule): each part's volume, its
distance from the largest part, and whether it is tumour (any voxel of it in the expert's whole
tumour). Prints one line per part and writes them as JSON.

    python scripts/foci_in_crossval.py --runs ~/.cache/gliomaai/runs [--out docs/models/segmenter/foci-crossval.json]
"""

import argparse
import json
from pathlib import Path

import numpy as np

from gliomaai.inference.engine import default_engine
from gliomaai.labels import region_masks
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.segmentation.foci import tumour_foci
from gliomaai.segmentation.postprocess import connected_parts
from gliomaai.segmentation.segmenter import acquired_t1c_zscore, draw_labels
from gliomaai.training.data import load_labelled_case

FOLDS = ("fold0", "fold1", "fold2", "fold3")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=Path, required=True, help="the fold runs (fold0..fold3)")
    parser.add_argument("--out", type=Path, default=Path("docs/models/segmenter/foci-crossval.json"))
    args = parser.parse_args()
    engine, rules = default_engine(), load_segmenter("default")  # labelled as the shipped model labels
    rows = []
    for fold in FOLDS:
        model = load_segmenter(args.runs / fold)
        for name in read_card(args.runs / fold / "model.json").training["held_out"]:
            case = load_labelled_case(args.data, name)
            labels = draw_labels(rules, case, model.probabilities(case, engine)[0], acquired_t1c_zscore(case))[0]
            parts, _ = connected_parts(labels > 0)
            sizes = np.bincount(parts.ravel())[1:]
            truth = region_masks(case.label_array())["WT"]
            # tumour_foci lists the parts as a stable sort of their sizes, largest first, does.
            for focus, part in zip(tumour_foci(labels, case.reference), np.argsort(-sizes, kind="stable") + 1):
                rows.append({"case": name, "volume_ml": focus["volume_ml"], "distance_mm": focus["distance_mm"],
                             "tumour": bool(truth[parts == part].any())})
                print(name, rows[-1], flush=True)
    others = [row for row in rows if row["distance_mm"] > 0]
    true = sorted(row["distance_mm"] for row in others if row["tumour"])
    false = sorted(row["distance_mm"] for row in others if not row["tumour"])
    print(f"{len(others)} parts besides the largest: {len(true)} tumour, at {true} mm; {len(false)} not, at {false} mm")
    args.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
