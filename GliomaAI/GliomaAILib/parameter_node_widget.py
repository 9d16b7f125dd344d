"""The parameter-node life cycle of a module panel, written once for the three GliomaAI panels.

Slicer's scripted module template repeats it in every module: bind the panel to the module's
parameter node when the module is entered, unbind on exit and while the scene closes, and
refresh the panel whenever a parameter changes. No Qt here: the panel is reached through
`self.ui` and the parameter node's connectGui.
"""

import vtk

from slicer.util import VTKObservationMixin


class ParameterNodeWidgetMixin(VTKObservationMixin):
    """Mix into a module widget; call `startParameterNode(logic, scene)` at the end of setup().

    The widget defines `updatePanel()` (enable buttons and the like) and may override
    `initializeParameterNode()` to fill defaults from the scene.
    """

    def __init__(self) -> None:
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None

    def startParameterNode(self, logic, scene) -> None:
        self.logic = logic
        self.addObserver(scene, scene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(scene, scene.EndCloseEvent, self.onSceneEndClose)
        self.initializeParameterNode()

    def updatePanel(self) -> None:
        """Refresh what depends on the parameters (buttons enabled, labels); widgets override it."""

    def cleanup(self) -> None:
        self.removeObservers()

    def enter(self) -> None:
        self.initializeParameterNode()

    def exit(self) -> None:
        self.setParameterNode(None)

    def onSceneStartClose(self, caller, event) -> None:
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())

    def setParameterNode(self, parameterNode) -> None:
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._onParameterModified)
        self._parameterNode = parameterNode
        if self._parameterNode:
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._onParameterModified)
            self.updatePanel()

    def _onParameterModified(self, caller=None, event=None) -> None:
        self.updatePanel()
