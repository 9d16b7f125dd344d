"""Brain masks and intensity normalisation inside the brain."""

import numpy as np
from scipy import ndimage


def background_value(array: np.ndarray) -> float:
    """The value that fills the volume's border: 0 for skull-stripped scans, but not always.

    Scans z-scored over the brain by their publisher (BraTS 2013, for one) have a constant
    negative background; taking the commonest border value finds either.
    """
    border = np.concatenate([array[[0, -1]].ravel(), array[:, [0, -1]].ravel(), array[:, :, [0, -1]].ravel()])
    values, counts = np.unique(border, return_counts=True)
    return float(values[np.argmax(counts)])


def foreground_mask(arrays, fill_holes: bool = True) -> np.ndarray:
    """Voxels that differ from the background in any of the given co-registered arrays."""
    mask = None
    for array in arrays:
        this = array != background_value(array)
        mask = this if mask is None else mask | this
    if fill_holes:
        # Dark necrosis inside a skull-stripped brain can equal the background value.
        mask = ndimage.binary_fill_holes(mask)
    return mask


def zscore(array: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance over `mask`; zero outside it. float32."""
    values = array[mask].astype(np.float64)
    mean, std = (values.mean(), values.std()) if values.size else (0.0, 1.0)
    out = np.zeros(array.shape, dtype=np.float32)
    out[mask] = ((array[mask] - mean) / (std if std > 0 else 1.0)).astype(np.float32)
    return out


def unit_range(array: np.ndarray, mask: np.ndarray, percentiles=(0.5, 99.5)) -> np.ndarray:
    """The mask's 0.5..99.5 percentile range mapped to 0..1 (clipped); zero outside the mask. float32.

    Images, unlike z-scores, keep a dark background and a bounded range, which a network that
    outputs images (imputation) needs; the synthesis metrics use the same percentiles.
    """
    out = np.zeros(array.shape, dtype=np.float32)
    if not mask.any():
        return out
    low, high = np.percentile(array[mask], percentiles)
    scale = (high - low) if high > low else 1.0
    out[mask] = np.clip((array[mask] - low) / scale, 0.0, 1.0)
    return out
