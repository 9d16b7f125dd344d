"""What `gliomaai finetune` does to cases nobody corrected: the human-in-the-loop step measured in
cross-validation.

Each fold's model never saw its four held-out cases. Two of them are "corrected" (the expert labels
saved as corrections of the model's output, with the images it read, as the Slicer module saves
them), the model is fine-tuned on those two exactly as `gliomaai finetune` does, and the other two,
which neither the fold's training nor the corrections touched, are segmented before and after;
then the two halves swap. Every model labels with the shipped model's thresholds and ET rule, so
before and after differ only in the weights. The corrected cases are scored too: how far the
model learnt what it was shown (not a score of the model).

Settings compared: the defaults of `gliomaai finetune`; the fold's own training cases replayed beside
the corrections (`gliomaai finetune --replay DATA`); a lower learning rate; the learning rate down a
cosine; synthetic tumours inserted into the corrections' brains, as in training; only the decoder
learning (the encoder frozen).

    python scripts/finetune_in_crossval.py --runs RUNS/6000 [--steps 200] [--data ../shared/data]
        [--learning-rate 2e-4] [--replay] [--cosine] [--synthetic-tumours] [--freeze-encoder]
        [--out docs/models/segmenter/finetune-crossval.json] [--work DIR]

RUNS/N: the folders fold0..fold3 of scripts/train-segmenter.sh after N steps. The fine-tuned models
stay in --work (a temporary folder by default); each finished half is written to --out at once and
skipped when the script is run again.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from gliomaai.corrections import RECORD, list_corrections, save_correction
from gliomaai.inference.engine import default_engine
from gliomaai.models.card import read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.segmentation.segmenter import acquired_t1c_zscore, draw_labels
from gliomaai.training.crossval import REGIONS, markdown_table, score_labels, summarise
from gliomaai.training.data import load_labelled_case
from gliomaai.training.finetune import FinetuneConfig, finetune

FOLDS = ("fold0", "fold1", "fold2", "fold3")


def labelled(model, case, rules, engine) -> np.ndarray:
    """The model's labels of the case, drawn with the shipped rules."""
    probabilities = load_segmenter(model).probabilities(case, engine)[0]
    return draw_labels(rules, case, probabilities, acquired_t1c_zscore(case))[0]


def half(fold: Path, corrected: list, untouched: list, args, rules, engine) -> dict:
    """Fine-tune the fold's model on the expert labels of `corrected`; score both groups before and after."""
    work = args.work / f"{fold.name}-{'-'.join(corrected)}-{setting(args).replace(' ', '-').replace(',', '')}"
    cases = {name: load_labelled_case(args.data, name) for name in corrected + untouched}
    before = {name: labelled(fold, case, rules, engine) for name, case in cases.items()}
    records = list_corrections(work / "corrections") if (work / "corrections").is_dir() else []
    saved = {json.loads((p / RECORD).read_text())["case"] for p in records}
    for name in (n for n in corrected if n not in saved):  # a half stopped midway keeps its records
        case = cases[name]
        save_correction(work / "corrections", name, case.labels, before[name],  # the array takes the labels' grid
                        provenance={"model": str(fold), "note": "expert labels as a correction"},
                        images=dict(case.images))
    card = work / "model" / "model.json"
    if not card.exists():
        finetune(FinetuneConfig(corrections=str(work / "corrections"), model=str(fold / "model.json"),
                                out=str(work / "model"), steps=args.steps, learning_rate=args.learning_rate,
                                synthetic_tumours=args.synthetic_tumours,
                                replay=str(args.data) if args.replay else None, cosine=args.cosine,
                                freeze_encoder=args.freeze_encoder, fit=False))
    after = {name: labelled(card, case, rules, engine) for name, case in cases.items()}
    scored = {"fold": fold.name, "corrected": corrected, "untouched": untouched, "setting": setting(args),
              "finetune_seconds": read_card(card).training["cpu_seconds"]}
    for group in ("corrected", "untouched"):
        scored[group + "_scores"] = {
            moment: [score_labels(cases[n], labels[n], 0.0) for n in scored[group]]
            for moment, labels in (("before", before), ("after", after))}
    return scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--runs", type=Path, required=True, help="the fold runs (fold0..fold3)")
    parser.add_argument("--steps", type=int, default=FinetuneConfig.steps)
    parser.add_argument("--learning-rate", type=float, default=FinetuneConfig.learning_rate)
    parser.add_argument("--synthetic-tumours", action="store_true", help="as in training")
    parser.add_argument("--replay", action="store_true", help="the fold's own training cases learnt alongside")
    parser.add_argument("--cosine", action="store_true", help="the learning rate down a cosine")
    parser.add_argument("--freeze-encoder", action="store_true", help="only the decoder learns")
    parser.add_argument("--out", type=Path, default=Path("docs/models/segmenter/finetune-crossval.json"))
    parser.add_argument("--work", type=Path, default=Path(tempfile.mkdtemp(prefix="gliomaai-finetune-")))
    args = parser.parse_args()
    engine, rules = default_engine(), load_segmenter("default")
    done = json.loads(args.out.read_text())["halves"] if args.out.exists() else []
    for fold in FOLDS:
        held_out = read_card(args.runs / fold / "model.json").training["held_out"]
        for corrected, untouched in ((held_out[:2], held_out[2:]), (held_out[2:], held_out[:2])):
            if any(h["fold"] == fold and h["corrected"] == corrected and h["setting"] == setting(args) for h in done):
                continue
            done.append(half(args.runs / fold, corrected, untouched, args, rules, engine))
            args.out.write_text(json.dumps({"halves": done, "summary": summary(done), "changes": changes(done)},
                                           indent=1) + "\n")
            print(fold, "corrected", corrected, "untouched", untouched, flush=True)
    for title, table in summary(done).items():
        print("\n" + markdown_table(table, title))
    for title, change in changes(done).items():
        print(title, json.dumps(change))


def setting(args) -> str:
    return (f"{args.steps} steps, learning rate {args.learning_rate:g}"
            + (", synthetic tumours" if args.synthetic_tumours else "") + (", replay" if args.replay else "")
            + (", cosine" if args.cosine else "") + (", encoder frozen" if args.freeze_encoder else ""))


def summary(halves: list) -> dict:
    """Mean per region over the cases of each group, before and after, for each fine-tuning setting."""
    tables = {}
    for name in sorted({h["setting"] for h in halves}):
        rows = [h for h in halves if h["setting"] == name]
        for group in ("untouched", "corrected"):
            for moment in ("before", "after"):
                scores = [s for h in rows for s in h[group + "_scores"][moment]]
                tables[f"{name}: {group} cases, {moment}"] = summarise(scores)
    return tables


def changes(halves: list) -> dict:
    """Per setting and group, each region's Dice after minus before: mean, and cases down or up by over 0.02."""
    out = {}
    for name in sorted({h["setting"] for h in halves}):
        for group in ("untouched", "corrected"):
            pairs = [(b, a) for h in halves if h["setting"] == name
                     for b, a in zip(h[group + "_scores"]["before"], h[group + "_scores"]["after"])]
            deltas = {r: np.array([a[r]["dice"] - b[r]["dice"] for b, a in pairs]) for r in REGIONS}
            out[f"{name}: {group} cases"] = {
                "cases": len(pairs),
                **{r: {"mean": round(float(d.mean()), 4), "down": int((d < -0.02).sum()), "up": int((d > 0.02).sum()),
                       "worst": round(float(d.min()), 4)} for r, d in deltas.items()}}
    return out


if __name__ == "__main__":
    main()
