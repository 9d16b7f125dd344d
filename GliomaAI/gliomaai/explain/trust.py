"""How far to trust a saliency map: the model randomisation test and deletion/insertion curves.

Randomisation (Adebayo et al. 2018): the same method on the same input with the model's weights
re-initialised. A map that explains what the model learned must change; the Spearman rank
correlation of the two maps inside the brain should be low. A map that stays (edges, intensity)
shows the image, not the model.

Faithfulness (Petsiuk et al. 2018): remove the voxels the map ranks highest first (every channel
set to 0, the value of a missing sequence) and watch the target's probability fall (deletion,
lower area is better), or start from an empty input and put them back first (insertion, higher
area is better). A random ordering of the same voxels is the reference.
"""

import copy

import numpy as np
import torch
from scipy.stats import spearmanr

STEPS = 20  # points on each curve after the first
BATCH = 4


def randomised(network, seed: int = 0):
    """A copy of `network` with every layer's parameters re-initialised (the original is untouched)."""
    copied = copy.deepcopy(network)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in copied.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return copied


def rank_correlation(first: np.ndarray, second: np.ndarray, brain: np.ndarray) -> float:
    """Spearman's rho between two maps over the brain's voxels (0 when either is constant there)."""
    a, b = first[brain].ravel(), second[brain].ravel()
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def ranking(values: np.ndarray, brain: np.ndarray, seed: int = 0) -> np.ndarray:
    """Flat indices of the brain's voxels, highest value first; ties in random order."""
    jitter = np.random.default_rng(seed).random(values.shape) * 1e-6 * max(float(np.abs(values).max()), 1e-12)
    where = np.flatnonzero(brain)
    return where[np.argsort(-(values.ravel()[where] + jitter.ravel()[where]), kind="stable")]


def curves(probability, x: torch.Tensor, order: np.ndarray, steps: int = STEPS, cancel=None) -> dict:
    """Deletion and insertion curves: the target's probability as the first k voxels of `order` go (or come)."""
    fractions = np.linspace(0, 1, steps + 1)
    counts = np.round(fractions * order.size).astype(int)
    spatial = x.shape[2:]
    out = {"fractions": fractions.round(4).tolist()}
    for kind in ("deletion", "insertion"):
        scores = []
        for first in range(0, len(counts), BATCH):
            if cancel is not None and cancel():
                from ..inference.engine import Cancelled
                raise Cancelled("faithfulness curves cancelled")
            batch = []
            for count in counts[first:first + BATCH]:
                chosen = torch.zeros(int(np.prod(spatial)), dtype=torch.bool)
                chosen[torch.from_numpy(order[:count])] = True
                chosen = chosen.reshape(spatial)
                batch.append(x[0].masked_fill(chosen, 0) if kind == "deletion" else x[0] * chosen)
            with torch.no_grad():
                scores += probability(torch.stack(batch)).tolist()
        out[kind] = [round(s, 5) for s in scores]
        out[f"{kind}_auc"] = round(float(np.trapezoid(scores, fractions)), 5)
    return out


def beats_random(figures: dict) -> bool:
    """Faithful: the map's order beats a random one on both curves (deletion lower, insertion higher)."""
    return (figures["deletion_auc"] < figures["random_deletion_auc"]
            and figures["insertion_auc"] > figures["random_insertion_auc"])


def verdict(figures: dict) -> str:
    """A line a user can act on: does the map pass both checks on this case?"""
    faithful = beats_random(figures)
    specific = figures.get("randomisation_spearman") is None or abs(figures["randomisation_spearman"]) < 0.5
    if faithful and specific:
        return "passes both checks"
    if faithful:
        return "faithful, but barely changes with random weights: it may show the image more than the model"
    if specific:
        return "depends on the model, but removing its top voxels hurts the prediction no more than random ones"
    return "fails both checks: do not rely on it for this case"
