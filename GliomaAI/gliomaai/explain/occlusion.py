"""Occlusion sensitivity, coarse to fine and batched, with the model seen as a black box.

Blocks of the input (every channel) are set to 0, which after z-scoring means "no information"
(what the model sees for a missing sequence), and the fall of the score is the block's
importance. A first pass covers the brain with coarse blocks; a second splits the most
important of them into finer ones. MONAI's OcclusionSensitivity slides one block size over the
whole image: at the fine size that is several times more passes.
"""

import numpy as np
import torch

COARSE, FINE = 16, 8  # block edges in voxels of the model's grid
REFINED_SHARE = 0.15  # of the coarse blocks, the most important, split into fine ones
BATCH = 4


def _blocks(brain: np.ndarray, size: int, within=None) -> list:
    """Corners of the blocks of edge `size` tiling the volume (or the blocks `within`) that hold brain."""
    corners = []
    regions = within if within is not None else [((0, 0, 0), brain.shape)]
    for start, stop in regions:
        for z in range(start[0], stop[0], size):
            for y in range(start[1], stop[1], size):
                for x in range(start[2], stop[2], size):
                    if brain[z:min(z + size, stop[0]), y:min(y + size, stop[1]), x:min(x + size, stop[2])].any():
                        corners.append(((z, y, x), (min(z + size, stop[0]), min(y + size, stop[1]),
                                                    min(x + size, stop[2]))))
    return corners


def occlusion_passes(brain: np.ndarray | None) -> int:
    """How many forward passes occlusion_map makes on this brain (for the progress bar)."""
    if brain is None:
        return 1
    coarse = _blocks(brain, COARSE)
    refined = int(np.ceil(REFINED_SHARE * len(coarse)))
    return 1 + -(-len(coarse) // BATCH) + -(-refined * (COARSE // FINE) ** 3 // BATCH)


def _drops(score, x: torch.Tensor, blocks: list, base: float) -> list:
    drops = []
    for first in range(0, len(blocks), BATCH):
        chunk = blocks[first:first + BATCH]
        batch = x.repeat(len(chunk), 1, 1, 1, 1)
        for index, ((z0, y0, x0), (z1, y1, x1)) in enumerate(chunk):
            batch[index, :, z0:z1, y0:y1, x0:x1] = 0
        drops += (base - score(batch)[:, 0]).tolist()
    return drops


def occlusion_map(score, x: torch.Tensor, brain: np.ndarray | None) -> np.ndarray:
    """(z, y, x) map: how much the score falls when the block around each voxel is blanked (0 if it rises)."""
    brain = np.ones(x.shape[2:], dtype=bool) if brain is None else brain
    base = float(score(x)[0, 0])
    heat = np.zeros(x.shape[2:], dtype=np.float32)
    coarse = _blocks(brain, COARSE)
    drops = _drops(score, x, coarse, base)
    for ((z0, y0, x0), (z1, y1, x1)), drop in zip(coarse, drops):
        heat[z0:z1, y0:y1, x0:x1] = drop
    keep = int(np.ceil(REFINED_SHARE * len(coarse)))
    refined = [i for i in np.argsort(drops)[::-1][:keep] if drops[i] > 0]
    fine = [(parent, block) for parent in refined for block in _blocks(brain, FINE, within=[coarse[parent]])]
    fine_drops = np.array(_drops(score, x, [block for _, block in fine], base))
    for parent in refined:
        # The coarse block's drop, shared out by the fine ones: the most important keeps it all, so
        # refined and unrefined blocks stay on one scale (a fine block alone removes less).
        mine = [i for i, (p, _) in enumerate(fine) if p == parent]
        top = fine_drops[mine].max()
        for i in mine:
            (z0, y0, x0), (z1, y1, x1) = fine[i][1]
            heat[z0:z1, y0:y1, x0:x1] = drops[parent] * max(fine_drops[i], 0) / top if top > 0 else drops[parent]
    return np.clip(heat, 0, None) * brain
