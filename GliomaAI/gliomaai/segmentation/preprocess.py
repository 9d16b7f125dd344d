"""From a case to the network's input: four z-scored channels on a coarse isotropic grid, cropped to the brain.

Training and inference both call `model_input`, so what the network sees is the same in both.
A missing sequence is an all-zero channel, which after z-scoring means "no information".
"""

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from ..errors import GliomaAIError
from ..geometry import isotropic_grid
from ..labels import region_masks
from ..normalize import zscore
from ..sequences import SEQUENCES

REGIONS = ("WT", "TC", "ET")


@dataclass
class ModelInput:
    channels: np.ndarray  # (4, z, y, x) float32 on the coarse grid, cropped
    present: tuple  # sequences present (the others are zero channels)
    grid: sitk.Image  # the coarse grid of the whole field of view (geometry only)
    box: tuple  # (z0, z1, y0, y1, x0, x1) of the crop in the coarse grid


def _resample(image: sitk.Image, grid: sitk.Image, interpolator=sitk.sitkLinear) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.Resample(image, grid, sitk.Transform(), interpolator, 0.0, sitk.sitkFloat32))


def _image(array: np.ndarray, reference: sitk.Image) -> sitk.Image:
    image = sitk.GetImageFromArray(array.astype(np.float32, copy=False))
    image.CopyInformation(reference)
    return image


def brain_box(mask: np.ndarray, margin: int) -> tuple:
    """Bounding box (z0, z1, y0, y1, x0, x1) of the mask with a margin, inside the volume."""
    if not mask.any():
        raise GliomaAIError("The brain mask is empty.", "Check the images: no brain was found in them.")
    box = []
    for axis, n in enumerate(mask.shape):
        other = tuple(a for a in range(3) if a != axis)
        where = np.flatnonzero(mask.any(axis=other))
        lo, hi = max(0, where[0] - margin), min(n, where[-1] + 1 + margin)
        box += [lo, hi]
    return tuple(box)


def model_input(case, spacing_mm: float = 2.0, margin: int = 4) -> ModelInput:
    """The case as the network sees it: z-scored in the brain, resampled to `spacing_mm`, cropped."""
    if not case.present:
        raise GliomaAIError(f"Case '{case.name}' has no sequence.", "Load at least one of T1, T1c, T2, FLAIR.")
    case.check_grid()
    brain = case.brain_mask_array()
    grid = isotropic_grid(case.reference, spacing_mm)
    coarse_brain = _resample(_image(brain.astype(np.float32), case.reference), grid) > 0.5
    z0, z1, y0, y1, x0, x1 = box = brain_box(coarse_brain, margin)
    channels = np.zeros((len(SEQUENCES), z1 - z0, y1 - y0, x1 - x0), dtype=np.float32)
    for index, sequence in enumerate(SEQUENCES):
        if sequence in case.images:
            coarse = _resample(_image(zscore(case.array(sequence), brain), case.reference), grid)
            channels[index] = coarse[z0:z1, y0:y1, x0:x1] * coarse_brain[z0:z1, y0:y1, x0:x1]
    return ModelInput(channels, case.present, grid, box)


def region_targets(case, model: ModelInput) -> np.ndarray:
    """The case's labels as WT, TC, ET masks on the model's cropped coarse grid (uint8, for training)."""
    z0, z1, y0, y1, x0, x1 = model.box
    masks = region_masks(case.label_array(), REGIONS)
    targets = [_resample(_image(masks[r].astype(np.float32), case.reference), model.grid)[z0:z1, y0:y1, x0:x1] > 0.5
               for r in REGIONS]
    return np.stack(targets).astype(np.uint8)


def to_case_grid(coarse: np.ndarray, model: ModelInput, reference: sitk.Image) -> np.ndarray:
    """Channels (c, z, y, x) on the cropped coarse grid back onto the case's grid (linear), as float32."""
    full_shape = sitk.GetArrayViewFromImage(model.grid).shape
    z0, z1, y0, y1, x0, x1 = model.box
    out = []
    for channel in coarse:
        full = np.zeros(full_shape, dtype=np.float32)
        full[z0:z1, y0:y1, x0:x1] = channel
        out.append(_resample(_image(full, model.grid), reference))
    return np.stack(out)
