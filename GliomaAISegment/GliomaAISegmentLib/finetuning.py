"""Fine-tuning from the panel: `gliomaai finetune` on the corrections folder, in a worker thread.

The new version goes into a new folder of its own, `models/<name>-<version>` beside the
corrections folder (a counter is added rather than touch an existing folder), so neither the
base model nor an earlier fine-tuned version is ever overwritten. The scene is not changed: the
result is the new model card. The panel makes it the model for the next run only where it did
better than the model it came from on held-out corrections: fine-tuned on a few corrections alone,
a model lost accuracy on cases nobody corrected, so an unchecked version is never chosen silently.
"""

from dataclasses import dataclass
from pathlib import Path

from gliomaai.models.card import read_card
from gliomaai.training.finetune import (FinetuneConfig, advice, base_card, finetune, improved_on_held_out,
                                       next_version)
from GliomaAILib.worker import BackgroundRun


@dataclass
class FinetunedModel:
    card: Path  # the new version's model.json
    version: str
    advice: list  # sentences: how it was learnt, how it scored on held-out corrections
    improved: bool | None  # better than the model it came from on the held-out corrections; None: not checked


def new_model_folder(corrections, name: str, version: str) -> Path:
    """A folder for the new version that does not exist yet: models/<name>-<version>[ (2), (3) ...]."""
    models = Path(corrections).resolve().parent / "models"
    folder, count = models / f"{name}-{version}", 1
    while folder.exists():
        count += 1
        folder = models / f"{name}-{version} ({count})"
    return folder


def finetune_config(corrections, model="default", hold_out: int = 0, replay=None, **options) -> FinetuneConfig:
    """The command's configuration for the panel's choices; `options` (steps, batch, patch ...) as the command's."""
    base = base_card(model)
    out = new_model_folder(corrections, base.name, next_version(base.version))
    return FinetuneConfig(corrections=str(corrections), model=str(model), out=str(out), hold_out=int(hold_out),
                          replay=str(replay) if replay else None, **options)


def finished(card_path) -> FinetunedModel:
    card = read_card(card_path)
    return FinetunedModel(Path(card_path), card.version, advice(card), improved_on_held_out(card))


def start_finetune(config: FinetuneConfig) -> BackgroundRun:
    """Fine-tune in a worker thread; poll the returned run, whose finish() gives the FinetunedModel."""
    return BackgroundRun(lambda progress, cancel: finetune(config, progress, cancel),
                         lambda scene, card_path: finished(card_path), "GliomaAI fine-tuning").start()
