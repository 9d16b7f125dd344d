"""Benchmark: `gliomaai impute` on a full four-sequence case, one and three sequences, beside one segmentation.

Each run is its own process, timed from start to exit with its own peak memory (as in
benchmarks/segment.py, whose measuring it uses). The baseline, run in the same invocation on the
same case, is `gliomaai segment` with the default model, so the figures read as "imputing costs
N segmentations":

  segment    `gliomaai segment CASE --device cpu`
  impute-1   `gliomaai impute CASE --sequences t1c --device cpu` (T1c from T1, T2, FLAIR)
  impute-3   `gliomaai impute CASE --sequences t1n,t1c,t2w --device cpu` (three from FLAIR alone)

    python benchmarks/impute.py [--case DIR] [--threads 2] [--repeat 1]
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from segment import DEFAULT_CASE, cpu_name, measure, thread_env

RUNS = {"segment": ["segment"], "impute-1": ["impute", "--sequences", "t1c"],
        "impute-3": ["impute", "--sequences", "t1n,t1c,t2w"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    if not args.case.exists():
        sys.exit(f"{args.case} is absent: give --case, a four-sequence case folder.")
    env = thread_env(args.threads)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, command in RUNS.items():
            runs = []
            for index in range(args.repeat):
                out = Path(scratch) / f"{name}-{index}"
                run = measure([sys.executable, "-m", "gliomaai.cli", command[0], str(args.case), "--out", str(out),
                               "--device", "cpu", *command[1:]], env, Path(scratch) / f"{name}-{index}.log")
                if run["rc"] != 0:
                    sys.exit(f"{name} failed:\n{run['output']}")
                runs.append(run)
            results[name] = {"wall_s": statistics.median(r["wall_s"] for r in runs),
                             "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
    base = results["segment"]
    print(f"case {args.case.name}, {args.threads} threads, {cpu_name()}, median of {args.repeat}")
    print(f"{'run':<10} {'wall s':>8} {'peak MB':>8} {'time / segment':>15} {'memory / segment':>17}")
    for name, figures in results.items():
        print(f"{name:<10} {figures['wall_s']:>8.2f} {figures['peak_rss_mb']:>8d} "
              f"{figures['wall_s'] / base['wall_s']:>15.2f} {figures['peak_rss_mb'] / base['peak_rss_mb']:>17.2f}")


if __name__ == "__main__":
    main()
