"""GliomaAI: glioma MRI cases in 3D Slicer.

Thin module: the widget binds the panel to a parameter node and calls the logic; the logic
hands slicer.mrmlScene to GliomaAILib, where all the work is done (Qt-free, tested with pytest).
"""

import tempfile
from pathlib import Path


import slicer
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)

from GliomaAILib import case_nodes, dependencies, storage
from GliomaAILib.parameter_node_widget import ParameterNodeWidgetMixin


class GliomaAI(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("GliomaAI")
        self.parent.categories = ["GliomaAI"]
        self.parent.dependencies = []
        self.parent.contributors = ["GliomaAI developers"]
        self.parent.helpText = _(
            "Load a glioma MRI case (T1, T1 post-contrast, T2, FLAIR, in any common naming) into the scene with its "
            "exact geometry, with its tumour labels as a segmentation (NETC, SNFH, ET), and save segmentations. "
            "Synthesized sequences are named and marked 'synthetic': they are never for clinical reading. "
            "GliomaAISegment and GliomaAIExplain build on this module. Research software, not a medical device.")
        self.parent.acknowledgementText = _(
            "Built on 3D Slicer, SimpleITK, MONAI and PyTorch. Label conventions follow the BraTS challenges.")


@parameterNodeWrapper
class GliomaAIParameterNode:
    caseFolder: Path
    referenceVolume: vtkMRMLScalarVolumeNode
    segmentation: vtkMRMLSegmentationNode
    segmentationFile: Path


class GliomaAIWidget(ScriptedLoadableModuleWidget, ParameterNodeWidgetMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        ParameterNodeWidgetMixin.__init__(self)

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/GliomaAI.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.loadCaseButton.connect("clicked(bool)", self.onLoadCase)
        self.ui.saveSegmentationButton.connect("clicked(bool)", self.onSaveSegmentation)
        self.ui.installButton.connect("clicked(bool)", self.onInstall)
        self.startParameterNode(GliomaAILogic(), slicer.mrmlScene)

    def updatePanel(self) -> None:
        p = self._parameterNode
        self.ui.loadCaseButton.enabled = bool(p and p.caseFolder and str(p.caseFolder) != ".")
        self.ui.saveSegmentationButton.enabled = bool(p and p.segmentation and p.segmentationFile
                                                      and str(p.segmentationFile) != ".")

    def onLoadCase(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Failed to load the case."), waitCursor=True):
            nodes = self.logic.loadCase(self._parameterNode.caseFolder)
            self._parameterNode.referenceVolume = nodes.reference
            if nodes.segmentation:
                self._parameterNode.segmentation = nodes.segmentation
            slicer.util.setSliceViewerLayers(background=nodes.reference, fit=True)

    def onSaveSegmentation(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Failed to save the segmentation."), waitCursor=True):
            self.logic.saveSegmentation(self._parameterNode.segmentation, self._parameterNode.segmentationFile)

    def onInstall(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Failed to install the Python packages."), waitCursor=True):
            installed = self.logic.ensureDependencies()
            slicer.util.infoDisplay(_("Installed: {packages}.").format(packages=", ".join(installed))
                                    if installed else _("All Python packages GliomaAI needs are installed."))


class GliomaAILogic(ScriptedLoadableModuleLogic, dependencies.DependenciesLogicMixin):
    """Adapter from the module to GliomaAILib: the scene is slicer.mrmlScene, the rest is passed on."""

    def __init__(self, ensureDependencies=None) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        dependencies.DependenciesLogicMixin.__init__(self, ensureDependencies)

    def getParameterNode(self):
        return GliomaAIParameterNode(super().getParameterNode())

    def loadCase(self, folder):
        self.ensureDependencies(torch=False)  # reading a case needs scipy, not torch
        return case_nodes.load_case_nodes(slicer.mrmlScene, Path(folder))

    def saveSegmentation(self, segmentationNode, path):
        return storage.save_segmentation(segmentationNode, path)


class GliomaAITest(ScriptedLoadableModuleTest):
    """Reload and Test: every check of GliomaAILib.checks (the ones pytest runs) on the application's scene."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        from GliomaAILib import checks

        with tempfile.TemporaryDirectory() as folder:
            checks.run_all(slicer.mrmlScene, folder, log=self.delayDisplay)
        self.delayDisplay("GliomaAI checks passed")
