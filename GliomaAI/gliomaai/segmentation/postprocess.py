"""From the network's region probabilities to labels a surgeon can use: nested, without specks."""

import numpy as np
from scipy import ndimage

from ..labels import compose_regions
from .preprocess import brain_box


def connected_parts(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """The mask's 26-connected parts numbered 1..count, and count."""
    return ndimage.label(mask, structure=np.ones((3, 3, 3)))


def remove_small_components(mask: np.ndarray, min_voxels: int, seeds: np.ndarray | None = None) -> np.ndarray:
    """The mask without connected components (26-connected) smaller than `min_voxels` and, when `seeds` is
    given, without those that hold no seed voxel."""
    if (min_voxels <= 1 and seeds is None) or not mask.any():
        return mask
    components, count = connected_parts(mask)
    keep = np.bincount(components.ravel(), minlength=count + 1) >= min_voxels
    if seeds is not None:
        keep &= np.bincount(components[seeds & mask], minlength=count + 1) > 0
    keep[0] = False
    return keep[components]


def enclosed(mask: np.ndarray, gap_voxels: int = 2) -> np.ndarray:
    """The mask and what it encloses in any slice along any axis, once gaps of up to `gap_voxels` are
    bridged (a ring of enhancement is rarely closed)."""
    if not mask.any():
        return mask
    z0, z1, y0, y1, x0, x1 = brain_box(mask, margin=gap_voxels + 1)  # the closing needs room around it
    part = ndimage.binary_closing(mask[z0:z1, y0:y1, x0:x1], structure=np.ones((3, 3, 3)), iterations=gap_voxels)
    filled = part.copy()
    for axis in range(3):
        slices = np.moveaxis(part, axis, 0)
        filled |= np.moveaxis(np.stack([ndimage.binary_fill_holes(s) for s in slices]), 0, axis)
    out = mask.copy()
    out[z0:z1, y0:y1, x0:x1] |= filled
    return out


def core_and_enhancing(tc: np.ndarray, enhancing: np.ndarray, wt: np.ndarray | None = None) -> tuple:
    """The tumour core grown by what its enhancing voxels enclose (inside `wt` when given: necrosis
    inside an enhancing rim is core, by definition), and ET: the core's enhancing voxels."""
    grown = enclosed(tc & enhancing)
    tc = tc | (grown if wt is None else grown & wt)
    return tc, tc & enhancing


def probabilities_to_labels(probabilities: np.ndarray, voxel_ml: float, thresholds=(0.5, 0.5, 0.5),
                            min_component_ml: float = 0.1, enhancing: np.ndarray | None = None,
                            whole_tumour_seed: float | None = None) -> np.ndarray:
    """Canonical labels from (WT, TC, ET) probabilities: thresholded (one threshold per region),
    nested, specks under 0.1 mL removed.

    `whole_tumour_seed`: when given, a part of the whole tumour is kept only where it holds a part that this
    threshold would draw (hysteresis): a WT threshold below it widens the tumour's border without drawing
    the faint islands that only the lower one draws.

    `enhancing` (voxels bright on the acquired T1c): when given, ET is the tumour core's enhancing
    voxels, as enhancing tumour is defined, instead of the ET channel thresholded. The coarse
    network draws the thin enhancing rim thick; the T1c at full resolution draws it as it is. What
    that rim encloses is tumour core (see core_and_enhancing)."""
    wt, tc, et = (probabilities[i] > thresholds[i] for i in range(3))
    if enhancing is not None:
        tc, et = core_and_enhancing(tc, enhancing, wt)
    min_voxels = int(round(min_component_ml / voxel_ml))
    # A seed is a part the seed threshold alone would draw: a speck passing it seeds nothing.
    seeds = remove_small_components(probabilities[0] > whole_tumour_seed, min_voxels) \
        if whole_tumour_seed is not None else None
    wt = remove_small_components(wt, min_voxels, seeds)
    return compose_regions(wt, tc, et)


def entropy_uncertainty(probabilities: np.ndarray) -> np.ndarray:
    """Binary entropy (bits, 0..1) of each region's probability, the largest of the three per voxel,
    in steps of 1/1024 (finer steps are noise, and make the file several times larger)."""
    # Entropy grows as p nears 0.5, so the largest of the three is the entropy of the probability
    # nearest 0.5: one logarithm pair per voxel instead of three.
    p = np.float32(0.5) - np.abs(probabilities - np.float32(0.5)).min(axis=0)
    tiny = np.float32(1e-30)  # p = 0 (outside the brain) gives 0 * log(tiny) = 0 bits
    bits = -(p * np.log2(np.maximum(p, tiny)) + (1 - p) * np.log2(np.maximum(1 - p, tiny)))
    return (np.round(bits * 1024) / 1024).astype(np.float32, copy=False)


def disagreement_uncertainty(samples: np.ndarray) -> np.ndarray:
    """Spread of the test-time-augmentation predictions: 2 x the standard deviation (0..1), largest region."""
    return np.clip(2 * samples.std(axis=0), 0, 1).max(axis=0).astype(np.float32)
