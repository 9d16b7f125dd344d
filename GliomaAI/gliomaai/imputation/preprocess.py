"""From a case to the imputation network's input: each sequence in 0..1 on the case's own grid, cropped to the brain.

The network works slice by slice (axial) at the case's resolution, seeing `CONTEXT` slices on
either side of each sequence and one flag per sequence that says whether it is present, since a
zeroed channel alone cannot tell "missing" from "dark". Training and inference both call
`network_input`, so what the network sees is the same in both.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import GliomaAIError
from ..normalize import unit_range
from ..segmentation.preprocess import brain_box
from ..sequences import SEQUENCES

CONTEXT = 1  # slices on each side: a 2.5D input of 3 slices


@dataclass
class ImputationInput:
    channels: np.ndarray  # (4, z, y, x) float32 in 0..1, zero where missing, cropped to the brain
    present: tuple  # sequences present
    brain: np.ndarray  # (z, y, x) bool, cropped
    box: tuple  # (z0, z1, y0, y1, x0, x1) of the crop in the case's grid
    shape: tuple  # the case's full (z, y, x)


def imputation_input(case, margin: int = 2) -> ImputationInput:
    """The case's present sequences in 0..1 inside the brain, cropped to the brain's box."""
    if not case.present:
        raise GliomaAIError(f"Case '{case.name}' has no sequence.", "Load at least one of T1, T1c, T2, FLAIR.")
    case.check_grid()
    brain = case.brain_mask_array()
    z0, z1, y0, y1, x0, x1 = box = brain_box(brain, margin)
    crop = (slice(z0, z1), slice(y0, y1), slice(x0, x1))
    channels = np.zeros((len(SEQUENCES), z1 - z0, y1 - y0, x1 - x0), dtype=np.float32)
    for index, sequence in enumerate(SEQUENCES):
        if sequence in case.images:
            channels[index] = unit_range(case.array(sequence)[crop], brain[crop])
    return ImputationInput(channels, case.present, brain[crop], box, brain.shape)


def network_input(channels: np.ndarray, available) -> np.ndarray:
    """(4, z, y, x) sequences and 4 presence flags -> (4 * (2 CONTEXT + 1) + 4, z, y, x) float32.

    Channel groups: each sequence's slices z - CONTEXT .. z + CONTEXT (edge slices repeated),
    zero for a missing sequence; then one constant plane per sequence, 1 when present.
    """
    available = np.asarray(available, dtype=bool)
    depth = channels.shape[1]
    stacked = []
    for index in range(len(SEQUENCES)):
        for offset in range(-CONTEXT, CONTEXT + 1):
            if available[index]:
                order = np.clip(np.arange(depth) + offset, 0, depth - 1)
                stacked.append(channels[index][order])
            else:
                stacked.append(np.zeros_like(channels[index]))
    flags = [np.full(channels.shape[1:], float(a), dtype=np.float32) for a in available]
    return np.ascontiguousarray(np.stack(stacked + flags), dtype=np.float32)


def input_channels() -> int:
    return len(SEQUENCES) * (2 * CONTEXT + 1) + len(SEQUENCES)


def to_case_grid(cropped: np.ndarray, model: ImputationInput) -> np.ndarray:
    """One (z, y, x) cropped array back into the case's full grid (zero outside the crop and the brain)."""
    z0, z1, y0, y1, x0, x1 = model.box
    full = np.zeros(model.shape, dtype=np.float32)
    full[z0:z1, y0:y1, x0:x1] = cropped * model.brain
    return full
