"""The four-sequence cases that may train the imputer, prepared once into a cache of cropped 0..1 arrays.

Imputation needs no labels, so every four-sequence case whose licence allows redistributing
derived weights trains it: the sixteen BraTS 2018 cases and the Apache-2.0 cases (one of them a
metastasis: the contrasts of the sequences are what is learnt). The GPL case is for evaluation only.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..case import load_case
from ..imputation.preprocess import imputation_input
from .data import cache_folder

EXTRA_TRAINING = ("brats-gli-00001-000", "brats-met-00110-000", "brainlesion-case-138", "tcga-du-7294",
                  "tcga-fg-6692")


@dataclass
class ImputationCase:
    name: str
    channels: np.ndarray  # (4, z, y, x) float32 in 0..1, cropped to the brain
    brain: np.ndarray  # (z, y, x) bool


def prepare_imputation_case(data: Path, name: str, cache: Path | None = None) -> ImputationCase:
    path = (cache or cache_folder()) / "impute-1mm" / f"{name}.npz"
    if not path.exists():
        model = imputation_input(load_case(data / name))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, channels=model.channels.astype(np.float16), brain=model.brain)
    stored = np.load(path)
    return ImputationCase(name, stored["channels"].astype(np.float32), stored["brain"])
