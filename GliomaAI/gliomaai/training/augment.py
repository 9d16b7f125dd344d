"""Training samples: a patch, biased to the tumour, with the usual augmentation and missing sequences."""

import numpy as np

from ..sequences import SEQUENCES
from .synthetic_tumours import CORE_RADIUS, insert_tumour

T1C, T2F = SEQUENCES.index("t1c"), SEQUENCES.index("t2f")


def drop_sequences(channels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hide sequences as a clinic would lack them: half the samples keep all four; FLAIR + T1c is common."""
    roll = rng.random()
    if roll < 0.5:
        return channels
    if roll < 0.65:
        keep = {T1C, T2F}
    else:
        keep = {i for i in range(len(channels)) if rng.random() < 0.6} or {int(rng.integers(len(channels)))}
    out = channels.copy()
    for index in range(len(channels)):
        if index not in keep:
            out[index] = 0
    return out


def crop_patch(arrays, centre, size):
    """Same window of each (c, z, y, x) array, zero-padded where it leaves the volume."""
    shape = arrays[0].shape[1:]
    starts = [int(np.clip(c - s // 2, 0, max(0, n - s))) for c, s, n in zip(centre, size, shape)]
    out = []
    for array in arrays:
        patch = np.zeros((array.shape[0], *size), dtype=array.dtype)
        window = array[(slice(None), *[slice(s, s + p) for s, p in zip(starts, size)])]
        patch[(slice(None), *[slice(0, w) for w in window.shape[1:]])] = window
        out.append(patch)
    return out


def training_sample(case, rng: np.random.Generator, patch=(64, 64, 64), synthetic_tumours: bool = True,
                    tumour_fraction: float = 0.67, core_radius: tuple = CORE_RADIUS):
    """One (input, target) pair of float32 arrays from a TrainingCase; `core_radius`: the synthetic
    tumours' (insert_tumour)."""
    channels, targets = case.channels, case.targets
    if synthetic_tumours and rng.random() < 0.5:
        channels, targets = insert_tumour(channels, targets, case.brain, rng, core_radius=core_radius)
    tumour = np.argwhere(targets[0] > 0)
    if len(tumour) and rng.random() < tumour_fraction:
        centre = tumour[rng.integers(len(tumour))]
    else:
        brain = np.argwhere(case.brain)
        centre = brain[rng.integers(len(brain))]
    x, y = crop_patch([channels, targets], centre, patch)
    for axis in (1, 2, 3):
        if rng.random() < 0.5:
            x, y = np.flip(x, axis), np.flip(y, axis)
    x = x * rng.uniform(0.9, 1.1, (len(x), 1, 1, 1)) + rng.uniform(-0.1, 0.1, (len(x), 1, 1, 1)) * (x != 0)
    x = drop_sequences(x, rng)
    return np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.float32)
