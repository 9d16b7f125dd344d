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
            # Segmenter runs log Dice per region; imputer runs the MAE of each sequence imputed from the others.
            columns = [c for c in validation[0] if c not in ("step", "case")]
            for column, style in zip(columns, ("-", "--", ":", "-.")):
                by_step = {}
                for row in validation:
                    by_step.setdefault(int(row["step"]), []).append(float(row[column]))
                xs = sorted(by_step)
                dice_axis.plot(xs, [np.mean(by_step[x]) for x in xs], style, marker=".", label=f"{run.name} {column}")
    segmenter = any("WT" in read(r / "validation.csv")[0] for r in args.runs if (r / "validation.csv").exists())
    loss_axis.set(xlabel="step", ylabel="training loss (moving mean of 50)", title="training loss")
    dice_axis.set(xlabel="step", title="held-out fold during training",
                  **({"ylabel": "mean Dice (2 mm grid)", "ylim": (0, 1)} if segmenter
                     else {"ylabel": "mean MAE in the brain, each sequence imputed from the other three"}))
    loss_axis.legend(fontsize=7)
    dice_axis.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)


if __name__ == "__main__":
    main()
