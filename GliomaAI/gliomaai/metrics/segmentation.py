"""Overlap, distance and volume metrics of binary segmentations, and per-region summaries.

Arrays are numpy in (z, y, x) order, as ``sitk.GetArrayFromImage`` returns them; spacing is in
mm in (x, y, z) order, as ``image.GetSpacing()`` returns it. It is reversed here to match the
array axes, so callers pass what SimpleITK gives them.

Empty masks follow the BraTS convention:

* both empty: dice 1, jaccard 1, hd95 0, sensitivity 1, precision 1 (nothing to find, nothing
  wrongly found);
* one empty: dice 0, jaccard 0, hd95 ``BRATS_MAX_HD95``, and sensitivity or precision (whichever
  is 0/0) is 0;
* specificity is 1 (and fpr 0) when the reference has no background voxel at all.
"""

import numpy as np
from scipy import ndimage

from ..errors import GliomaAIError
from ..labels import REGIONS, region_masks

# BraTS scores a missing or spurious region with the diagonal of its 240 x 240 x 155 mm
# (1 mm isotropic) image: sqrt(240^2 + 240^2 + 155^2) = 373.13 mm, the largest distance possible.
BRATS_MAX_HD95 = 373.13

METRIC_KEYS = ("dice", "jaccard", "hd95", "sensitivity", "specificity", "precision", "fpr", "fnr",
               "volume_pred_ml", "volume_ref_ml", "volume_difference_ml")


def spacing_zyx(spacing, ndim: int) -> np.ndarray:
    """Spacing given in SimpleITK (x, y, z) order, reversed to the numpy (z, y, x) axes."""
    values = np.asarray(spacing if spacing is not None else (1.0,) * ndim, dtype=float).ravel()
    if values.size != ndim or not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise GliomaAIError(f"Voxel spacing {tuple(values)} does not fit a {ndim}D array.",
                            f"Pass {ndim} positive values in mm, in (x, y, z) order as image.GetSpacing() gives.")
    return values[::-1].copy()


def binary_pair(pred, ref) -> tuple[np.ndarray, np.ndarray]:
    """Both masks as boolean arrays of one shape."""
    pred, ref = np.asarray(pred).astype(bool, copy=False), np.asarray(ref).astype(bool, copy=False)
    if pred.shape != ref.shape:
        raise GliomaAIError(f"Prediction shape {pred.shape} differs from reference shape {ref.shape}.",
                            "Resample the prediction onto the reference image grid first.")
    return pred, ref


def _confusion(pred, ref) -> tuple[int, int, int, int]:
    pred, ref = binary_pair(pred, ref)
    tp = int(np.count_nonzero(pred & ref))
    fp = int(np.count_nonzero(pred)) - tp
    fn = int(np.count_nonzero(ref)) - tp
    return tp, fp, fn, pred.size - tp - fp - fn


def _ratio(num: int, den: int, when_undefined: float) -> float:
    return float(num / den) if den else float(when_undefined)


def _from_counts(tp, fp, fn, tn) -> dict[str, float]:
    # 0/0 means both masks are empty (score 1) for a ratio of positives, unless only one is.
    both_empty = 1.0 if tp + fp + fn == 0 else 0.0
    sens = _ratio(tp, tp + fn, both_empty)
    spec = _ratio(tn, tn + fp, 1.0)
    return {
        "dice": _ratio(2 * tp, 2 * tp + fp + fn, 1.0),
        "jaccard": _ratio(tp, tp + fp + fn, 1.0),
        "sensitivity": sens,
        "specificity": spec,
        "precision": _ratio(tp, tp + fp, both_empty),
        "fpr": 1.0 - spec,
        "fnr": 1.0 - sens,
    }


def dice(pred, ref) -> float:
    """Dice 2|P∩R| / (|P|+|R|); 1 when both are empty."""
    return _from_counts(*_confusion(pred, ref))["dice"]


def jaccard(pred, ref) -> float:
    """Jaccard |P∩R| / |P∪R|; 1 when both are empty."""
    return _from_counts(*_confusion(pred, ref))["jaccard"]


def sensitivity(pred, ref) -> float:
    """TP / (TP+FN); 1 when both are empty, 0 when only the reference is empty."""
    return _from_counts(*_confusion(pred, ref))["sensitivity"]


def specificity(pred, ref) -> float:
    """TN / (TN+FP); 1 when the reference has no background."""
    return _from_counts(*_confusion(pred, ref))["specificity"]


def precision(pred, ref) -> float:
    """TP / (TP+FP); 1 when both are empty, 0 when only the prediction is empty."""
    return _from_counts(*_confusion(pred, ref))["precision"]


def fpr(pred, ref) -> float:
    """False-positive rate, 1 - specificity."""
    return _from_counts(*_confusion(pred, ref))["fpr"]


def fnr(pred, ref) -> float:
    """False-negative rate, 1 - sensitivity."""
    return _from_counts(*_confusion(pred, ref))["fnr"]


def volume_ml(mask, spacing) -> float:
    """Volume of a mask in mL (cm^3); spacing in mm, (x, y, z) order."""
    mask = np.asarray(mask).astype(bool, copy=False)
    return float(np.count_nonzero(mask) * np.prod(spacing_zyx(spacing, mask.ndim)) / 1000.0)


def volume_difference_ml(pred, ref, spacing) -> float:
    """Signed volume difference, prediction minus reference, in mL (positive: over-segmentation)."""
    pred, ref = binary_pair(pred, ref)
    return volume_ml(pred, spacing) - volume_ml(ref, spacing)


def _surface(mask: np.ndarray) -> np.ndarray:
    # Surface voxels: in the mask with a face-neighbour outside it (the image border counts as
    # outside). This is the edge MONAI's get_mask_edges finds, so distances agree with MONAI.
    return mask & ~ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(mask.ndim, 1),
                                          border_value=0)


def surface_distances(pred, ref, spacing) -> tuple[np.ndarray, np.ndarray]:
    """Distances in mm from each prediction surface voxel to the reference surface, and back.

    Both masks must be non-empty.
    """
    pred, ref = binary_pair(pred, ref)
    sampling = spacing_zyx(spacing, pred.ndim)
    # Crop to the bounding box of both masks (plus one voxel): every surface voxel lies inside it,
    # so the exact Euclidean distances are unchanged and the transforms run on a small array.
    box = ndimage.find_objects((pred | ref).astype(np.uint8))[0]
    box = tuple(slice(max(s.start - 1, 0), s.stop + 1) for s in box)
    pred_surf, ref_surf = _surface(pred[box]), _surface(ref[box])
    to_ref = ndimage.distance_transform_edt(~ref_surf, sampling=sampling)[pred_surf]
    to_pred = ndimage.distance_transform_edt(~pred_surf, sampling=sampling)[ref_surf]
    return to_ref, to_pred


def hd95(pred, ref, spacing) -> float:
    """Symmetric 95th-percentile Hausdorff distance in mm between the mask surfaces.

    The larger of the two directed 95th percentiles (as MONAI and the BraTS evaluation take it).
    Both empty: 0; one empty: ``BRATS_MAX_HD95``.
    """
    pred, ref = binary_pair(pred, ref)
    has_pred, has_ref = pred.any(), ref.any()
    if not has_pred and not has_ref:
        return 0.0
    if not has_pred or not has_ref:
        return BRATS_MAX_HD95
    to_ref, to_pred = surface_distances(pred, ref, spacing)
    return float(max(np.percentile(to_ref, 95), np.percentile(to_pred, 95)))


def binary_metrics(pred, ref, spacing) -> dict[str, float]:
    """Every metric of ``METRIC_KEYS`` for one pair of boolean masks."""
    pred, ref = binary_pair(pred, ref)
    result = _from_counts(*_confusion(pred, ref))
    result["hd95"] = hd95(pred, ref, spacing)
    result["volume_pred_ml"] = volume_ml(pred, spacing)
    result["volume_ref_ml"] = volume_ml(ref, spacing)
    result["volume_difference_ml"] = result["volume_pred_ml"] - result["volume_ref_ml"]
    return {key: float(result[key]) for key in METRIC_KEYS}


def check_canonical_pair(pred_canonical, ref_canonical, regions) -> tuple[np.ndarray, np.ndarray]:
    """Canonical label maps of one shape, and region names that exist."""
    pred, ref = np.asarray(pred_canonical), np.asarray(ref_canonical)
    if pred.shape != ref.shape:
        raise GliomaAIError(f"Prediction shape {pred.shape} differs from reference shape {ref.shape}.",
                            "Resample the prediction onto the reference image grid first.")
    for name, array in (("prediction", pred), ("reference", ref)):
        if array.size and (array.min() < 0 or array.max() > 3):
            raise GliomaAIError(f"The {name} holds values outside the canonical labels 0..3.",
                                "Convert it with gliomaai.labels.to_canonical() first.")
    unknown = [r for r in regions if r not in REGIONS]
    if unknown:
        raise GliomaAIError(f"Unknown evaluation regions {unknown}.", f"Use some of {list(REGIONS)}.")
    return pred, ref


def segmentation_metrics(pred_canonical, ref_canonical, spacing, regions=("WT", "TC", "ET")) -> dict:
    """Per region, every metric of ``METRIC_KEYS`` as plain floats (JSON-serialisable).

    Label maps are canonical (0 bg, 1 NETC, 2 SNFH, 3 ET), numpy (z, y, x); spacing in mm, (x, y, z).
    """
    pred, ref = check_canonical_pair(pred_canonical, ref_canonical, regions)
    pred_masks, ref_masks = region_masks(pred, regions), region_masks(ref, regions)
    return {r: binary_metrics(pred_masks[r], ref_masks[r], spacing) for r in regions}
