"""Saliency for a case and a GliomaAI segmenter: prepare once, then explain with each method.

The model's view of the case is the segmenter's own input (4 z-scored channels on its coarse
grid, cropped to the brain), padded and given to the network in one piece, so every method sees
all of the brain at once. The target is a region the model predicts there (WT, TC, ET, from that
same forward pass) or, with a region of interest, that region's channel over the drawn voxels.
Maps go back to the case's grid, scaled 0..1.
"""

import copy
import time
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk
import torch

from ..errors import GliomaAIError
from ..imageio import image_from_array
from ..segmentation.preprocess import REGIONS, _image, _resample, model_input, to_case_grid
from ..segmentation.segmenter import require_sequences
from ..sequences import SEQUENCES
from .catalogue import METHODS, check_method, default_layer
from .methods import attribute, unit_map
from .sequence_importance import sequence_importance
from .targets import RegionScore
from .trust import curves, randomised, rank_correlation, ranking, verdict

PAD_MULTIPLE = 16  # the network halves the grid up to four times


@dataclass
class Explanation:
    method: str
    target: str
    saliency: sitk.Image  # 0..1 on the case's grid
    layer: str | None
    seconds: float
    channel_shares: dict | None = None  # sequence -> share of the attribution (gradient methods)
    trust: dict | None = None  # randomisation and faithfulness figures
    note: str = ""  # what the reader must know of this map (an empty one says so)

    def summary(self) -> dict:
        return {"method": self.method, "title": METHODS[self.method].title, "family": METHODS[self.method].family,
                "target": self.target, "layer": self.layer, "seconds": self.seconds,
                "channel_shares": self.channel_shares, "trust": self.trust, "note": self.note}


def empty_map_note(method: str, target: str, layer: str | None) -> str:
    """Why a method's map can be empty, and what to try: a blank overlay must not read as 'nothing matters'."""
    title = METHODS[method].title
    if layer:  # Grad-CAM keeps only what raises the score: the layer's weighted activations can all lower it
        other = "Grad-CAM++" if method == "gradcam" else "a gradient method"
        return (f"{title}'s map is empty: at layer {layer} nothing raises the model's {target} score by this method "
                f"(the layer's gradient-weighted activations are negative everywhere). Try {other} or another layer.")
    return f"{title}'s map is empty: no input voxel raises the model's {target} score by this method. Try another method."


def _padded(channels: np.ndarray) -> torch.Tensor:
    pad = [(-n) % PAD_MULTIPLE for n in channels.shape[1:]]
    array = np.pad(channels, [(0, 0)] + [(0, p) for p in pad])
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))[None]


class CaseExplainer:
    """One case, one model, one target: what every method shares (input, target, random reference)."""

    def __init__(self, case, target: str = "WT", model="default", engine=None, roi: sitk.Image | None = None):
        from ..inference.engine import default_engine
        from ..models.registry import load_segmenter

        if target not in REGIONS:
            raise GliomaAIError(f"Unknown target '{target}'.", f"Use one of {', '.join(REGIONS)} (with --roi to "
                                                                "explain that region's score over a drawn region).")
        self.segmenter = model if hasattr(model, "probabilities") else load_segmenter(model)  # a name or a path
        if not hasattr(self.segmenter, "card"):
            raise GliomaAIError(f"Saliency needs a GliomaAI segmenter; '{self.segmenter.name}' is not one.",
                                "Use the default model or one trained with `gliomaai train`.")
        require_sequences(self.segmenter, case)
        self.case, self.target, self.engine, self.roi = case, target, engine or default_engine(), roi is not None
        self.input = model_input(case, self.segmenter.card.input.get("spacing_mm", 2.0))
        network = self.segmenter.network(self.engine)
        # A copy: hooks and swapped activations never reach the model that segments.
        self.network = copy.deepcopy(network).eval()
        self.device = next(self.network.parameters()).device
        self.x = _padded(self.input.channels).to(self.device)
        self.shape = self.input.channels.shape[1:]
        self.brain = np.zeros(self.x.shape[2:], dtype=bool)
        self.brain[tuple(slice(0, n) for n in self.shape)] = np.any(self.input.channels != 0, axis=0)
        self.channel = REGIONS.index(target)
        with torch.no_grad():
            self.probabilities = torch.sigmoid(self.network(self.x))[0].cpu().numpy()
        self.mask = self._target_mask(roi)
        self._random_curves = None

    def _target_mask(self, roi) -> np.ndarray:
        if roi is None:
            mask = (self.probabilities[self.channel] > 0.5) & self.brain
            if not mask.any():
                raise GliomaAIError(f"The model finds no {self.target} in case '{self.case.name}', so there is "
                                    "nothing to explain.", "Choose another target (WT is the largest region), "
                                    "or draw a region of interest.")
            return mask
        if roi.GetSize() != self.case.reference.GetSize() or not np.allclose(roi.GetSpacing(), self.case.reference.GetSpacing()):
            roi = sitk.Resample(roi, self.case.reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0)
        drawn = sitk.GetArrayViewFromImage(roi) > 0
        if not drawn.any():
            raise GliomaAIError("The region of interest is empty, or lies outside the case's images.",
                                "Draw the region over the case's images (on the same volume).")
        coarse = _resample(_image(drawn.astype(np.float32), self.case.reference), self.input.grid) > 0.25
        z0, z1, y0, y1, x0, x1 = self.input.box
        mask = np.zeros(self.brain.shape, dtype=bool)
        mask[:z1 - z0, :y1 - y0, :x1 - x0] = coarse[z0:z1, y0:y1, x0:x1]
        mask &= self.brain
        if not mask.any():
            raise GliomaAIError("The region of interest lies outside the brain the model looks at.",
                                "Draw the region inside the brain.")
        return mask

    def score(self, network=None) -> RegionScore:
        return RegionScore(network or self.network, self.channel, self.mask).to(self.device)

    def explain(self, method: str, layer: str | None = None, trust: bool = True, progress=None,
                cancel=None) -> Explanation:
        """The saliency map of `method` on the case's grid, with its trust figures unless trust=False."""
        check_method(method)
        layer = (layer or default_layer(self.segmenter.card.architecture)) if METHODS[method].uses_layer else None
        started = time.perf_counter()
        parts = 3 if trust else 1

        def stage(index):
            return (lambda f, m: progress((index + f) / parts, m)) if progress else None

        values, shares = attribute(method, self.score(), self.x, layer, self.brain, stage(0), cancel)
        values = values * self.brain
        figures = None
        if trust:
            random_values, _ = attribute(method, self.score(randomised(self.network)), self.x, layer, self.brain,
                                         stage(1), cancel)
            figures = {"randomisation_spearman": round(rank_correlation(values, random_values, self.brain), 4)}
            mine = curves(self.score().probability, self.x, ranking(values, self.brain), cancel=cancel)
            if progress:
                progress(2.5 / parts, "faithfulness curves")
            reference = self.random_curves(cancel)
            figures.update({"deletion_auc": mine["deletion_auc"], "insertion_auc": mine["insertion_auc"],
                            "random_deletion_auc": reference["deletion_auc"],
                            "random_insertion_auc": reference["insertion_auc"],
                            "curves": {"fractions": mine["fractions"], "deletion": mine["deletion"],
                                       "insertion": mine["insertion"], "random_deletion": reference["deletion"],
                                       "random_insertion": reference["insertion"]}})
            figures["verdict"] = verdict(figures)
        coarse = values[tuple(slice(0, n) for n in self.shape)]
        scaled = unit_map(coarse, self.brain[tuple(slice(0, n) for n in self.shape)])
        saliency = np.clip(to_case_grid(scaled[None], self.input, self.case.reference)[0], 0, 1)
        channel_shares = dict(zip(SEQUENCES, shares)) if shares is not None else None
        note = "" if scaled.max() > 0 else empty_map_note(method, self.target, layer)
        return Explanation(method, self.target, image_from_array(saliency.astype(np.float32), self.case.reference),
                           layer, round(time.perf_counter() - started, 2), channel_shares, figures, note)

    def random_curves(self, cancel=None) -> dict:
        """Deletion and insertion in a random order: the reference each method must beat (made once)."""
        if self._random_curves is None:
            order = ranking(np.zeros(self.brain.shape, dtype=np.float32), self.brain, seed=1)
            self._random_curves = curves(self.score().probability, self.x, order, cancel=cancel)
        return self._random_curves

    def sequence_importance(self) -> dict:
        """Per present sequence and region: how much the prediction changes without it."""
        return sequence_importance(self.network, self.x, self.case.present, REGIONS, self.probabilities)

    def target_on_case_grid(self) -> sitk.Image:
        """The target voxels (the predicted region or the drawn one) on the case's grid, as a mask."""
        coarse = self.mask[tuple(slice(0, n) for n in self.shape)].astype(np.float32)
        return image_from_array((to_case_grid(coarse[None], self.input, self.case.reference)[0] > 0.5).astype(np.uint8),
                                self.case.reference)
