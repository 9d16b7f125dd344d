"""What a perfect model at the segmenter's resolution would score: the training targets themselves (each
region on the 2 mm grid, as the network learns it), brought back to full resolution as a prediction is
and scored against the expert labels. What the shipped model falls short of this is the network's
error, not the grid's.

    python scripts/resolution_ceiling.py [--data ../shared/data] [--spacing 2.0]
"""

import argparse
from pathlib import Path

import numpy as np

from gliomaai.labels import region_masks
from gliomaai.metrics import dice
from gliomaai.segmentation.preprocess import model_input, region_targets, to_case_grid
from gliomaai.training.crossval import REGIONS
from gliomaai.training.data import expert_cases, load_labelled_case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--spacing", type=float, default=2.0, help="the model's grid (mm)")
    args = parser.parse_args()
    rows = []
    for name in expert_cases(args.data):
        case = load_labelled_case(args.data, name)
        model = model_input(case, args.spacing)
        # Linear back to the case's grid and 0.5, as the segmenter's probabilities go.
        perfect = to_case_grid(region_targets(case, model).astype(np.float32), model, case.reference) > 0.5
        truth = region_masks(case.label_array(), REGIONS)
        rows.append([dice(perfect[i], truth[region]) for i, region in enumerate(REGIONS)])
        print(name, " ".join(f"{region} {value:.3f}" for region, value in zip(REGIONS, rows[-1])), flush=True)
    print(f"mean Dice of the {args.spacing:g} mm targets at full resolution:",
          " ".join(f"{region} {value:.3f}" for region, value in zip(REGIONS, np.mean(rows, axis=0))))


if __name__ == "__main__":
    main()
