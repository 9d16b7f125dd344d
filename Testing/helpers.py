"""Small data the tests make themselves, and where the real cases live."""

from pathlib import Path

import numpy as np
import SimpleITK as sitk

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


def image(array, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0)) -> sitk.Image:
    result = sitk.GetImageFromArray(np.asarray(array))
    result.SetSpacing(spacing)
    result.SetOrigin(origin)
    return result


def write(array_or_image, path, **kwargs) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = array_or_image if isinstance(array_or_image, sitk.Image) else image(array_or_image, **kwargs)
    sitk.WriteImage(img, str(path))
    return path


def ball(shape, centre, radius) -> np.ndarray:
    grid = np.indices(shape)
    return sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius**2


def make_model(folder, init_filters: int = 8, seed: int = 0) -> Path:
    """A small segmentation model with random weights and its card, as `gliomaai train` writes them."""
    from gliomaai.models.network import SEGMENTERS
    from gliomaai.models.untrained import write_untrained_model

    architecture = {"class": "SegResNet", "params": {**SEGMENTERS["segresnet-8"]["params"], "init_filters": init_filters}}
    return write_untrained_model(folder, architecture, spacing_mm=4.0, seed=seed, name="tiny")


class StandInTimer:
    """qt.QTimer's part that PanelJob uses (Qt cannot run here); a test ticks it."""

    def __init__(self, *_state):
        self.active, self.interval, self.slots = False, None, {}

    def setInterval(self, ms):  # noqa: N802 - Qt's name
        self.interval = ms

    def connect(self, signal, slot):
        self.slots[signal] = slot

    def start(self):
        self.active = True

    def stop(self):
        self.active = False

    def tick(self):
        self.slots["timeout()"]()
