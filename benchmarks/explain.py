"""Benchmark: each saliency method on a full case, as a ratio to one forward pass of the same model.

Each method runs in its own process, so its peak memory is its own (the maximum resident set
size of that child, as in benchmarks/segment.py, whose measuring it uses). Inside the child the
case is read and prepared once, one forward pass of the default segmenter over the brain is
timed (the baseline), then the method (and, with --trust, its randomisation test and
deletion/insertion curves). The baseline child only reads the case and makes the forward pass,
so the memory ratio compares like with like.

    python benchmarks/explain.py [--case DIR] [--threads 2] [--methods gradcam occlusion] [--trust]
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from segment import DEFAULT_CASE, cpu_name, measure, thread_env

METHODS = ("gradcam", "gradcampp", "saliency", "guided", "ig", "smoothgrad", "occlusion")


def child(case: Path, method: str, trust: bool, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    from gliomaai.case import load_case
    from gliomaai.explain.explainer import CaseExplainer

    explainer = CaseExplainer(load_case(case), "WT")
    with torch.no_grad():
        explainer.network(explainer.x)  # warm-up
        started = time.perf_counter()
        explainer.network(explainer.x)
        forward = time.perf_counter() - started
    seconds = None
    if method != "forward":
        started = time.perf_counter()
        explainer.explain(method, trust=trust)
        seconds = time.perf_counter() - started
    print("EXPLAIN-TIMES " + json.dumps({"forward_s": round(forward, 3), "method_s": seconds and round(seconds, 2),
                                         "input": list(explainer.x.shape)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--trust", action="store_true", help="time each method with its checks")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "TRUST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.case, args.child[0], args.child[1] == "1", args.threads)
    if not args.case.exists():
        sys.exit(f"{args.case}: no such case folder (give --case).")
    env = thread_env(args.threads)
    print(f"case {args.case.name}, {args.threads} threads, {cpu_name()}, trust checks {'on' if args.trust else 'off'}")
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for method in ["forward", *args.methods]:
            command = [sys.executable, __file__, "--case", str(args.case), "--threads", str(args.threads),
                       "--child", method, "1" if args.trust else "0"]
            result = measure(command, env, Path(folder) / f"{method}.log")
            if result["rc"] != 0:
                sys.exit(f"{method} failed:\n{result['output']}")
            line = next(l for l in result["output"].splitlines() if l.startswith("EXPLAIN-TIMES "))
            rows[method] = {**json.loads(line.split(" ", 1)[1]), "peak_rss_mb": result["peak_rss_mb"]}
    base = rows["forward"]
    print(f"input {base['input']}; one forward pass {base['forward_s']:.2f} s, process peak {base['peak_rss_mb']} MB")
    print(f"{'method':12} {'seconds':>8} {'x forward':>10} {'peak MB':>8} {'x memory':>9}")
    for method in args.methods:
        row = rows[method]
        print(f"{method:12} {row['method_s']:8.1f} {row['method_s'] / row['forward_s']:10.1f} {row['peak_rss_mb']:8d} "
              f"{row['peak_rss_mb'] / base['peak_rss_mb']:9.2f}")


if __name__ == "__main__":
    main()
