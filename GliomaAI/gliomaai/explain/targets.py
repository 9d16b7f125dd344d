"""What an explanation explains: one number per input that the model computes.

A segmentation model gives a map per region; its explanation needs a single score. RegionScore
takes the mean logit of one output channel over a set of voxels (the region the model predicted,
or a region of interest a user drew). ClassScore takes one class's logit of a classifier. Both
return (batch, 1), the shape MONAI's and Captum's explainers expect, and both can give the
bounded version (a probability) that the faithfulness curves plot.
"""

import copy

import numpy as np
import torch

from ..errors import GliomaAIError
from ..inference.engine import Cancelled


class RegionScore(torch.nn.Module):
    """Mean logit of output channel `channel` over `mask` (a (z, y, x) boolean array on the input grid)."""

    def __init__(self, network, channel: int, mask: np.ndarray):
        super().__init__()
        if not mask.any():
            raise GliomaAIError("The target region is empty.", "Choose a region the model found, or draw one.")
        self.network, self.channel = network, channel
        self.register_buffer("mask", torch.from_numpy(mask.astype(np.float32)))
        self.eval()  # explainers put back the mode they find: it must be eval (no dropout), for the network too

    def forward(self, x):
        logits = self.network(x)[:, self.channel]
        return ((logits * self.mask).sum(dim=(1, 2, 3)) / self.mask.sum())[:, None]

    def probability(self, x):
        """Mean probability over the region (0..1): what the deletion and insertion curves show."""
        probabilities = torch.sigmoid(self.network(x)[:, self.channel])
        return (probabilities * self.mask).sum(dim=(1, 2, 3)) / self.mask.sum()


class ClassScore(torch.nn.Module):
    """The logit of class `index` of a classifier with (batch, classes) outputs."""

    def __init__(self, network, index: int):
        super().__init__()
        self.network, self.index = network, index
        self.eval()

    def forward(self, x):
        return self.network(x)[:, self.index: self.index + 1]

    def probability(self, x):
        return torch.softmax(self.network(x), dim=1)[:, self.index]


class Watched(torch.nn.Module):
    """A score model that reports progress at each forward pass and stops there when cancelled."""

    def __init__(self, score, expected_calls: int, progress=None, cancel=None, message: str = "explaining"):
        super().__init__()
        self.score = score
        self.expected, self.calls = max(1, expected_calls), 0
        self.progress, self.cancel, self.message = progress, cancel, message
        self.eval()  # MONAI's explainers restore the wrapper's mode after each pass: eval, never train

    def forward(self, x):
        if self.cancel is not None and self.cancel():
            raise Cancelled(f"{self.message} cancelled")
        out = self.score(x)
        self.calls += 1
        if self.progress is not None:
            self.progress(min(1.0, self.calls / self.expected), self.message)
        return out

    def __deepcopy__(self, memo):
        """A copy of the score model that reports to the same progress and cancel: the callbacks
        belong to the caller (a background job, with its lock) and are shared, never copied."""
        copied = Watched(copy.deepcopy(self.score, memo), self.expected, self.progress, self.cancel, self.message)
        copied.calls = self.calls
        return copied

    def probability(self, x):
        return self.score.probability(x)
