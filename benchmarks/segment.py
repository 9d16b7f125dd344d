"""Benchmark: `gliomaai segment` on a full four-sequence case next to the MONAI bundle's inference.

Each run is its own process, timed from start to exit, with its own peak memory (the maximum
resident set size the kernel reports for that child alone, from os.wait4):

  ours       `gliomaai segment CASE --out DIR --device cpu [--model M]`, the whole command as
             people run it (with its default test-time augmentation): start-up, reading,
             preprocessing, inference, writing the outputs.
  one-pass   the same with --no-tta: what the four mirrored passes cost.
  bundle     the MONAI model-zoo bundle brats_mri_segmentation run as its inference.json does:
             LoadImage of the four files (T1c, T1, T2, FLAIR), NormalizeIntensity(nonzero,
             channel_wise), SegResNet (blocks_down 1,2,2,4, init_filters 16; random weights),
             SlidingWindowInferer(roi 240x240x160, sw_batch_size 1, overlap 0.5), sigmoid,
             threshold, labels ET 4 / TC 1 / WT 2 written as NIfTI. fp32: the bundle's AMP
             is bf16 on a CPU, far slower where the CPU lacks bf16.
  via-ours   (--with-bundle-model) the same network as a bundle folder, run by
             `gliomaai segment --model BUNDLE_DIR` (GliomaAI's BundleSegmenter).

    python benchmarks/segment.py [--case DIR] [--threads 2] [--repeat 1] [--only ours one-pass bundle]
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CASE = REPO.parent / "shared" / "data" / "brats18-cbica-abm-1"
BUNDLE_ORDER = ("t1c", "t1n", "t2w", "t2f")  # T1c, T1, T2, FLAIR
NETWORK = {"blocks_down": [1, 2, 2, 4], "blocks_up": [1, 1, 1], "init_filters": 16, "in_channels": 4,
           "out_channels": 3, "dropout_prob": 0.2}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def thread_env(threads: int) -> dict:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "GliomaAI"), env.get("PYTHONPATH")]))
    return env


def measure(command: list, env: dict, log: Path) -> dict:
    """Run `command` to its end: wall seconds, its own peak RSS (MB), exit code, output tail."""
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB on Linux
    output = log.read_text(errors="replace")
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak), "rc": process.returncode, "output": output[-1500:]}


def find_case_files(folder: Path) -> dict:
    from gliomaai.sequences import sequence_from_name

    found = {}
    for path in sorted(folder.iterdir()):
        sequence = sequence_from_name(path.name)
        if sequence and path.is_file():
            found.setdefault(sequence, path)
    missing = [s for s in BUNDLE_ORDER if s not in found]
    if missing:
        sys.exit(f"{folder}: lacks {', '.join(missing)}; the benchmark needs all four sequences.")
    return found


def bundle_reference(case: Path, out: Path, threads: int) -> None:
    """The child process: the bundle's inference on one case; prints its stage times as JSON."""
    times, started = {}, time.perf_counter()
    import torch

    torch.set_num_threads(threads)
    from monai.inferers import SlidingWindowInferer
    from monai.networks.nets import SegResNet
    from monai.transforms import LoadImage, NormalizeIntensity, SaveImage

    times["import_s"] = time.perf_counter() - started
    files = find_case_files(case)
    mark = time.perf_counter()
    image = LoadImage(image_only=True)([str(files[s]) for s in BUNDLE_ORDER])  # (4, x, y, z), as the bundle
    image = NormalizeIntensity(nonzero=True, channel_wise=True)(image)
    times["load_normalise_s"] = time.perf_counter() - mark
    torch.manual_seed(0)
    network = SegResNet(**NETWORK).eval()
    inferer = SlidingWindowInferer(roi_size=[240, 240, 160], sw_batch_size=1, overlap=0.5)
    mark = time.perf_counter()
    with torch.no_grad():
        pred = torch.sigmoid(inferer(image.as_tensor()[None].float(), network))[0] > 0.5
    times["inference_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    labels = torch.where(pred[[2]], 4, torch.where(pred[[0]], 1, torch.where(pred[[1]], 2, 0))).to(torch.uint8)
    labels = type(image)(labels, meta=image.meta) if hasattr(image, "meta") else labels
    SaveImage(output_dir=str(out), output_postfix="seg", output_dtype="uint8", resample=False,
              separate_folder=False, print_log=False)(labels)
    times["save_s"] = time.perf_counter() - mark
    times["shape"] = list(image.shape)
    print("BUNDLE-TIMES " + json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in times.items()}))


def write_phantom_case(folder: Path) -> Path:
    from gliomaai.commands.demo import write_case
    from gliomaai.phantom import make_phantom

    return write_case(make_phantom((155, 240, 240)), folder)


def write_random_bundle(folder: Path) -> Path:
    """A bundle folder with the model zoo's layout and the same network with random weights."""
    import torch
    from monai.networks.nets import SegResNet

    torch.manual_seed(0)
    (folder / "configs").mkdir(parents=True)
    (folder / "models").mkdir()
    torch.save(SegResNet(**NETWORK).state_dict(), folder / "models" / "model.pt")
    channels = {"0": "T1c", "1": "T1", "2": "T2", "3": "FLAIR"}
    outputs = {"0": "Tumor core", "1": "Whole tumor", "2": "Enhancing tumor"}
    metadata = {"version": "random-weights", "network_data_format": {
        "inputs": {"image": {"num_channels": 4, "channel_def": channels}},
        "outputs": {"pred": {"num_channels": 3, "channel_def": outputs}}}}
    inference = {"network_def": {"_target_": "SegResNet", **NETWORK},
                 "inferer": {"_target_": "SlidingWindowInferer", "roi_size": [240, 240, 160], "sw_batch_size": 1,
                             "overlap": 0.5}}
    (folder / "configs" / "metadata.json").write_text(json.dumps(metadata, indent=2))
    (folder / "configs" / "inference.json").write_text(json.dumps(inference, indent=2))
    return folder


def summarise(runs: list) -> dict:
    good = [r for r in runs if r["rc"] == 0]
    if not good:
        return {"rc": runs[-1]["rc"], "output": runs[-1]["output"]}
    return {"rc": 0, "wall_s": round(statistics.median(r["wall_s"] for r in good), 2),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in good), "walls": [r["wall_s"] for r in good],
            "inner": good[-1].get("inner")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", type=Path, help=f"case folder with four sequences (default: {DEFAULT_CASE} "
                                                  "if present, else the phantom at 240x240x155)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for every run (default: 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the median wall time is shown")
    parser.add_argument("--model", help="--model for gliomaai segment (default: its default)")
    parser.add_argument("--only", nargs="+", choices=("ours", "one-pass", "bundle", "via-ours"),
                        default=("ours", "one-pass", "bundle"), help="which runs (default: ours one-pass bundle)")
    parser.add_argument("--with-bundle-model", action="store_true", help="also run via-ours (see above)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--bundle-reference", type=Path, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--bundle-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bundle_reference:
        bundle_reference(args.bundle_reference, args.bundle_out, args.threads)
        return 0

    sys.path.insert(0, str(REPO / "GliomaAI"))
    env = thread_env(args.threads)
    kinds = list(dict.fromkeys([*args.only, *(["via-ours"] if args.with_bundle_model else [])]))
    with tempfile.TemporaryDirectory(prefix="gliomaai-bench-") as scratch:
        scratch = Path(scratch)
        case = args.case or (DEFAULT_CASE if DEFAULT_CASE.is_dir() else None)
        if case is None:
            print("No real case found; writing the phantom at 240x240x155 (synthetic).", flush=True)
            case = write_phantom_case(scratch / "phantom")
        find_case_files(case)
        bundle_dir = write_random_bundle(scratch / "bundle") if "via-ours" in kinds else None
        print(f"case {case}\nCPU {cpu_name()}, {os.cpu_count()} cores visible, {args.threads} threads per run; "
              f"load average now {os.getloadavg()[0]:.2f}", flush=True)
        results = {}
        for kind in kinds:
            runs = []
            for index in range(args.repeat):
                out = scratch / f"{kind}-{index}"
                if kind == "bundle":
                    command = [sys.executable, str(Path(__file__).resolve()), "--bundle-reference", str(case),
                               "--bundle-out", str(out), "--threads", str(args.threads)]
                else:
                    model = str(bundle_dir) if kind == "via-ours" else args.model
                    command = [sys.executable, "-m", "gliomaai.cli", "segment", str(case), "--out", str(out),
                               "--device", "cpu", *(["--model", model] if model else []),
                               *(["--no-tta"] if kind == "one-pass" else [])]
                run = measure(command, env, scratch / f"{kind}-{index}.log")
                for line in run["output"].splitlines():
                    if line.startswith("BUNDLE-TIMES "):
                        run["inner"] = json.loads(line.split(" ", 1)[1])
                runs.append(run)
                state = f"{run['wall_s']:.1f} s, {run['peak_rss_mb']} MB" if run["rc"] == 0 else f"failed ({run['rc']})"
                print(f"  {kind} run {index + 1}/{args.repeat}: {state}", flush=True)
            results[kind] = summarise(runs)

    labels = {"ours": "gliomaai segment (whole command)", "one-pass": "gliomaai segment --no-tta",
              "bundle": "MONAI bundle reference",
              "via-ours": "gliomaai segment --model BUNDLE"}
    print(f"\n{'':36}{'wall s':>10}{'peak RSS MB':>14}")
    for kind, result in results.items():
        if result["rc"] == 0:
            print(f"{labels[kind]:36}{result['wall_s']:>10.1f}{result['peak_rss_mb']:>14}")
        else:
            print(f"{labels[kind]:36}{'failed (exit ' + str(result['rc']) + ')':>24}")
            print("    " + "\n    ".join(result["output"].strip().splitlines()[-8:]))
    if results.get("bundle", {}).get("inner"):
        print(f"  bundle stages: {results['bundle']['inner']}")
    ours, bundle = results.get("ours", {}), results.get("bundle", {})
    if ours.get("rc") == 0 and bundle.get("rc") == 0:
        results["ratio_bundle_over_ours"] = {"wall": round(bundle["wall_s"] / ours["wall_s"], 2),
                                             "peak_rss": round(bundle["peak_rss_mb"] / ours["peak_rss_mb"], 2)}
        ratio = results["ratio_bundle_over_ours"]
        print(f"{'ratio bundle / ours':36}{ratio['wall']:>10.2f}{ratio['peak_rss']:>14.2f}")
    once = results.get("one-pass", {})
    if ours.get("rc") == 0 and once.get("rc") == 0:
        results["ratio_ours_over_one_pass"] = {"wall": round(ours["wall_s"] / once["wall_s"], 2),
                                               "peak_rss": round(ours["peak_rss_mb"] / once["peak_rss_mb"], 2)}
        ratio = results["ratio_ours_over_one_pass"]
        print(f"{'ratio ours / one pass (TTA cost)':36}{ratio['wall']:>10.2f}{ratio['peak_rss']:>14.2f}")
    if args.json:
        args.json.write_text(json.dumps({"case": str(case), "threads": args.threads, "cpu": cpu_name(),
                                         "results": results}, indent=2, default=str) + "\n")
    return 0 if all(r.get("rc") == 0 for r in results.values() if isinstance(r, dict) and "rc" in r) else 1


if __name__ == "__main__":
    sys.exit(main())
