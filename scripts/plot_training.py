"""Training curves of one or more runs (loss, and held-out coarse Dice where logged) as one PNG.

    python scripts/plot_training.py RUN [RUN ...] --out curves.png
"""

import argparse
import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read(path: Path) -> list[dict]:
    with open(path) as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    fig, (loss_axis, dice_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for run in args.runs:
        rows = read(run / "log.csv")
        steps = np.array([int(r["step"]) for r in rows])
        loss = np.array([float(r["loss"]) for r in rows])
        window = 50
        smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
        loss_axis.plot(steps[window - 1:], smooth, label=run.name)
        if (run / "validation.csv").exists():
            validation = read(run / "validation.csv")
            for region, style in (("WT", "-"), ("TC", "--"), ("ET", ":")):
                by_step = {}
                for row in validation:
                    by_step.setdefault(int(row["step"]), []).append(float(row[region]))
                xs = sorted(by_step)
                dice_axis.plot(xs, [np.mean(by_step[x]) for x in xs], style, label=f"{run.name} {region}")
    loss_axis.set(xlabel="step", ylabel="Dice + BCE loss (moving mean of 50)", title="training loss")
    dice_axis.set(xlabel="step", ylabel="mean Dice, held-out fold (2 mm grid)", title="held-out Dice during training",
                  ylim=(0, 1))
    loss_axis.legend(fontsize=7)
    dice_axis.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)


if __name__ == "__main__":
    main()
