"""Which layer Grad-CAM should explain on a segmenter: each candidate's maps checked on training cases.

For every candidate layer, Grad-CAM and Grad-CAM++ explain WT and ET on each case, with the
deletion and insertion curves against a random order (the checks docs/explain.md describes). A
layer is counted faithful on an explanation when both curves beat the random order. Training
cases are used on purpose: the held-out figures come later, with the layer chosen here.

    python scripts/gradcam_layers.py --model GliomaAI/gliomaai/models/builtin/segmenter.json \
        --out docs/explain/gradcam-layers-unet.json
"""

import argparse
import json
from pathlib import Path

import torch

from gliomaai.explain.explainer import CaseExplainer
from gliomaai.explain.trust import beats_random
from gliomaai.inference.engine import InferenceEngine
from gliomaai.models.registry import load_segmenter
from gliomaai.training.data import load_labelled_case

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
KEYS = ("deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc")
CANDIDATES = {  # the bottleneck (1/8 of the grid) and the decoder at 1/4 and 1/2
    "SegResNet": ["down_layers.3", "up_layers.1", "up_layers.2"],
    "UNet": ["model.1.submodule.1.submodule.1.submodule", "model.1.submodule.1.submodule.2", "model.1.submodule.2"],
}


def table(rows: list) -> str:
    lines = ["| layer | method | faithful | deletion area (random) | insertion area (random) |", "|---|---|---|---|---|"]
    for layer in dict.fromkeys(r["layer"] for r in rows):
        for method in ("gradcam", "gradcampp"):
            mine = [r for r in rows if r["layer"] == layer and r["method"] == method]
            mean = {k: sum(r[k] for r in mine) / len(mine) for k in KEYS}
            lines.append(f"| `{layer}` | {method} | {sum(r['faithful'] for r in mine)}/{len(mine)} | "
                         f"{mean['deletion_auc']:.2f} ({mean['random_deletion_auc']:.2f}) | "
                         f"{mean['insertion_auc']:.2f} ({mean['random_insertion_auc']:.2f}) |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model card (.json) of the segmenter")
    parser.add_argument("--cases", nargs="+", default=["brats18-tcia02-135-1", "brats18-cbica-aqn-1"])
    parser.add_argument("--layers", nargs="+", help="default: the bottleneck and two decoder levels")
    parser.add_argument("--out", type=Path, required=True, help="rows as JSON (resumes); the table beside it (.md)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    segmenter = load_segmenter(args.model)
    layers = args.layers or CANDIDATES[segmenter.card.architecture["class"]]
    rows = json.loads(args.out.read_text())["rows"] if args.out.exists() else []
    engine = InferenceEngine("cpu")
    for name in args.cases:
        case = load_labelled_case(DATA, name)
        for target in ("WT", "ET"):
            explainer = CaseExplainer(case, target, segmenter, engine)
            for layer in layers:
                for method in ("gradcam", "gradcampp"):
                    if any((r["case"], r["target"], r["layer"], r["method"]) == (name, target, layer, method) for r in rows):
                        continue
                    trust = explainer.explain(method, layer).trust
                    rows.append({"case": name, "target": target, "layer": layer, "method": method,
                                 "faithful": beats_random(trust), **{k: trust[k] for k in KEYS}})
                    args.out.parent.mkdir(parents=True, exist_ok=True)
                    args.out.write_text(json.dumps({"model": f"{segmenter.name} {segmenter.version}", "rows": rows},
                                                   indent=1) + "\n")
                    print(json.dumps(rows[-1]), flush=True)
    args.out.with_suffix(".md").write_text(table(rows))
    print(table(rows))


if __name__ == "__main__":
    main()
