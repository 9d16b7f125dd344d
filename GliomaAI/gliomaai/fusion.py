"""Label fusion of several segmentations of one case: majority vote and STAPLE (SimpleITK).

Fusion is done region by region (WT, TC, ET), as BraTS fused its annotators, so nesting holds
by construction and a voxel split between two sub-labels still counts as tumour.
"""

import numpy as np
import SimpleITK as sitk

from .errors import GliomaAIError
from .labels import compose_regions, region_masks

METHODS = ("vote", "staple")


def _fuse_binary(masks: list, method: str, threshold: float) -> np.ndarray:
    images = [sitk.GetImageFromArray(m.astype(np.uint8)) for m in masks]
    if method == "vote":
        # Ties (an even number of raters split in half) are left out of the region.
        fused = sitk.LabelVoting(images, 0)
        return sitk.GetArrayFromImage(fused) == 1
    if not any(m.any() for m in masks):
        return np.zeros(masks[0].shape, dtype=bool)
    probability = sitk.STAPLE(images, 1.0)
    return sitk.GetArrayFromImage(probability) > threshold


def fuse(segmentations: list, method: str = "vote", threshold: float = 0.5) -> np.ndarray:
    """Fuse canonical label arrays of one case into one canonical label array."""
    if method not in METHODS:
        raise GliomaAIError(f"Unknown fusion method '{method}'.", f"Use one of: {', '.join(METHODS)}.")
    if len(segmentations) < 2:
        raise GliomaAIError("Fusion needs at least two segmentations.", "Give two or more label maps.")
    shapes = {np.shape(s) for s in segmentations}
    if len(shapes) != 1:
        raise GliomaAIError(f"The segmentations have different shapes {sorted(shapes)}.",
                            "Give segmentations of one case, on one grid.")
    per_region = [region_masks(s) for s in segmentations]
    fused = {r: _fuse_binary([p[r] for p in per_region], method, threshold) for r in ("WT", "TC", "ET")}
    return compose_regions(fused["WT"], fused["TC"], fused["ET"])
