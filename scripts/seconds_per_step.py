"""Seconds a training step takes, from calibration runs' log.csv files: the slowest run's mean step
after its first quarter (the set-up of the first steps, such as cuDNN's choice of kernels, left out).

    python scripts/seconds_per_step.py RUN/log.csv [RUN/log.csv ...]
"""

import csv
import sys


def seconds_per_step(log: str) -> float:
    rows = list(csv.DictReader(open(log)))
    first = len(rows) // 4
    return (float(rows[-1]["seconds"]) - float(rows[first]["seconds"])) / (len(rows) - 1 - first)


if __name__ == "__main__":
    print(max(seconds_per_step(log) for log in sys.argv[1:]))
