"""Benchmark: the segmenters `gliomaai train --network` offers, timed on this machine for training and inference.

Each network runs in its own process (so each has its own peak memory) with the same work:

  train step   one optimisation step as `gliomaai train` takes it: two 4x48^3 patches, DiceCE
               loss, AdamW; the median of --steps steps after two warm-up steps.
  inference    the network's sliding window (64^3 windows, overlap 0.25, two at a time, as
               `gliomaai segment` reads a case) over the case's brain at 2 mm: the input that
               `gliomaai segment` gives the network, made from the case by the same code.

Figures are printed beside the default (the shipped model's network) as ratios. Speed and memory do not depend on
the weights, so every network has random ones.

    python benchmarks/architectures.py [--case DIR] [--threads 2] [--steps 10] [--networks dynunet unet]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from segment import DEFAULT_CASE, cpu_name, measure, thread_env

def child(network_name: str, case: Path, steps: int, threads: int) -> None:
    """In the child process: time one network's training step and full-case inference; print JSON."""
    import numpy as np
    import torch
    from monai.losses import DiceCELoss

    from gliomaai.case import load_case
    from gliomaai.inference.engine import InferenceEngine
    from gliomaai.models.network import SEGMENTERS, build_network
    from gliomaai.segmentation.preprocess import model_input
    from gliomaai.segmentation.segmenter import DEFAULT_WINDOW

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    network = build_network(SEGMENTERS[network_name])
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-3)
    loss_function = DiceCELoss(sigmoid=True, batch=True)
    x = torch.randn(2, 4, 48, 48, 48)
    y = (torch.rand(2, 3, 48, 48, 48) > 0.9).float()
    seconds = []
    for _ in range(steps + 2):
        started = time.perf_counter()
        optimizer.zero_grad()
        loss_function(network(x), y).backward()
        optimizer.step()
        seconds.append(time.perf_counter() - started)
    channels = model_input(load_case(case)).channels
    network.eval()
    engine = InferenceEngine("cpu", threads)
    started = time.perf_counter()
    engine.sliding_window(network, channels, (DEFAULT_WINDOW,) * 3)
    print(json.dumps({"parameters": sum(p.numel() for p in network.parameters()),
                      "train_step_s": statistics.median(seconds[2:]),
                      "inference_s": time.perf_counter() - started,
                      "input_shape": list(np.shape(channels))}))


def main() -> None:
    from gliomaai.models.network import DEFAULT_SEGMENTER_NAME as DEFAULT_NETWORK, SEGMENTERS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, default=DEFAULT_CASE)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--networks", nargs="+", choices=list(SEGMENTERS), default=list(SEGMENTERS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.case, args.steps, args.threads)
    if not args.case.exists():
        sys.exit(f"{args.case} is absent: give --case, a case folder.")
    names = [DEFAULT_NETWORK] + [n for n in args.networks if n != DEFAULT_NETWORK]
    env = thread_env(args.threads)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            run = measure([sys.executable, __file__, "--child", name, "--case", str(args.case), "--steps",
                           str(args.steps), "--threads", str(args.threads)], env, Path(scratch) / f"{name}.log")
            if run["rc"] != 0:
                sys.exit(f"{name} failed:\n{run['output']}")
            results[name] = {**json.loads(run["output"].strip().splitlines()[-1]), "peak_rss_mb": run["peak_rss_mb"]}
    base = results[DEFAULT_NETWORK]
    print(f"case {args.case.name} (network input {results[DEFAULT_NETWORK]['input_shape']}), {args.threads} threads, "
          f"{cpu_name()}; train step: median of {args.steps}")
    print(f"{'network':<14} {'parameters':>10} {'train step s':>13} {'inference s':>12} {'peak MB':>8} "
          f"{'step / default':>15} {'inference / default':>20}")
    for name, r in results.items():
        print(f"{name:<14} {r['parameters']:>10,} {r['train_step_s']:>13.3f} {r['inference_s']:>12.2f} "
              f"{r['peak_rss_mb']:>8} {r['train_step_s'] / base['train_step_s']:>15.2f} "
              f"{r['inference_s'] / base['inference_s']:>20.2f}")


if __name__ == "__main__":
    main()
