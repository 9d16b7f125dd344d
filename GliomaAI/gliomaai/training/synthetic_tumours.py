"""Synthetic gliomas inserted into real brains: more labelled examples from the few real ones.

A tumour is drawn in the network's space (z-scored channels on the coarse grid): an irregular
necrotic or non-enhancing core, an enhancing rim (absent in a low-grade-like tumour), and edema
around them. Each compartment takes each sequence's typical contrast relative to the patient's
own brain (z-score units): enhancement bright on T1c only, edema bright on T2 and FLAIR, a dark
T1 core. Borders are soft, and the patient's texture shows through.
"""

import numpy as np
from scipy import ndimage

# Mean z-score per compartment, channels in SEQUENCES order (t1n, t1c, t2w, t2f).
CONTRAST = {
    "edema": (-0.6, -0.5, 1.5, 1.9),
    "enhancing": (-0.3, 2.6, 0.8, 1.2),
    "necrosis": (-1.5, -1.3, 2.3, 0.5),
    "nonenhancing": (-1.0, -0.8, 2.0, 1.6),
}


def _irregular_distance(shape, centre, radii, rng, roughness):
    grid = np.indices(shape, dtype=np.float32)
    distance = np.sqrt(sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii)))
    noise = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), 3.0)
    noise /= np.abs(noise).max() + 1e-6
    return distance * (1 + roughness * noise)


CORE_RADIUS = (1.5, 6.0)  # coarse voxels (2 mm): 3-12 mm


def insert_tumour(channels: np.ndarray, targets: np.ndarray, brain: np.ndarray, rng: np.random.Generator,
                  max_tries: int = 20, core_radius: tuple = CORE_RADIUS):
    """A copy of (channels, targets) with one synthetic tumour in healthy brain; unchanged if none fits.
    `core_radius`: the range (voxels) of the core's radius, drawn uniformly."""
    shape = brain.shape
    existing = ndimage.binary_dilation(targets[0] > 0, iterations=6)
    candidates = np.argwhere(ndimage.binary_erosion(brain, iterations=8) & ~existing)
    if len(candidates) == 0:
        return channels, targets
    for _ in range(max_tries):
        centre = candidates[rng.integers(len(candidates))]
        core = rng.uniform(*core_radius)
        rim = 0.0 if rng.random() < 0.25 else rng.uniform(1.0, 2.5)
        edema = rng.uniform(2.0, 9.0)
        outer = core + rim + edema
        radii = np.array([1.0, 1.0, 1.0]) * rng.uniform(0.8, 1.2, 3)
        box = [slice(max(0, int(c - outer * 1.6) - 2), min(n, int(c + outer * 1.6) + 3)) for c, n in zip(centre, shape)]
        local_centre = [c - b.start for c, b in zip(centre, box)]
        local_shape = tuple(b.stop - b.start for b in box)
        distance = _irregular_distance(local_shape, local_centre, radii, rng, rng.uniform(0.15, 0.35))
        local_brain = brain[tuple(box)]
        wt = (distance < outer) & local_brain
        if wt.sum() < 20 or (targets[0][tuple(box)] & wt).any():
            continue
        tc = (distance < core + rim) & local_brain
        et = (distance >= core) & tc if rim > 0 else np.zeros_like(tc)
        compartments = {"edema": wt & ~tc, "enhancing": et, "necrosis" if rim > 0 else "nonenhancing": tc & ~et}
        channels, targets = channels.copy(), targets.copy()
        local = channels[(slice(None), *box)]
        texture = ndimage.gaussian_filter(rng.standard_normal(local.shape[1:]).astype(np.float32), 1.0)
        for name, mask in compartments.items():
            if not mask.any():
                continue
            weight = np.clip(ndimage.gaussian_filter(mask.astype(np.float32), 0.8), 0, 1) * local_brain
            for index, value in enumerate(CONTRAST[name]):
                if not local[index].any():
                    continue  # a missing sequence stays missing
                target = value + rng.normal(0, 0.25) + 0.3 * texture + 0.3 * local[index]
                local[index] = (1 - weight) * local[index] + weight * target
        channels[(slice(None), *box)] = local
        for index, mask in enumerate((wt, tc, et)):
            targets[index][tuple(box)] |= mask.astype(np.uint8)
        return channels, targets
    return channels, targets
