"""GliomaAI's heat colour table: dark red for low attribution, through red and orange, to yellow.

Slicer's file-based colour tables (Inferno, Viridis, ...) are absent outside the desktop app,
so the project defines its own. It ends in a saturated yellow rather than white, so that the
strongest attribution stays visible over bright tissue.
"""

import slicer

HEAT_NAME = "GliomaAI Heat"
HEAT_SINGLETON_TAG = "GliomaAI.Heat"
HEAT_COLORS = 256


def heat_color(t: float) -> tuple:
    """The heat colour (r, g, b in 0..1) at t in 0..1."""
    t = min(1.0, max(0.0, float(t)))
    if t < 1 / 3:
        return (0.5 + 1.5 * t, 0.0, 0.0)
    return (1.0, 1.5 * (t - 1 / 3), 0.0)


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
