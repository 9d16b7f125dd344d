"""A segmentation model with random weights and its card, as `gliomaai train` lays them out.

For the tests, and for the self-tests of an installed extension, which must not depend on what
a trained model happens to predict.
"""

from pathlib import Path

from .card import ModelCard, sha256_of
from .network import DEFAULT_SEGMENTER


def write_untrained_model(folder, architecture: dict = DEFAULT_SEGMENTER, spacing_mm: float = 2.0, seed: int = 0,
                          required=(), version: str = "0.1", name: str = "untrained") -> Path:
    """model.pt (random weights) and model.json in `folder`; the card's path."""
    import torch

    from .network import build_network

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    weights = folder / "model.pt"
    torch.save(build_network(architecture).state_dict(), weights)
    card = ModelCard(name=name, version=version, task="segmentation", architecture=architecture,
                     weights=weights.name, sha256=sha256_of(weights),
                     input={"sequences": ["t1n", "t1c", "t2w", "t2f"], "spacing_mm": spacing_mm,
                            "required": list(required)},
                     output={"regions": ["WT", "TC", "ET"], "activation": "sigmoid", "threshold": 0.5},
                     notes=["Random weights: for tests only, never for use."])
    return card.save(folder / "model.json")
