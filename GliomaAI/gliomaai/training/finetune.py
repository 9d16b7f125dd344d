"""Fine-tuning a segmenter on the corrections people saved: a new model version, the original untouched.

The corrected labels of each record (gliomaai.corrections) train the model further, from its
own weights, on the images the model saw, prepared exactly as for inference (model_input) and
sampled as in training (tumour-biased patches, flips, intensity jitter, missing sequences). The
result is a new folder with weights and a card whose version says where it came from ("1.0" ->
"1.0+ft1" -> "1.0+ft2"), listing the corrections it learnt from with their sha256. The base
model's scores do not carry over: the new card has none until it is evaluated again.

Learnt alone, a few corrections cost cases nobody corrected (measured in cross-validation:
scripts/finetune_in_crossval.py). `replay` learns the model's own training cases alongside them,
which avoided most of that; `hold_out` sets the newest corrections aside and scores the base and
the new version on them, so a user sees whether the new version is better on cases it did not learn.
"""

import csv
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..corrections import correction_case, list_corrections, read_correction
from ..errors import GliomaAIError
from ..models.card import ModelCard, load_state_dict, sha256_of
from ..models.network import build_network
from ..segmentation.preprocess import model_input, region_targets
from .crossval import REGIONS, score_labels, summarise
from .data import TrainingCase, prepare


@dataclass
class FinetuneConfig:
    corrections: str
    model: str = "default"
    out: str | None = None  # default: ./<model name>-<new version>
    steps: int = 200
    batch: int = 2
    patch: tuple = (64, 64, 64)
    learning_rate: float = 2e-4
    seed: int = 0
    fit: bool = True  # Dice on the corrections before and after (how well it learnt them; not a score)
    hold_out: int = 0  # the newest records set aside, to score the base and the new version on
    synthetic_tumours: bool = False  # synthetic tumours inserted into the corrections' brains, as in training
    replay: str | None = None  # a data folder (manifest.json) with the base model's training cases, learnt alongside
    cosine: bool = False  # the learning rate warmed up, then down a cosine to 2 % by the last step
    freeze_encoder: bool = False  # only the decoder learns; the encoder's features stay the base model's


# The parameters of each network's encoder, by name prefix: what freeze_encoder keeps as it was.
# MONAI's UNet nests each level inside the one above: its down path is the first block of each
# level and the innermost block (the bottleneck).
ENCODER_PREFIXES = {"SegResNet": ("convInit.", "down_layers."),
                    "DynUNet": ("input_block.", "downsamples.", "bottleneck."),
                    "UNet": ("model.0.", "model.1.submodule.0.", "model.1.submodule.1.submodule.0.",
                             "model.1.submodule.1.submodule.1.submodule.")}


def next_version(version: str) -> str:
    """'1.0' -> '1.0+ft1'; '1.0+ft1' -> '1.0+ft2'."""
    match = re.fullmatch(r"(.*)\+ft(\d+)", version)
    return f"{match.group(1)}+ft{int(match.group(2)) + 1}" if match else f"{version}+ft1"


def base_card(model) -> ModelCard:
    from ..models.registry import load_segmenter

    segmenter = load_segmenter(model)
    card = getattr(segmenter, "card", None)
    if card is None:
        raise GliomaAIError(f"Model '{model}' has no GliomaAI model card (a MONAI bundle?).",
                            "Fine-tune a GliomaAI model: 'default', a model card or a folder with model.json.")
    return card


def _output_folder(config: FinetuneConfig, card: ModelCard, version: str) -> Path:
    out = Path(config.out) if config.out else Path(f"{card.name}-{version}")
    if out.resolve() == Path(card.path).resolve().parent:
        raise GliomaAIError(f"{out} is the folder of the model being fine-tuned.",
                            "Choose another --out: the original model is never changed.")
    taken = [name for name in ("model.json", "model.pt") if (out / name).exists()]
    if taken:
        raise GliomaAIError(f"{out} already holds {', '.join(taken)}.",
                            "Choose another --out: GliomaAI never overwrites a model.")
    return out


def training_cases(records, spacing_mm: float) -> list:
    """Each correction as the network sees it: coarse channels and WT, TC, ET targets of the corrected labels."""
    cases = []
    for correction in records:
        case = correction_case(correction)
        model = model_input(case, spacing_mm)
        cases.append(TrainingCase(correction.path.name, model.channels, region_targets(case, model),
                                  np.any(model.channels != 0, axis=0), "correction"))
    return cases


def trained_on(card: ModelCard) -> list:
    """The cases a model was trained on: its own list, or, for a fine-tuned version, its base's."""
    training = card.training
    while "cases" not in training and "base_training" in training:
        training = training["base_training"]
    return list(training.get("cases", []))


def replay_cases(data, base: ModelCard, spacing_mm: float) -> list:
    """The base model's training cases found in `data`, prepared as training prepares them."""
    data = Path(data)
    if not (data / "manifest.json").is_file():
        raise GliomaAIError(f"{data}: no manifest.json, so not a folder of training cases.",
                            "Give the data folder the model was trained from (--replay), or leave --replay out.")
    listed = json.loads((data / "manifest.json").read_text())["cases"]
    names = [n for n in trained_on(base) if n in listed and (data / n).is_dir()]
    if not names:
        raise GliomaAIError(f"{data}: none of the cases {base.name} {base.version} was trained on.",
                            "Give the data folder the model was trained from, or leave --replay out.")
    return [prepare(data, n, spacing_mm) for n in names]


def held_out_split(records: list, count: int) -> tuple[list, list]:
    """(the records to learn from, the `count` newest set aside to score the base and the new version on)."""
    if not 0 <= count < len(records):
        raise GliomaAIError(f"Cannot hold out {count} of {len(records)} correction(s).",
                            f"Hold out between 0 and {len(records) - 1}: at least one must be learnt from.")
    newest = sorted(records, key=lambda c: (c.record.get("saved", ""), c.path.name))[len(records) - count:]
    return [c for c in records if c.path not in {n.path for n in newest}], newest


def held_out_scores(base: ModelCard, new: ModelCard, records: list) -> dict:
    """Both versions segmenting the held-out records' images as `gliomaai segment` does, scored against
    the corrected labels: whether the new version does better on corrections it did not learn from."""
    from ..segmentation.segmenter import CardSegmenter, segment_case

    cases = [correction_case(c) for c in records]
    scores = {"records": [c.path.name for c in records]}
    for moment, card in (("before", base), ("after", new)):
        rows = []
        for case in cases:
            result = segment_case(case, CardSegmenter(card))
            rows.append(score_labels(case, result.labels_array(), round(result.seconds, 2)))
        scores[moment] = {"summary": summarise(rows), "cases": rows}
    return scores


def held_out_note(scores: dict) -> str:
    """A sentence: the mean Dice per region on the held-out corrections, base and new version."""
    def dice(moment):
        return " / ".join(f"{scores[moment]['summary'][r]['dice']['mean']:.3f}" for r in REGIONS)

    return (f"On {len(scores['records'])} held-out correction(s) it did not learn from, Dice WT / TC / ET against "
            f"the corrected labels: {dice('before')} with the base model, {dice('after')} with this version.")


def trainable_parameters(network, architecture: dict, freeze_encoder: bool) -> list:
    """The parameters fine-tuning changes: all, or, with freeze_encoder, all but the encoder's (which stop
    taking gradients)."""
    if not freeze_encoder:
        return list(network.parameters())
    prefixes = ENCODER_PREFIXES.get(architecture.get("class"))
    if prefixes is None:
        raise GliomaAIError(f"Cannot tell the encoder of a {architecture.get('class')} network.",
                            "Fine-tune without freezing the encoder.")
    trainable = []
    for name, parameter in network.named_parameters():
        parameter.requires_grad_(not name.startswith(prefixes))
        if parameter.requires_grad:
            trainable.append(parameter)
    return trainable


def improved_on_held_out(card: ModelCard) -> bool | None:
    """Whether the new version's mean Dice over WT, TC and ET on the held-out corrections beat the base model's;
    None when it was not checked on any."""
    scores = card.scores.get("held_out_corrections")
    if not scores:
        return None

    def mean_dice(moment):
        return np.mean([scores[moment]["summary"][r]["dice"]["mean"] for r in REGIONS])

    return bool(mean_dice("after") > mean_dice("before"))


def advice(card: ModelCard) -> list:
    """What a person should know of a version just fine-tuned, in sentences (the command prints them, the panel
    shows them): how it was learnt, and how it did on the held-out corrections or how to check it."""
    lines = []
    if not card.training.get("replayed"):
        lines.append("Learnt from the corrections alone. In cross-validation that lowered the Dice of cases nobody "
                     "corrected; with the model's training cases learnt alongside (--replay DATA; in the Slicer "
                     "panel, a training data folder) it hardly did "
                     "(README: Fine-tuning on corrections).")
    if "held_out_corrections" in card.scores:
        lines.append(held_out_note(card.scores["held_out_corrections"]))
    else:
        lines.append("Not checked on corrections it did not learn from: --hold-out N (in the panel, 'Hold out') "
                     "sets the newest N aside to check it.")
    return lines


def _fit(network, cases, patch) -> dict:
    from .train import coarse_dice

    return {case.name: {r: round(float(v), 4) for r, v in coarse_dice(network, case, patch).items()}
            for case in cases}


def finetune(config: FinetuneConfig, progress=None, cancel=None) -> Path:
    """Fine-tune `config.model` on the corrections under `config.corrections`; the new card's path.

    progress(fraction, message) reports; cancel() returning True stops before the next step
    (gliomaai.inference.engine.Cancelled), with nothing written.
    """
    import torch
    from monai.losses import DiceCELoss

    from ..inference.engine import Cancelled
    from .checkpoint import learning_rate_factor
    from .train import optimisation_step

    if config.steps < 1 or config.batch < 1:
        raise GliomaAIError("Steps and batch must be at least 1.", "Give --steps 1 or more.")
    base = base_card(config.model)
    version = next_version(base.version)
    out = _output_folder(config, base, version)
    paths = list_corrections(config.corrections)
    if not paths:
        raise GliomaAIError(f"{config.corrections}: no correction record (no subfolder with record.json).",
                            "Save corrections with the GliomaAISegment module first.")
    records, held_out = held_out_split([read_correction(p) for p in paths], config.hold_out)
    patch = tuple(int(p) for p in config.patch)
    spacing_mm = float(base.input.get("spacing_mm", 2.0))
    cases = training_cases(records, spacing_mm)
    replayed = replay_cases(config.replay, base, spacing_mm) if config.replay else []
    # The corrections repeated so that about half the samples are theirs, however many cases are replayed.
    pool = cases * max(1, round(len(replayed) / len(cases))) + replayed

    torch.manual_seed(config.seed)
    network = build_network(base.architecture)
    network.load_state_dict(load_state_dict(base))  # checked against the base card's sha256
    before = {k: v.detach().clone() for k, v in network.state_dict().items()}
    fit_before = _fit(network, cases, patch) if config.fit else {}
    optimizer = torch.optim.AdamW(trainable_parameters(network, base.architecture, config.freeze_encoder),
                                  lr=config.learning_rate, weight_decay=1e-5)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: learning_rate_factor(s, config.steps, max(1, config.steps // 20)) if config.cosine else 1.0)
    loss_function = DiceCELoss(sigmoid=True, batch=True)
    rng = np.random.default_rng(config.seed)
    network.train()
    losses, seconds, log = [], 0.0, []
    for step in range(1, config.steps + 1):
        if cancel is not None and cancel():
            raise Cancelled("fine-tuning cancelled")
        started = time.perf_counter()
        rate = optimizer.param_groups[0]["lr"]
        loss = optimisation_step(network, optimizer, loss_function, pool, rng, config.batch, patch,
                                 synthetic_tumours=config.synthetic_tumours)
        schedule.step()
        seconds += time.perf_counter() - started
        losses.append(round(loss, 5))
        log.append({"step": step, "loss": losses[-1], "learning_rate": rate, "seconds": round(seconds, 2)})
        if progress is not None:
            progress(step / config.steps, f"fine-tuning: step {step}/{config.steps}, loss {loss:.3f}")
    fit_after = _fit(network, cases, patch) if config.fit else {}
    if all(torch.equal(before[k], v) for k, v in network.state_dict().items()):
        raise GliomaAIError("Fine-tuning left the weights unchanged.", "Give more --steps or a larger learning rate.")

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "log.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["step", "loss", "learning_rate", "seconds"])
        writer.writeheader()
        writer.writerows(log)
    weights = out / "model.pt"
    torch.save(network.state_dict(), weights)
    card = ModelCard(
        name=base.name, version=version, task=base.task, architecture=base.architecture, weights=weights.name,
        sha256=sha256_of(weights), input=dict(base.input), output=dict(base.output),
        training={
            "finetuned_from": {"name": base.name, "version": base.version, "sha256": base.sha256, "card": base.path},
            "corrections": [{"record": c.path.name, "case": c.case_name, "saved": c.record.get("saved"),
                             "model": c.record.get("model", {}).get("model"),
                             "model_version": c.record.get("model", {}).get("model_version"),
                             "corrected_sha256": c.record["sha256"][c.record["files"]["corrected"]],
                             "changed_voxels": c.record["comparison"]["changed_voxels"]} for c in records],
            "held_out": [c.path.name for c in held_out],
            "replayed": [c.name for c in replayed],
            "corrections_folder": str(Path(config.corrections).resolve()),
            "steps": config.steps, "cpu_seconds": round(seconds, 1), "loss_first": losses[0], "loss_last": losses[-1],
            "fit_on_corrections": {"before": fit_before, "after": fit_after,
                                   "note": "coarse-grid Dice on the training corrections themselves: not a score"},
            "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
            "base_training": base.training,
        },
        scores={},
        notes=list(base.notes) + [f"Fine-tuned from {base.name} {base.version} on {len(records)} correction(s). "
                                  "The base model's scores do not apply to this version; evaluate it again."],
    )
    card.save(out / "model.json")
    if held_out:
        if progress is not None:
            progress(1.0, f"scoring both versions on {len(held_out)} held-out correction(s)")
        card.scores = {"held_out_corrections": held_out_scores(base, card, held_out)}
        card.notes.append(held_out_note(card.scores["held_out_corrections"]))
        card.save(card.path)
    return Path(card.path)
