"""The panel/parameter-node life cycle shared by the three module widgets, on a real scene's events.

The parameter node wrapper (connectGui) exists only in desktop Slicer: a small stand-in records
binding, over a real vtkMRMLScriptedModuleNode whose ModifiedEvent drives the panel refresh.
"""

from types import SimpleNamespace

from GliomaAILib.parameter_node_widget import ParameterNodeWidgetMixin


class _WrappedNode:
    def __init__(self, node):
        self.node = node
        self.bound = 0

    def connectGui(self, ui):
        self.bound += 1
        return "tag"

    def disconnectGui(self, tag):
        self.bound -= 1

    # VTKObservationMixin observes the wrapper as the real wrapper forwards to its MRML node.
    def AddObserver(self, *args):
        return self.node.AddObserver(*args)

    def RemoveObserver(self, *args):
        return self.node.RemoveObserver(*args)


class _Panel(ParameterNodeWidgetMixin):
    def __init__(self, scene):
        ParameterNodeWidgetMixin.__init__(self)
        self.ui = object()
        self.parent = SimpleNamespace(isEntered=True)
        self.refreshed = 0
        node = _WrappedNode(scene.AddNewNodeByClass("vtkMRMLScriptedModuleNode"))
        self.startParameterNode(SimpleNamespace(getParameterNode=lambda: node), scene)

    def updatePanel(self):
        self.refreshed += 1


def test_the_panel_is_bound_refreshed_on_change_and_unbound_while_the_scene_closes(scene):
    panel = _Panel(scene)
    node = panel._parameterNode
    assert node.bound == 1 and panel.refreshed == 1
    node.node.SetParameter("threshold", "0.7")
    assert panel.refreshed == 2
    scene.InvokeEvent(scene.StartCloseEvent)
    assert node.bound == 0 and panel._parameterNode is None
    scene.InvokeEvent(scene.EndCloseEvent)
    assert panel._parameterNode is node and node.bound == 1
    panel.exit()
    assert node.bound == 0
    panel.cleanup()
