"""GliomaAIExplain: saliency maps of the GliomaAI models shown over the case.

Thin module: the widget binds the panel to a parameter node and calls the logic; the logic
hands slicer.mrmlScene to GliomaAIExplainLib (Qt-free, tested with pytest).
"""

from typing import Annotated


import slicer
from slicer import vtkMRMLScalarVolumeNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)

from GliomaAILib.parameter_node_widget import ParameterNodeWidgetMixin
from GliomaAIExplainLib import overlay


class GliomaAIExplain(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("GliomaAI Explain")
        self.parent.categories = ["GliomaAI"]
        self.parent.dependencies = ["GliomaAI"]
        self.parent.contributors = ["GliomaAI developers"]
        self.parent.helpText = _(
            "Show a saliency map (which voxels drove a model's output, scaled 0 to 1) over a case volume in the slice "
            "views, in heat colours: values under the threshold are transparent, the rest blended with the chosen "
            "opacity. A saliency map explains a model; it does not show tumour. Research software, not a medical "
            "device.")
        self.parent.acknowledgementText = _("Built on 3D Slicer's slice views, MONAI and PyTorch.")


@parameterNodeWrapper
class GliomaAIExplainParameterNode:
    backgroundVolume: vtkMRMLScalarVolumeNode
    saliencyMap: vtkMRMLScalarVolumeNode
    threshold: Annotated[float, WithinRange(0.0, 1.0)] = 0.5
    opacity: Annotated[float, WithinRange(0.0, 1.0)] = 0.6


class GliomaAIExplainWidget(ScriptedLoadableModuleWidget, ParameterNodeWidgetMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        ParameterNodeWidgetMixin.__init__(self)

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/GliomaAIExplain.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.showOverlayButton.connect("clicked(bool)", self.onShowOverlay)
        self.ui.hideOverlayButton.connect("clicked(bool)", self.onHideOverlay)
        self.startParameterNode(GliomaAIExplainLogic(), slicer.mrmlScene)

    def updatePanel(self) -> None:
        p = self._parameterNode
        self.ui.showOverlayButton.enabled = bool(p and p.backgroundVolume and p.saliencyMap)

    def onShowOverlay(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to show the saliency map."), waitCursor=True):
            self.logic.showOverlay(p.backgroundVolume, p.saliencyMap, p.threshold, p.opacity)

    def onHideOverlay(self) -> None:
        self.logic.hideOverlay()


class GliomaAIExplainLogic(ScriptedLoadableModuleLogic):
    """Adapter from the module to GliomaAIExplainLib: the scene is slicer.mrmlScene, the views all slice views."""

    def getParameterNode(self):
        return GliomaAIExplainParameterNode(super().getParameterNode())

    def showOverlay(self, backgroundVolume, saliencyMap, threshold, opacity):
        return overlay.show_overlay(slicer.mrmlScene, backgroundVolume, saliencyMap, threshold, opacity)

    def hideOverlay(self):
        overlay.hide_overlay(slicer.mrmlScene)


class GliomaAIExplainTest(ScriptedLoadableModuleTest):
    """Reload and Test: every check of GliomaAIExplainLib.checks (the ones pytest runs), in the Red slice view."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        from GliomaAIExplainLib import checks

        layoutManager = slicer.app.layoutManager()
        if layoutManager is None:
            self.skipTest("no slice views without the main window")
        layoutManager.setLayout(slicer.vtkMRMLLayoutNode.SlicerLayoutFourUpView)
        checks.run_all(slicer.mrmlScene, layoutManager.sliceWidget("Red").sliceLogic(), log=self.delayDisplay)
        self.delayDisplay("GliomaAIExplain checks passed")
