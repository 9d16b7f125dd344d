"""The training cases of ../shared/data, prepared once into a cache of coarse, cropped arrays.

Which cases may train a model whose weights are redistributed is decided by their licence:
the BraTS 2018 cases (expert labels), the TCGA cases (consensus of five algorithms: silver)
and the BrainLesion case (one algorithm: silver). The BraTS 2013 cases (CC BY-NC-SA) and the
GPL case are for evaluation only; the metastasis case is another disease.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRAINABLE_SILVER = ("tcga-du-7294", "tcga-fg-6692", "brainlesion-case-138")
EVALUATION_ONLY = ("brats2013-pat0003", "brats2013-pat0004", "brats2013-pat0005")
# brats2013-pat0006 is brats18-2013-20-1's patient: it is never evaluated on a model that trained on that case.
SAME_PATIENT = {"brats2013-pat0006": "brats18-2013-20-1"}


@dataclass
class TrainingCase:
    name: str
    channels: np.ndarray  # (4, z, y, x) float32
    targets: np.ndarray  # (3, z, y, x) uint8: WT, TC, ET
    brain: np.ndarray  # (z, y, x) bool
    kind: str  # "expert" or "silver"


def cache_folder() -> Path:
    return Path(os.environ.get("GLIOMAAI_CACHE", Path.home() / ".cache" / "gliomaai"))


def expert_cases(data: Path) -> list[str]:
    manifest = json.loads((data / "manifest.json").read_text())["cases"]
    return sorted(n for n in manifest if n.startswith("brats18-"))


def silver_cases(data: Path) -> list[str]:
    """The trainable silver-labelled cases that the folder's manifest lists (a folder may lack some)."""
    manifest = json.loads((data / "manifest.json").read_text())["cases"]
    return [n for n in TRAINABLE_SILVER if n in manifest]


def load_labelled_case(data: Path, name: str):
    """A case with its labels: the expert ones, or the majority-vote consensus of the algorithms."""
    # Imported here: training from the cache needs neither SimpleITK nor the readers (a GPU machine has neither).
    import SimpleITK as sitk

    from ..case import load_case
    from ..fusion import fuse
    from ..labels import to_canonical

    manifest = json.loads((data / "manifest.json").read_text())["cases"][name]
    labels = manifest["labels"]
    if len(labels) > 1:
        case = load_case(data / name)
        segmentations = [to_canonical(sitk.GetArrayFromImage(sitk.ReadImage(str(data / name / entry["file"]))),
                                      entry["convention"], entry["file"]) for entry in labels.values()]
        case.set_labels(fuse(segmentations, "vote"), "brats2023", "consensus")
        case.notes.append(f"Labels: majority vote of {len(labels)} algorithms.")
        return case
    entry = next(iter(labels.values()))
    return load_case(data / name, labels=data / name / entry["file"], label_convention=entry["convention"])


def prepare(data: Path, name: str, spacing_mm: float = 2.0, cache: Path | None = None) -> TrainingCase:
    """The case's coarse arrays, from the cache when present."""
    cache = (cache or cache_folder()) / f"train-{spacing_mm:g}mm"
    path = cache / f"{name}.npz"
    kind = "expert" if name.startswith("brats18-") else "silver"
    if not path.exists():
        from ..segmentation.preprocess import model_input, region_targets

        case = load_labelled_case(data, name)
        model = model_input(case, spacing_mm)
        targets = region_targets(case, model)
        brain = np.any(model.channels != 0, axis=0)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, channels=model.channels, targets=targets, brain=brain)
    stored = np.load(path)
    return TrainingCase(name, stored["channels"], stored["targets"], stored["brain"], kind)
