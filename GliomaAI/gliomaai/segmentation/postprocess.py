"""From the network's region probabilities to labels a surgeon can use: nested, without specks."""

import numpy as np
from scipy import ndimage

from ..labels import compose_regions


def remove_small_components(mask: np.ndarray, min_voxels: int) -> np.ndarray:
    """The mask without connected components (26-connected) smaller than `min_voxels`."""
    if min_voxels <= 1 or not mask.any():
        return mask
    components, count = ndimage.label(mask, structure=np.ones((3, 3, 3)))
    sizes = np.bincount(components.ravel(), minlength=count + 1)
    keep = sizes >= min_voxels
    keep[0] = False
    return keep[components]


def probabilities_to_labels(probabilities: np.ndarray, voxel_ml: float, threshold: float = 0.5,
                            min_component_ml: float = 0.1) -> np.ndarray:
    """Canonical labels from (WT, TC, ET) probabilities: thresholded, nested, specks under 0.1 mL removed."""
    wt, tc, et = (probabilities[i] > threshold for i in range(3))
    min_voxels = int(round(min_component_ml / voxel_ml))
    wt = remove_small_components(wt, min_voxels)
    return compose_regions(wt, tc, et)


def entropy_uncertainty(probabilities: np.ndarray) -> np.ndarray:
    """Binary entropy (bits, 0..1) of each region's probability, the largest of the three per voxel."""
    out = np.zeros(probabilities.shape[1:], dtype=np.float32)
    # Far from the tumour every probability is ~0: only where one is not is the logarithm worth taking.
    where = probabilities.max(axis=0) > 1e-4
    p = np.clip(probabilities[:, where], 1e-6, 1 - 1e-6)
    out[where] = (-(p * np.log2(p) + (1 - p) * np.log2(1 - p))).max(axis=0)
    return out


def disagreement_uncertainty(samples: np.ndarray) -> np.ndarray:
    """Spread of the test-time-augmentation predictions: 2 x the standard deviation (0..1), largest region."""
    return np.clip(2 * samples.std(axis=0), 0, 1).max(axis=0).astype(np.float32)
