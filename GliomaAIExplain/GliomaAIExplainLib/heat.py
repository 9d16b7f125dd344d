"""GliomaAI's heat colours (gliomaai.explain.heat) as a colour table node of the scene.

Slicer's file-based colour tables (Inferno, Viridis, ...) are absent outside the desktop app,
so the project defines its own, the same colours as its pictures.
"""

import slicer

from gliomaai.explain.heat import heat_color

HEAT_NAME = "GliomaAI Heat"
HEAT_SINGLETON_TAG = "GliomaAI.Heat"
HEAT_COLORS = 256


def heat_color_node(scene):
    """The heat colour table node of the scene, made once and then reused."""
    node = scene.GetSingletonNode(HEAT_SINGLETON_TAG, "vtkMRMLColorTableNode")
    if node is not None:
        return node
    node = slicer.vtkMRMLColorTableNode()
    node.SetName(HEAT_NAME)
    node.SetSingletonTag(HEAT_SINGLETON_TAG)
    node.SetTypeToUser()
    node.SetNumberOfColors(HEAT_COLORS)
    for index in range(HEAT_COLORS):
        node.SetColor(index, f"heat {index}", *heat_color(index / (HEAT_COLORS - 1)), 1.0)
    node.SetAttribute("Category", "GliomaAI")
    return scene.AddNode(node)
