"""The saliency methods: MONAI's visualize module and Captum where they serve, the rest written here.

Each method takes a score model (targets.py: one number per input), the input x (1, c, z, y, x)
and returns a spatial map (z, y, x), higher where the voxel drove the score up, and the share of
the attribution that fell on each input channel (None where a method has no channels).
"""

import copy

import numpy as np
import torch

from ..errors import GliomaAIError
from .catalogue import METHODS, check_method
from .occlusion import occlusion_map, occlusion_passes
from .targets import Watched

SMOOTHGRAD_SAMPLES = 10
IG_STEPS = 16


def check_layer(network, layer: str) -> str:
    """`layer` names a module of `network`, or an error listing some that do."""
    names = [n for n, _ in network.named_modules() if n]
    if layer not in names:
        blocks = [n for n in names if n.count(".") <= 1][:20]
        raise GliomaAIError(f"The model has no layer '{layer}'.", f"Choose one of: {', '.join(blocks)}, ...")
    return layer


def expected_passes(method: str, brain=None) -> int:
    """Forward passes a method makes (for the progress bar)."""
    if method == "smoothgrad":
        return SMOOTHGRAD_SAMPLES
    if method == "ig":
        return IG_STEPS
    if method == "occlusion":
        return occlusion_passes(brain)
    return 1


def attribute(method: str, score, x: torch.Tensor, layer: str | None = None, brain: np.ndarray | None = None,
              progress=None, cancel=None):
    """(map (z, y, x) float32 >= 0, channel shares or None) of `method` for the score model `score`."""
    check_method(method)
    watched = Watched(score, expected_passes(method, brain), progress, cancel, f"{METHODS[method].title}")
    x = x.detach().clone()
    with no_inplace(score):
        return _attribute(method, watched, score, x, layer, brain)


def _attribute(method, watched, score, x, layer, brain):
    if method in ("gradcam", "gradcampp"):
        if layer is None:
            raise GliomaAIError(f"{METHODS[method].title} needs a layer.", "Name one of the model's layers.")
        return _cam(method, watched, x, f"score.network.{check_layer(score.network, layer)}"), None
    if method == "occlusion":
        with torch.no_grad():
            return occlusion_map(watched, x, brain), None
    gradient = _gradients(method, watched, x)
    if method == "ig":  # signed, summing to score(x) - score(0): evidence for the score is the positive part
        return np.clip(gradient.sum(axis=0), 0, None), channel_shares(gradient, signed=True)
    return np.abs(gradient).max(axis=0), channel_shares(gradient)


def _cam(method, watched, x, layer_name):
    from monai.visualize import GradCAM, GradCAMpp

    watched = copy.deepcopy(watched)  # MONAI leaves its hooks on the layer: they go with the copy
    # MONAI's default post-processing scales each map to 1..0, inverted (high activation shows as 0);
    # unit_map scales the raw map instead.
    cam = (GradCAM if method == "gradcam" else GradCAMpp)(nn_module=watched, target_layers=layer_name,
                                                            postprocessing=lambda values: values)
    return cam(x, class_idx=0)[0, 0].detach().cpu().numpy().astype(np.float32)


def _gradients(method, watched, x) -> np.ndarray:
    from monai.visualize import SmoothGrad, VanillaGrad

    if method == "saliency":
        gradient = VanillaGrad(watched)(x, index=0)
    elif method == "guided":
        with guided_relus(watched):
            gradient = VanillaGrad(watched)(x, index=0)
    elif method == "smoothgrad":
        gradient = SmoothGrad(watched, n_samples=SMOOTHGRAD_SAMPLES, verbose=False)(x, index=0)
    else:
        from captum.attr import IntegratedGradients

        gradient = IntegratedGradients(watched).attribute(x, baselines=torch.zeros_like(x), target=0,
                                                          n_steps=IG_STEPS, internal_batch_size=1)
    return gradient[0].detach().cpu().numpy().astype(np.float32)


class no_inplace:  # noqa: N801 - a context manager, used like a function
    """Every in-place activation of the model computes out of place meanwhile: hooks on a layer's
    output (Grad-CAM's, guided backpropagation's) refuse outputs that a later layer overwrites."""

    def __init__(self, model):
        self.model = model
        self.modules = [m for m in model.modules() if getattr(m, "inplace", False) is True]

    def __enter__(self):
        for module in self.modules:
            module.inplace = False
        return self

    def __exit__(self, *exc):
        for module in self.modules:
            module.inplace = True


RECTIFIERS = (torch.nn.ReLU, torch.nn.PReLU, torch.nn.LeakyReLU)  # MONAI's UNet uses PReLU


class guided_relus(no_inplace):  # noqa: N801
    """Guided backpropagation: every rectifier of the model (ReLU, or its leaky and parametric
    forms) passes back only positive gradients.

    MONAI's GuidedBackpropGrad swaps modules whose *name* contains "relu", and MONAI's own
    networks name theirs "act", so it silently computes the plain gradient there. Backward hooks
    on every rectifier, whatever its name, miss none.
    """

    def __enter__(self):
        super().__enter__()
        relus = [m for m in self.model.modules() if isinstance(m, RECTIFIERS)]
        self.handles = [m.register_full_backward_hook(lambda _m, grad_in, _out: (grad_in[0].clamp(min=0),))
                        for m in relus]
        return self

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()
        super().__exit__(*exc)


def channel_shares(attribution: np.ndarray, signed: bool = False) -> list:
    """Each input channel's share of the total attribution (absolute values, or signed sums)."""
    per_channel = attribution.reshape(len(attribution), -1)
    totals = per_channel.sum(axis=1) if signed else np.abs(per_channel).sum(axis=1)
    scale = np.abs(totals).sum()
    return [float(t / scale) if scale > 0 else 0.0 for t in totals]


def unit_map(values: np.ndarray, brain: np.ndarray | None = None, percentile: float = 99.9) -> np.ndarray:
    """The map scaled to 0..1: 1 at its `percentile` inside the brain (a few hot voxels do not flatten the rest)."""
    values = np.nan_to_num(np.clip(values, 0, None).astype(np.float32))
    inside = values[brain] if brain is not None and brain.any() else values.ravel()
    top = float(np.percentile(inside, percentile)) if inside.size else 0.0
    if top <= 0:
        top = float(values.max())
    return np.clip(values / top, 0, 1).astype(np.float32) if top > 0 else np.zeros_like(values)
