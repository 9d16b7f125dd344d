"""The brain of a scan that is not skull-stripped.

The models were trained on skull-stripped brains (BraTS); on a whole head they take scalp, orbits
and marrow for tumour. A skull-stripped scan has a constant background, so what differs from it is
the brain; in a raw scan the background is noise, and what differs from it is the whole field of
view. deepbet (MIT; a network trained on T1-weighted scans, shipped with its weights) finds the
brain there, in about two seconds on a CPU. On thick slices its brain takes in the orbits, which are
set aside with the brain's other thin parts.
"""

import warnings
from functools import lru_cache

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from .errors import GliomaAIError
from .segmentation.preprocess import brain_box

# Larger than any intracranial volume: a "brain" found as what differs from the background that is
# larger than this is a head, or the whole field of view.
MAX_BRAIN_ML = 2200.0
# deepbet reads T1-weighted contrast; a T1 before contrast first, as it was trained on.
T1_WEIGHTED = ("t1n", "t1c")
# deepbet's voxel axes: nibabel's canonical RAS+ (ITK names that orientation by where axes come from: LPI).
RAS = "LPI"
# Fat on a T1 is about three times the brain's median intensity, white matter under one and a half.
FAT_TIMES_MEDIAN = 2.0
# Thick slices join the orbits to the frontal lobes through parts of deepbet's brain thinner than twice
# this (on the raw TCGA study 4 and 6 mm left false tumour in an orbit). What it costs a brain without
# orbits: 13-33 mL of its surface and 0-1.5 mL of its tumour on the 16 BraTS brain masks
# (scripts/brain_opening_cost.py).
OPENING_RADIUS_MM = 8.0


def is_head(mask: np.ndarray, spacing) -> bool:
    """Whether a mask of what differs from the background is too large to be a brain."""
    return float(mask.sum()) * float(np.prod(spacing)) / 1000.0 > MAX_BRAIN_ML


@lru_cache(maxsize=1)
def _deepbet():
    try:
        from deepbet.bet import BrainExtraction
    except ImportError as error:
        raise GliomaAIError("The images are not skull-stripped, and deepbet, which finds the brain, is not installed.",
                            "Install it (pip install deepbet), or give a brain mask.") from error
    with warnings.catch_warnings():  # its loader's deprecation is deepbet's business, not the user's
        warnings.simplefilter("ignore", DeprecationWarning)
        return BrainExtraction(no_gpu=True)  # two seconds on a CPU; no second device to manage


def extract_brain(image: sitk.Image) -> np.ndarray:
    """The brain of a T1-weighted head scan as a boolean (z, y, x) array on the image's grid."""
    import torch

    oriented = sitk.DICOMOrient(sitk.Cast(image, sitk.sitkFloat32), RAS)
    volume = np.ascontiguousarray(sitk.GetArrayFromImage(oriented).transpose(2, 1, 0))
    bet = _deepbet()
    with torch.inference_mode():
        mask = bet.postprocess(bet.run_model(volume) > 0.5)  # largest component, holes filled
    found = sitk.GetImageFromArray(np.ascontiguousarray(mask.transpose(2, 1, 0)).astype(np.uint8))
    found.CopyInformation(oriented)
    # Reorienting only permutes and flips axes: nearest-neighbour resampling back is exact.
    back = sitk.Resample(found, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    return sitk.GetArrayFromImage(back) > 0


def without_fat(brain: np.ndarray, t1n: np.ndarray) -> np.ndarray:
    """The brain less what is as bright as fat on the T1 before contrast (more than twice the brain's
    median): thick slices put orbital fat inside the brain's outline, and the models read it as tumour."""
    if not brain.any():
        return brain
    return largest_part(brain & (t1n <= FAT_TIMES_MEDIAN * np.median(t1n[brain])))  # less fragments cut off with it


def without_thin_parts(brain: np.ndarray, spacing_zyx, radius_mm: float = OPENING_RADIUS_MM) -> np.ndarray:
    """The brain less what a ball of `radius_mm` inside its main part cannot reach (a morphological
    opening in mm, keeping the largest part of the eroded brain): on thick slices deepbet's brain takes in
    the orbits, joined to it through thin parts, and the models read what is in them as tumour."""
    if not brain.any():
        return brain
    # In the brain's box with a voxel of background around it, the distances are those of the whole grid
    # (a head's field of view is several times larger: 4.8 s against 0.8 s at 1 mm).
    z0, z1, y0, y1, x0, x1 = brain_box(brain, margin=1)
    inside = brain[z0:z1, y0:y1, x0:x1]
    core = largest_part(ndimage.distance_transform_edt(inside, sampling=spacing_zyx) > radius_mm)
    if not core.any():  # thinner than the ball everywhere: nothing to tell the brain from its appendages
        return brain
    kept = np.zeros_like(brain)
    kept[z0:z1, y0:y1, x0:x1] = inside & (ndimage.distance_transform_edt(~core, sampling=spacing_zyx) <= radius_mm)
    return kept


def largest_part(mask: np.ndarray) -> np.ndarray:
    """The mask's largest 6-connected part (the mask itself when it has one part or none)."""
    components, count = ndimage.label(mask)
    if count <= 1:
        return mask
    return components == np.argmax(np.bincount(components.ravel())[1:]) + 1


def brain_of_head(images: dict, synthetic=frozenset(), opening_mm: float = OPENING_RADIUS_MM) -> tuple[np.ndarray, str]:
    """The brain of a head scan from its T1-weighted sequence ({sequence: image}, one grid), and a note."""
    acquired = [s for s in T1_WEIGHTED if s in images and s not in synthetic]
    if not acquired:
        raise GliomaAIError("The images are not skull-stripped (what differs from their background is larger than "
                            "any brain), and there is no acquired T1 or T1c to find the brain on.",
                            ("Give a brain mask (--brain-mask; in Slicer, load it with the case), or skull-stripped "
                             "images."))
    brain = extract_brain(images[acquired[0]])
    if "t1n" in acquired:
        brain = without_fat(brain, sitk.GetArrayViewFromImage(images["t1n"]))
    if not brain.any():
        raise GliomaAIError(f"No brain was found on the {acquired[0]} of these images.",
                            "Check that it is a brain MRI, or give a brain mask.")
    found_ml = brain.sum() * np.prod(images[acquired[0]].GetSpacing()) / 1000.0
    if found_ml > MAX_BRAIN_ML:  # it took in scalp: segmenting in it would mark scalp as tumour
        raise GliomaAIError(f"The brain found on the {acquired[0]} ({found_ml:.0f} mL) is larger than any brain: "
                            "finding it failed, as it can on thick slices or with a T1c alone.",
                            "Give a brain mask (--brain-mask; in Slicer, load it with the case), or "
                            "skull-stripped images.")
    brain = without_thin_parts(brain, images[acquired[0]].GetSpacing()[::-1], opening_mm)
    return brain, (f"The images are not skull-stripped: the brain was found on the {acquired[0]} by deepbet, less "
                   f"its parts thinner than {2 * opening_mm:.0f} mm (outlined in cyan on the picture and in Slicer's "
                   "views: check that it holds the whole tumour; a tumour at the brain's surface can be cut).")
