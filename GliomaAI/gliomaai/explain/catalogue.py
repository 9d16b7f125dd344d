"""The saliency methods by name, without torch: what the command line and the panels offer."""

from dataclasses import dataclass

from ..errors import GliomaAIError


@dataclass(frozen=True)
class Method:
    name: str
    family: str  # "activation", "gradient" or "perturbation"
    title: str
    uses_layer: bool = False


METHODS = {m.name: m for m in (
    Method("gradcam", "activation", "Grad-CAM", True),
    Method("gradcampp", "activation", "Grad-CAM++", True),
    Method("saliency", "gradient", "Saliency (gradient)"),
    Method("guided", "gradient", "Guided backpropagation"),
    Method("ig", "gradient", "Integrated gradients"),
    Method("smoothgrad", "gradient", "SmoothGrad"),
    Method("occlusion", "perturbation", "Occlusion"),
)}

# The method shown when none is chosen: on segmenter 2.0's held-out cases Grad-CAM++ beat a random order
# on both faithfulness curves in 8 of 8 explanations (four cases, WT and ET), Grad-CAM in 2 of 8
# (docs/explain/figures-unet.json).
DEFAULT_METHOD = "gradcampp"


def check_method(name: str) -> Method:
    if name not in METHODS:
        raise GliomaAIError(f"Unknown saliency method '{name}'.", f"Use one of: {', '.join(METHODS)}.")
    return METHODS[name]


# Grad-CAM's layer when none is named, per network class, chosen by measurement (scripts/gradcam_layers.py,
# docs/explain.md): the SegResNet's bottleneck (1/8 of the grid); on the UNet the decoder at 1/2, whose
# maps beat a random order on real cases and stay on the tumour of a phantom (the bottleneck's Grad-CAM++
# failed the first, the decoder at 1/4's the second). The DynUNet's (its bottleneck) is unmeasured.
DEFAULT_LAYERS = {"SegResNet": "down_layers.3", "UNet": "model.1.submodule.2", "DynUNet": "bottleneck"}


def default_layer(architecture: dict) -> str | None:
    """The layer Grad-CAM explains on a network of this architecture (model card entry) when none is named."""
    return DEFAULT_LAYERS.get(architecture.get("class"))
