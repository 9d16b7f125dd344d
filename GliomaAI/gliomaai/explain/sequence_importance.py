"""How much each sequence drives each region: remove one sequence (its channel set to 0, as for a
missing one, which the model was trained to meet) and measure the change of the prediction."""

import numpy as np
import torch

from ..labels import REGIONS
from ..metrics.segmentation import dice
from ..sequences import SEQUENCES


def sequence_importance(network, x: torch.Tensor, present, regions=tuple(REGIONS), probabilities=None) -> dict:
    """{sequence: {region: {"dice": overlap of the prediction without it and with it, "importance": 1 - dice,
    "probability_drop": mean probability lost over the region}}} for each present sequence.

    `probabilities`: the model's output on x, where the caller has it already (c, z, y, x)."""
    with torch.no_grad():
        batch = []
        for sequence in present:
            removed = x[0].clone()
            removed[SEQUENCES.index(sequence)] = 0
            batch.append(removed)
        without = torch.sigmoid(network(torch.stack(batch))).cpu().numpy()
        if probabilities is None:
            probabilities = torch.sigmoid(network(x))[0].cpu().numpy()
    probabilities = np.concatenate([probabilities[None], without])
    full = probabilities[0] > 0.5
    out = {}
    for index, sequence in enumerate(present, start=1):
        out[sequence] = {}
        for channel, region in enumerate(regions):
            if not full[channel].any():
                out[sequence][region] = None  # the model finds no such region: nothing to change
                continue
            overlap = float(dice(probabilities[index][channel] > 0.5, full[channel]))
            drop = float(probabilities[0][channel][full[channel]].mean() - probabilities[index][channel][full[channel]].mean())
            out[sequence][region] = {"dice": round(overlap, 4), "importance": round(1 - overlap, 4),
                                     "probability_drop": round(drop, 4)}
    return out
