"""Models with random weights and their cards, as the training commands lay them out.

For the tests, and for the self-tests of an installed extension, which must not depend on what
a trained model happens to predict.
"""

from pathlib import Path

from .card import ModelCard, sha256_of
from .network import DEFAULT_IMPUTER, DEFAULT_SEGMENTER

# An imputer small enough for tests: the default's layout, narrower and one level shallower.
SMALL_IMPUTER = {**DEFAULT_IMPUTER, "params": {**DEFAULT_IMPUTER["params"], "channels": [8, 16, 32, 64],
                                                "strides": [2, 2, 2]}}


def _write(folder, architecture: dict, seed: int, **card) -> Path:
    import torch

    from .network import build_network

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    weights = folder / "model.pt"
    torch.save(build_network(architecture).state_dict(), weights)
    model = ModelCard(architecture=architecture, weights=weights.name, sha256=sha256_of(weights),
                      notes=["Random weights: for tests only, never for use."], **card)
    return model.save(folder / "model.json")


def write_untrained_model(folder, architecture: dict = DEFAULT_SEGMENTER, spacing_mm: float = 2.0, seed: int = 0,
                          required=(), version: str = "0.1", name: str = "untrained") -> Path:
    """A segmenter: model.pt (random weights) and model.json in `folder`; the card's path."""
    return _write(folder, architecture, seed, name=name, version=version, task="segmentation",
                  input={"sequences": ["t1n", "t1c", "t2w", "t2f"], "spacing_mm": spacing_mm, "required": list(required)},
                  output={"regions": ["WT", "TC", "ET"], "activation": "sigmoid", "threshold": 0.5})


def write_untrained_imputer(folder, architecture: dict = SMALL_IMPUTER, seed: int = 0, version: str = "0.1",
                            name: str = "untrained-imputer") -> Path:
    """An imputer: model.pt (random weights) and model.json in `folder`; the card's path."""
    return _write(folder, architecture, seed, name=name, version=version, task="imputation",
                  input={"sequences": ["t1n", "t1c", "t2w", "t2f"]},
                  output={"sequences": ["t1n", "t1c", "t2w", "t2f"], "activation": "sigmoid"})
