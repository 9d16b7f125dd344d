"""Showing a model run in the views: its uncertainty as a heat overlay over the case volume."""

from gliomaai.errors import GliomaAIError

from .segmentation_run import model_nodes

UNCERTAINTY_THRESHOLD = 0.2  # below it the overlay is transparent: the model was fairly sure there
UNCERTAINTY_OPACITY = 0.5


def show_uncertainty(scene, segmentation_node, background_node=None, threshold: float = UNCERTAINTY_THRESHOLD,
                     opacity: float = UNCERTAINTY_OPACITY, slice_logics=None):
    """The run's uncertainty in heat colours over `background_node` (default: the volume it was made on).

    Uses GliomaAIExplain's overlay (the same look as saliency maps), imported on use: that module
    is installed with this extension.
    """
    from GliomaAIExplainLib.overlay import show_overlay

    nodes = model_nodes(segmentation_node)
    if nodes.uncertainty is None:
        raise GliomaAIError(f"{segmentation_node.GetName()}: its uncertainty volume is gone.",
                            "Re-run the segmentation to get it back.")
    background = background_node or nodes.reference
    return show_overlay(scene, background, nodes.uncertainty, threshold, opacity, slice_logics=slice_logics,
                        window=(threshold, 1.0))


def hide_uncertainty(scene, slice_logics=None) -> None:
    from GliomaAIExplainLib.overlay import hide_overlay

    hide_overlay(scene, slice_logics)
