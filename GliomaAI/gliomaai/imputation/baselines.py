"""The literature's baselines for missing-sequence imputation, run on the same cases as the network.

- Mean substitution: the missing sequence is the mean brain intensity it has in the training
  cases (on the 0..1 scale every sequence is put on), constant over the brain.
- Voxel-wise k-nearest-neighbour regression: each brain voxel's features are the available
  sequences' intensities and their local mean (5^3 voxels); its value is the mean target
  intensity of the k training voxels nearest in that feature space.

Both work on the cropped 0..1 arrays of `imputation_input` / the training cache.
"""

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ..sequences import SEQUENCES


def mean_substitution(training_cases, target: str, brain: np.ndarray) -> np.ndarray:
    index = SEQUENCES.index(target)
    value = float(np.mean([case.channels[index][case.brain].mean() for case in training_cases]))
    return np.where(brain, value, 0.0).astype(np.float32)


def voxel_features(channels: np.ndarray, available) -> np.ndarray:
    """(features, z, y, x): intensity and 5^3 local mean of each available sequence."""
    features = []
    for index in np.flatnonzero(np.asarray(available)):
        features += [channels[index], ndimage.uniform_filter(channels[index], size=5)]
    return np.stack(features)


class KnnRegression:
    """k-nearest-neighbour regression of one target sequence from the available ones, voxel by voxel."""

    def __init__(self, k: int = 10, samples_per_case: int = 5000, seed: int = 0, eps: float = 1.0):
        # eps: neighbours within (1 + eps) of the nearest distances. On a BraTS case, eps 0.5 and 2
        # changed the MAE of T1c by under 0.5 % and made the 1.6 million queries 2 and 3 times faster.
        self.k, self.samples_per_case, self.seed, self.eps = k, samples_per_case, seed, eps

    def fit(self, training_cases, available, target: str) -> "KnnRegression":
        rng = np.random.default_rng(self.seed)
        self.available, index = np.asarray(available), SEQUENCES.index(target)
        inputs, outputs = [], []
        for case in training_cases:
            features = voxel_features(case.channels, self.available)[:, case.brain].T
            pick = rng.choice(len(features), min(self.samples_per_case, len(features)), replace=False)
            inputs.append(features[pick])
            outputs.append(case.channels[index][case.brain][pick])
        self.tree, self.values = cKDTree(np.concatenate(inputs)), np.concatenate(outputs)
        return self

    def predict(self, channels: np.ndarray, brain: np.ndarray) -> np.ndarray:
        features = voxel_features(channels, self.available)[:, brain].T
        _, neighbours = self.tree.query(features, k=self.k, eps=self.eps, workers=-1)
        out = np.zeros(brain.shape, dtype=np.float32)
        out[brain] = self.values[neighbours].mean(axis=1)
        return out
