"""GliomaAISegment: glioma segmentations in and out of the scene, in any label convention.

Thin module: the widget binds the panel to a parameter node and calls the logic; the logic
hands slicer.mrmlScene to GliomaAISegmentLib (Qt-free, tested with pytest).
"""

import tempfile
from pathlib import Path
from typing import Annotated


import slicer
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import Choice, Default, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)

from gliomaai.labels import CANONICAL, CONVENTIONS
from GliomaAILib.parameter_node_widget import ParameterNodeWidgetMixin
from GliomaAISegmentLib import label_files


class GliomaAISegment(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("GliomaAI Segment")
        self.parent.categories = ["GliomaAI"]
        self.parent.dependencies = ["GliomaAI"]
        self.parent.contributors = ["GliomaAI developers"]
        self.parent.helpText = _(
            "Load a glioma label map (BraTS 2023, 2017-2021, 2013/2015, AURORA or binary labels) as a segmentation "
            "with segments NETC, SNFH and ET on a case's volume, and export a segmentation to a label map in any of "
            "these conventions. The label map must be on the volume's voxel grid. Research software, not a medical "
            "device.")
        self.parent.acknowledgementText = _(
            "Built on 3D Slicer's Segmentations module. Label conventions follow the BraTS challenges.")


@parameterNodeWrapper
class GliomaAISegmentParameterNode:
    referenceVolume: vtkMRMLScalarVolumeNode
    segmentation: vtkMRMLSegmentationNode
    convention: Annotated[str, Choice(list(CONVENTIONS)), Default(CANONICAL)]
    guessConvention: bool = True
    labelFile: Path
    exportFile: Path


class GliomaAISegmentWidget(ScriptedLoadableModuleWidget, ParameterNodeWidgetMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        ParameterNodeWidgetMixin.__init__(self)

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/GliomaAISegment.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.loadLabelsButton.connect("clicked(bool)", self.onLoadLabels)
        self.ui.exportLabelsButton.connect("clicked(bool)", self.onExportLabels)
        self.startParameterNode(GliomaAISegmentLogic(), slicer.mrmlScene)

    def initializeParameterNode(self) -> None:
        ParameterNodeWidgetMixin.initializeParameterNode(self)
        if not self._parameterNode.referenceVolume:
            self._parameterNode.referenceVolume = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")

    def updatePanel(self) -> None:
        p = self._parameterNode
        has_reference = bool(p and p.referenceVolume)
        self.ui.loadLabelsButton.enabled = has_reference and str(p.labelFile) not in ("", ".")
        self.ui.exportLabelsButton.enabled = has_reference and bool(p.segmentation) and str(p.exportFile) not in ("", ".")

    def onLoadLabels(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to load the label map."), waitCursor=True):
            p.segmentation = self.logic.loadLabels(p.labelFile, p.referenceVolume,
                                                   None if p.guessConvention else p.convention)

    def onExportLabels(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to export the segmentation."), waitCursor=True):
            self.logic.exportLabels(p.segmentation, p.referenceVolume, p.exportFile, p.convention)


class GliomaAISegmentLogic(ScriptedLoadableModuleLogic):
    """Adapter from the module to GliomaAISegmentLib: the scene is slicer.mrmlScene, the rest is passed on."""

    def getParameterNode(self):
        return GliomaAISegmentParameterNode(super().getParameterNode())

    def loadLabels(self, path, referenceVolume, convention=None):
        return label_files.load_label_file(slicer.mrmlScene, path, referenceVolume, convention)

    def exportLabels(self, segmentation, referenceVolume, path, convention=CANONICAL):
        return label_files.export_label_file(segmentation, referenceVolume, path, convention)


class GliomaAISegmentTest(ScriptedLoadableModuleTest):
    """Reload and Test: every check of GliomaAISegmentLib.checks (the ones pytest runs) on the application's scene."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        from GliomaAISegmentLib import checks

        with tempfile.TemporaryDirectory() as folder:
            checks.run_all(slicer.mrmlScene, folder, log=self.delayDisplay)
        self.delayDisplay("GliomaAISegment checks passed")
