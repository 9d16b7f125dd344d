"""Training curves of one or more runs (loss, and held-out coarse Dice where logged) as one PNG.

    python scripts/plot_training.py RUN [RUN ...] --out curves.png [--pool-folds]

--pool-folds draws runs named NAME-foldK as one line per NAME (the mean over their folds' held-out
cases and training losses).
"""

import argparse
import csv
import re
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
    parser.add_argument("--pool-folds", action="store_true", help="one line per run name less its -foldK")
    args = parser.parse_args()
    groups = {}
    for run in args.runs:
        groups.setdefault(re.sub(r"-fold\d+$", "", run.name) if args.pool_folds else run.name, []).append(run)
    fig, (loss_axis, dice_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for name, runs in groups.items():
        logs = [read(run / "log.csv") for run in runs]
        length = min(len(rows) for rows in logs)
        steps = np.array([int(r["step"]) for r in logs[0][:length]])
        loss = np.mean([[float(r["loss"]) for r in rows[:length]] for rows in logs], axis=0)
        window = 50
        smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
        line = loss_axis.plot(steps[window - 1:], smooth, label=name)[0]
        validation = [row for run in runs if (run / "validation.csv").exists() for row in read(run / "validation.csv")]
        if validation:
            # Segmenter runs log Dice per region; imputer runs the MAE of each sequence imputed from the others.
            columns = [c for c in validation[0] if c not in ("step", "case")]
            for column, style in zip(columns, ("-", "--", ":", "-.")):
                by_step = {}
                for row in validation:
                    by_step.setdefault(int(row["step"]), []).append(float(row[column]))
                xs = [s for s in sorted(by_step) if s <= length]
                dice_axis.plot(xs, [np.mean(by_step[s]) for s in xs], style, marker=".",
                               color=line.get_color() if args.pool_folds else None, label=f"{name} {column}")
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
