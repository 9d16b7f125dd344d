"""Model cards: a JSON file beside the weights saying what the model is, what trained it, what it scored.

Weights are only ever loaded after their sha256 matches the card, and with
`torch.load(weights_only=True)` (no pickled code runs).
"""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import GliomaAIError


@dataclass
class ModelCard:
    name: str
    version: str
    task: str  # "segmentation"
    architecture: dict  # {"class": ..., "params": {...}}
    weights: str  # file name, beside the card
    sha256: str
    input: dict = field(default_factory=dict)  # sequences, spacing_mm, normalisation
    output: dict = field(default_factory=dict)  # regions, activation
    training: dict = field(default_factory=dict)  # data, steps, time, command
    scores: dict = field(default_factory=dict)  # cross-validation and held-out figures
    notes: list = field(default_factory=list)
    path: str = ""  # where the card was read from (not stored)

    @property
    def weights_path(self) -> Path:
        return Path(self.path).parent / self.weights

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("path")
        return json.dumps(data, indent=2)

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() + "\n")
        self.path = str(path)
        return path


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_card(path) -> ModelCard:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        card = ModelCard(**data)
    except (OSError, ValueError, TypeError) as error:
        raise GliomaAIError(f"{path}: not a readable model card ({error}).",
                            "Give the model's .json card, as written by `gliomaai train`.") from None
    card.path = str(path)
    return card


def load_state_dict(card: ModelCard) -> dict:
    """The card's weights, checked against its sha256 and loaded without running pickled code."""
    import torch

    weights = card.weights_path
    if not weights.exists():
        raise GliomaAIError(f"{weights}: the weights of model '{card.name}' are missing.",
                            "Reinstall GliomaAI, or point --model at a folder with the card and its weights.")
    actual = sha256_of(weights)
    if actual != card.sha256:
        raise GliomaAIError(f"{weights}: sha256 {actual[:12]}... does not match the model card ({card.sha256[:12]}...).",
                            "The file is damaged or not the card's; download or copy it again.")
    try:
        return torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several kinds on bad files
        raise GliomaAIError(f"{weights}: cannot be loaded as weights ({error}).",
                            "Give a state dict saved with torch.save(model.state_dict()).") from None


def cached_network(card: ModelCard, engine):
    """The card's network with its checked weights, built once per engine and kept there."""
    from .network import build_network

    def build():
        network = build_network(card.architecture)
        try:
            network.load_state_dict(load_state_dict(card))
        except RuntimeError as error:
            raise GliomaAIError(f"The weights of '{card.name}' do not fit its architecture ({str(error)[:200]}).",
                                "The card and the weights belong to different models; retrain or copy the right pair.") from None
        return network
    return engine.model(f"{card.path}:{card.sha256}", build)
