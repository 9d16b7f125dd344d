"""A saliency map as the foreground layer of the slice views, over the case's volume."""

import math

import numpy as np
from slicer.util import arrayFromVolume

from gliomaai.errors import GliomaAIError

from .heat import heat_color_node

OVERLAY_ATTRIBUTE = "GliomaAI.Overlay"


def _composite_nodes(scene, slice_logics) -> list:
    if slice_logics is not None:
        return [logic.GetSliceCompositeNode() for logic in slice_logics]
    count = scene.GetNumberOfNodesByClass("vtkMRMLSliceCompositeNode")
    return [scene.GetNthNodeByClass(i, "vtkMRMLSliceCompositeNode") for i in range(count)]


def style_overlay(scene, overlay_node, threshold: float, window=None, interpolate: bool = True):
    """Heat colours over [threshold, map maximum] (or `window`); values below `threshold` transparent."""
    if overlay_node is None or overlay_node.GetImageData() is None:
        raise GliomaAIError("No saliency map to show.", "Choose a volume that holds the map.")
    if not math.isfinite(threshold):
        raise GliomaAIError(f"Threshold {threshold} is not a number.", "Give a finite threshold.")
    values = arrayFromVolume(overlay_node)
    top = float(np.nanmax(values)) if values.size else threshold
    low, high = window if window is not None else (threshold, max(top, threshold))
    if not high > low:
        high = low + max(abs(low) * 1e-6, 1e-6)  # a flat map: one colour, not a division by zero
    if overlay_node.GetDisplayNode() is None:
        overlay_node.CreateDefaultDisplayNodes()
    display = overlay_node.GetDisplayNode()
    with_modify = display.StartModify()
    display.SetAndObserveColorNodeID(heat_color_node(scene).GetID())
    display.SetAutoWindowLevel(False)
    display.SetWindowLevelMinMax(low, high)
    display.SetAutoThreshold(False)
    display.SetLowerThreshold(threshold)
    display.SetUpperThreshold(max(top, threshold))
    display.SetApplyThreshold(True)
    display.SetInterpolate(interpolate)
    display.EndModify(with_modify)
    overlay_node.SetAttribute(OVERLAY_ATTRIBUTE, "1")
    return display


def show_overlay(scene, background_node, overlay_node, threshold: float, opacity: float, slice_logics=None,
                 window=None, interpolate: bool = True):
    """Show `overlay_node` in heat colours over `background_node`, in the given slice views or in all.

    Voxels under `threshold` are transparent, so the background shows there unchanged; above
    it the map is blended with `opacity` (0..1). Returns the map's display node.
    """
    if not 0.0 <= opacity <= 1.0:
        raise GliomaAIError(f"Opacity {opacity} is outside 0..1.", "Give an opacity between 0 and 1.")
    if background_node is None or background_node.GetImageData() is None:
        raise GliomaAIError("No background volume to show the map on.", "Choose one of the case's volumes.")
    display = style_overlay(scene, overlay_node, threshold, window, interpolate)
    if background_node.GetDisplayNode() is None:
        background_node.CreateDefaultDisplayNodes()
    composites = _composite_nodes(scene, slice_logics)
    if not composites:
        raise GliomaAIError("There is no slice view to show the map in.", "Open a layout with slice views.")
    for composite in composites:
        with_modify = composite.StartModify()
        composite.SetBackgroundVolumeID(background_node.GetID())
        composite.SetForegroundVolumeID(overlay_node.GetID())
        composite.SetForegroundOpacity(opacity)
        composite.EndModify(with_modify)
    return display


def hide_overlay(scene, slice_logics=None) -> None:
    """Take the foreground layer out of the slice views (the map node stays in the scene)."""
    for composite in _composite_nodes(scene, slice_logics):
        composite.SetForegroundVolumeID(None)
