"""BraTS 2023 lesion-wise Dice and HD95, following the challenge's published evaluation code.

Per region (WT, TC, ET):

1. Split reference and prediction into 26-connected components.
2. Dilate the reference (18-connected 3x3x3 cross, 3 iterations for gliomas); reference components
   whose dilations touch become one lesion.
3. A predicted component overlapping a lesion's dilation is matched to it; the lesion's Dice and
   HD95 are those of the lesion against the union of its matched components. A lesion without
   any match is a false negative: Dice 0, HD95 ``LESIONWISE_MAX_HD95``.
4. Lesions of at most ``min_lesion_volume_mm3`` (50 mm^3, i.e. 50 voxels at BraTS' 1 mm) are left
   out of the score. Predicted components matched to them are not false positives either.
5. Every predicted component matched to no lesion is a false positive: Dice 0, HD95 374.
   Predicted components are not size-filtered, as in the challenge code.

Score = mean over (kept lesions + false positives). With neither (both empty): Dice 1, HD95 0.
"""

import numpy as np
from scipy import ndimage

from .segmentation import check_canonical_pair, binary_pair, dice, hd95, spacing_zyx
from ..errors import GliomaAIError
from ..labels import region_masks

# The BraTS 2023 lesion-wise evaluation scores a missed or spurious lesion with HD95 374 mm.
LESIONWISE_MAX_HD95 = 374.0
MIN_LESION_VOLUME_MM3 = 50.0
DILATION_ITERATIONS = 3

_CONNECTIVITY_26 = np.ones((3, 3, 3), dtype=bool)
_DILATION_18 = ndimage.generate_binary_structure(3, 2)


def _union_box(boxes) -> tuple[slice, ...]:
    return tuple(slice(min(b[i].start for b in boxes), max(b[i].stop for b in boxes)) for i in range(3))


def binary_lesionwise(pred, ref, spacing, min_lesion_volume_mm3=MIN_LESION_VOLUME_MM3,
                      dilation_iterations=DILATION_ITERATIONS) -> dict:
    """Lesion-wise scores of one pair of boolean masks; see the module docstring."""
    pred, ref = binary_pair(pred, ref)
    if pred.ndim != 3:
        raise GliomaAIError(f"Lesion-wise metrics need 3D masks, not {pred.ndim}D.", "Pass (z, y, x) volumes.")
    voxel_mm3 = float(np.prod(spacing_zyx(spacing, 3)))
    pred_cc, n_pred = ndimage.label(pred, structure=_CONNECTIVITY_26)
    # Reference components whose dilations touch form one lesion: each dilated component is the
    # extent of one lesion, and the lesion is the reference voxels inside it.
    dilated = ndimage.binary_dilation(ref, _DILATION_18, dilation_iterations) if dilation_iterations else ref
    extents, _ = ndimage.label(dilated, structure=_CONNECTIVITY_26)
    lesions = np.where(ref, extents, 0)

    pred_boxes = ndimage.find_objects(pred_cc)
    matched_any = set()
    dices, hds, n_missed = [], [], 0
    for lesion_id, extent_box in enumerate(ndimage.find_objects(extents), start=1):
        matches = np.unique(pred_cc[extent_box][extents[extent_box] == lesion_id])
        matches = matches[matches != 0]
        matched_any.update(matches.tolist())
        if np.count_nonzero(lesions[extent_box] == lesion_id) * voxel_mm3 <= min_lesion_volume_mm3:
            continue  # too small to score, but its matches are not false positives
        if matches.size == 0:
            n_missed += 1
            dices.append(0.0)
            hds.append(LESIONWISE_MAX_HD95)
            continue
        # Work in the box holding the lesion and its matched components whole: scores are unchanged.
        box = _union_box([extent_box] + [pred_boxes[m - 1] for m in matches])
        lesion, matched = lesions[box] == lesion_id, np.isin(pred_cc[box], matches)
        dices.append(dice(matched, lesion))
        hds.append(hd95(matched, lesion, spacing))

    n_fp = n_pred - len(matched_any)
    count = len(dices) + n_fp
    return {
        "lesion_dice": float(sum(dices) / count) if count else 1.0,
        "lesion_hd95": float((sum(hds) + n_fp * LESIONWISE_MAX_HD95) / count) if count else 0.0,
        "n_ref_lesions": len(dices),
        "n_pred_lesions": int(n_pred),
        "n_false_positive": int(n_fp),
        "n_false_negative": n_missed,
    }


def lesionwise_metrics(pred_canonical, ref_canonical, spacing, regions=("WT", "TC", "ET"),
                       min_lesion_volume_mm3=MIN_LESION_VOLUME_MM3,
                       dilation_iterations=DILATION_ITERATIONS) -> dict:
    """Per region: lesion_dice, lesion_hd95, n_ref_lesions (scored lesions), n_pred_lesions,
    n_false_positive, n_false_negative.

    Label maps are canonical, numpy (z, y, x); spacing in mm, (x, y, z) as SimpleITK gives it.
    """
    pred, ref = check_canonical_pair(pred_canonical, ref_canonical, regions)
    pred_masks, ref_masks = region_masks(pred, regions), region_masks(ref, regions)
    return {r: binary_lesionwise(pred_masks[r], ref_masks[r], spacing, min_lesion_volume_mm3,
                                 dilation_iterations) for r in regions}
