"""Copy a trained run's weights and card into the package as a built-in model, with its scores.

    python scripts/publish_segmenter.py RUN_FOLDER --scores SCORES.json [--name segmenter]

The card keeps the run's training record; its weights are renamed after the model and their
sha256 is checked again. Scores come from `gliomaai crossval` (JSON).
"""

import argparse
import json
import shutil
from pathlib import Path

from gliomaai.models.card import read_card, sha256_of
from gliomaai.models.registry import BUILTIN


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--scores", type=Path, action="append", default=[])
    parser.add_argument("--name", default="segmenter")
    parser.add_argument("--note", action="append", default=[])
    args = parser.parse_args()
    card = read_card(args.run / "model.json")
    if sha256_of(card.weights_path) != card.sha256:
        raise SystemExit(f"{card.weights_path}: sha256 does not match its card")
    BUILTIN.mkdir(parents=True, exist_ok=True)
    weights = BUILTIN / f"{args.name}.pt"
    shutil.copyfile(card.weights_path, weights)
    card.name, card.weights = args.name, weights.name
    for path in args.scores:
        card.scores.update(json.loads(path.read_text()))
    card.notes.extend(args.note)
    card.save(BUILTIN / f"{args.name}.json")
    print(f"Published {BUILTIN / args.name}.json and {weights.name} ({weights.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
