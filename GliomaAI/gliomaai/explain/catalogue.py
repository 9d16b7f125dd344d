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


def check_method(name: str) -> Method:
    if name not in METHODS:
        raise GliomaAIError(f"Unknown saliency method '{name}'.", f"Use one of: {', '.join(METHODS)}.")
    return METHODS[name]
