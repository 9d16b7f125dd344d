"""From a case to the network's input: four z-scored channels on a coarse isotropic grid, cropped to the brain.

Training and inference both call `model_input`, so what the network sees is the same in both.
A missing sequence is an all-zero channel, which after z-scoring means "no information".
"""

import dataclasses
import itertools
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


def keep_sequences(model: ModelInput, sequences) -> ModelInput:
    """The same input with only `sequences` kept, the others zero channels: what model_input gives for the case
    with only those sequences and the same brain, without reading the case again."""
    kept = tuple(s for s in model.present if s in sequences)
    channels = model.channels.copy()
    channels[[i for i, s in enumerate(SEQUENCES) if s not in kept]] = 0
    return dataclasses.replace(model, channels=channels, present=kept)


def region_targets(case, model: ModelInput) -> np.ndarray:
    """The case's labels as WT, TC, ET masks on the model's cropped coarse grid (uint8, for training)."""
    z0, z1, y0, y1, x0, x1 = model.box
    masks = region_masks(case.label_array(), REGIONS)
    targets = [_resample(_image(masks[r].astype(np.float32), case.reference), model.grid)[z0:z1, y0:y1, x0:x1] > 0.5
               for r in REGIONS]
    return np.stack(targets).astype(np.uint8)


def to_case_grid(coarse: np.ndarray, model: ModelInput, reference: sitk.Image) -> np.ndarray:
    """Channels (c, z, y, x) on the cropped coarse grid back onto the case's grid (linear), as float32.

    Only the part of the case's grid that the crop covers is resampled (the rest is 0): a third or
    less of the field of view. The crop is padded by one voxel of zeros first, so the values at its
    edge blend into 0 as they would in the whole coarse grid.
    """
    z0, z1, y0, y1, x0, x1 = model.box
    padded = np.pad(coarse.astype(np.float32, copy=False), ((0, 0), (1, 1), (1, 1), (1, 1)))
    # The padded crop spans coarse indices x0-1 .. x1 (and so on); its corners on the case's grid:
    corners = [reference.TransformPhysicalPointToContinuousIndex(model.grid.TransformIndexToPhysicalPoint(corner))
               for corner in itertools.product((int(x0) - 1, int(x1)), (int(y0) - 1, int(y1)), (int(z0) - 1, int(z1)))]
    lo = np.clip(np.floor(np.min(corners, axis=0)).astype(int), 0, reference.GetSize())
    hi = np.clip(np.ceil(np.max(corners, axis=0)).astype(int) + 1, 0, reference.GetSize())
    full = np.zeros((len(coarse),) + sitk.GetArrayViewFromImage(reference).shape, dtype=np.float32)
    if np.any(hi <= lo):
        return full
    part = sitk.Image([int(n) for n in hi - lo], sitk.sitkUInt8)
    part.SetSpacing(reference.GetSpacing())
    part.SetDirection(reference.GetDirection())
    part.SetOrigin(reference.TransformIndexToPhysicalPoint([int(i) for i in lo]))
    crop_origin = model.grid.TransformIndexToPhysicalPoint((int(x0) - 1, int(y0) - 1, int(z0) - 1))
    for index, channel in enumerate(padded):
        image = sitk.GetImageFromArray(channel)
        image.SetSpacing(model.grid.GetSpacing())
        image.SetDirection(model.grid.GetDirection())
        image.SetOrigin(crop_origin)
        full[index, lo[2]:hi[2], lo[1]:hi[1], lo[0]:hi[0]] = _resample(image, part)
    return full
