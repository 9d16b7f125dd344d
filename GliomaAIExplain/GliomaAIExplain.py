"""GliomaAIExplain: saliency maps of the GliomaAI models shown over the case, with how far to trust them.

Thin module: the widget binds the panel to a parameter node and calls the logic; the logic
hands slicer.mrmlScene to GliomaAIExplainLib (Qt-free, tested with pytest). Maps are computed
in a worker thread (GliomaAILib.worker) that the panel polls (GliomaAILib.panel_job).
"""

from typing import Annotated

import slicer
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import Choice, Default, WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)

from gliomaai.explain.catalogue import DEFAULT_METHOD, METHODS
from gliomaai.labels import REGIONS
from GliomaAIExplainLib import explanation_nodes, overlay
from GliomaAILib import case_nodes, dependencies
from GliomaAILib.panel_job import PanelJob
from GliomaAILib.parameter_node_widget import ParameterNodeWidgetMixin


class GliomaAIExplain(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("GliomaAI Explain")
        self.parent.categories = ["GliomaAI"]
        self.parent.dependencies = ["GliomaAI"]
        self.parent.contributors = ["GliomaAI developers"]
        self.parent.helpText = _(
            "Where in which sequence did the segmentation model look? Choose a case volume, a method (Grad-CAM, "
            "Grad-CAM++, saliency, guided backpropagation, integrated gradients, SmoothGrad, occlusion) and a target "
            "(WT, TC, ET, or a segment you drew), then Explain. The map (0 to 1) is shown over the case in heat colours "
            "with the segmentation as outlines; the table says how far to trust each map on this case (randomisation "
            "test, deletion and insertion curves) and the plot what removing each sequence changes. A saliency map "
            "explains a model; it does not show tumour. Research software, not a medical device.")
        self.parent.acknowledgementText = _("Built on 3D Slicer's views, MONAI's visualize module, Captum and PyTorch.")


@parameterNodeWrapper
class GliomaAIExplainParameterNode:
    backgroundVolume: vtkMRMLScalarVolumeNode
    saliencyMap: vtkMRMLScalarVolumeNode
    segmentation: vtkMRMLSegmentationNode
    method: Annotated[str, Choice(list(METHODS)), Default(DEFAULT_METHOD)]
    target: Annotated[str, Choice(list(REGIONS)), Default("WT")]
    useRoi: bool = False
    layer: str = ""
    trust: bool = True
    threshold: Annotated[float, WithinRange(0.0, 1.0)] = 0.3
    opacity: Annotated[float, WithinRange(0.0, 1.0)] = 0.6
    show3D: bool = False


class GliomaAIExplainWidget(ScriptedLoadableModuleWidget, ParameterNodeWidgetMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        ParameterNodeWidgetMixin.__init__(self)
        self.explanation = None  # PanelJob polling the running BackgroundExplanation

    def setup(self) -> None:
        import qt

        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/GliomaAIExplain.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.progressBar = qt.QProgressBar()
        self.progressBar.setRange(0, 100)
        self.progressBar.visible = False
        self.ui.explainCollapsibleButton.layout().addRow(self.progressBar)
        self.explanation = PanelJob(qt.QTimer(), self.progressBar, self.ui.statusLabel,
                                    lambda background: self.logic.finishExplanation(background), self.onExplained,
                                    self.updatePanel, _("The explanation failed."), tr=_)
        self.ui.explainButton.connect("clicked(bool)", self.onExplain)
        self.ui.cancelButton.connect("clicked(bool)", self.explanation.cancel)
        self.ui.showOverlayButton.connect("clicked(bool)", self.onShowOverlay)
        self.ui.hideOverlayButton.connect("clicked(bool)", self.onHideOverlay)
        self.startParameterNode(GliomaAIExplainLogic(), slicer.mrmlScene)

    def cleanup(self) -> None:
        self.explanation.stop()
        ParameterNodeWidgetMixin.cleanup(self)

    def onSceneStartClose(self, caller, event) -> None:
        self.explanation.stop()
        ParameterNodeWidgetMixin.onSceneStartClose(self, caller, event)

    def _volumes(self) -> dict:
        return self.logic.sequenceVolumes(self._parameterNode.backgroundVolume)

    def updatePanel(self) -> None:
        p = self._parameterNode
        if p is None:
            return
        volumes = self._volumes()
        self.ui.sequencesLabel.text = ", ".join(volumes) or _("choose a case volume")
        self.ui.explainButton.enabled = bool(volumes) and not self.explanation.running
        self.ui.cancelButton.enabled = self.explanation.running
        self.ui.roiSegmentSelector.enabled = p.useRoi
        self.ui.layerLineEdit.enabled = METHODS[p.method].uses_layer
        self.ui.showOverlayButton.enabled = bool(p.backgroundVolume and p.saliencyMap)
        self.ui.trustTableView.setMRMLTableNode(self.logic.trustTable(p.saliencyMap))

    def onExplain(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to start the explanation."), waitCursor=True):
            roi = None
            if p.useRoi:
                roi = self.logic.regionOfInterest(self.ui.roiSegmentSelector.currentNode(),
                                                  self.ui.roiSegmentSelector.currentSegmentID(), p.backgroundVolume)
            background = self.logic.startExplanation(self._volumes(), (p.method,), p.target, roi, p.layer or None,
                                                     p.trust)
            self.explanation.start(background, _("Starting the model..."))
        self.updatePanel()

    def onExplained(self, made) -> None:
        p = self._parameterNode
        p.saliencyMap = next(iter(made.maps.values()))
        e = made.explanations[0]
        verdict = e.trust["verdict"] if e.trust else _("not checked")
        self.ui.statusLabel.text = _("{name}: {seconds:.1f} s; {verdict}.").format(
            name=p.saliencyMap.GetName(), seconds=e.seconds, verdict=verdict)
        self.logic.showChart(made.chart)
        self.onShowOverlay()

    def onShowOverlay(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to show the saliency map."), waitCursor=True):
            self.logic.showSaliency(p.backgroundVolume, p.saliencyMap, p.threshold, p.opacity, p.segmentation,
                                    p.show3D)

    def onHideOverlay(self) -> None:
        self.logic.hideSaliency(self._parameterNode.saliencyMap)


class GliomaAIExplainLogic(ScriptedLoadableModuleLogic, dependencies.DependenciesLogicMixin):
    """Adapter from the module to GliomaAIExplainLib: the scene is slicer.mrmlScene, the views all slice views."""

    def __init__(self, ensureDependencies=None) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        dependencies.DependenciesLogicMixin.__init__(self, ensureDependencies)

    def getParameterNode(self):
        return GliomaAIExplainParameterNode(super().getParameterNode())

    def sequenceVolumes(self, volumeNode) -> dict:
        return case_nodes.sequence_volumes(slicer.mrmlScene, volumeNode)

    def regionOfInterest(self, segmentationNode, segmentId, referenceVolume):
        return explanation_nodes.region_of_interest(segmentationNode, segmentId, referenceVolume)

    def startExplanation(self, volumesBySequence, methods=(DEFAULT_METHOD,), target="WT", roi=None, layer=None,
                         trust=True, model="default", device="auto", engine=None):
        """Read the volumes and the model here, then explain in a worker thread; poll the returned object."""
        self.ensureDependencies(torch=True)
        run = explanation_nodes.prepare_explanation(volumesBySequence, methods, target, roi, layer, trust, model,
                                                    device, engine)
        return explanation_nodes.BackgroundExplanation(run).start()

    def finishExplanation(self, background):
        return background.finish(slicer.mrmlScene)

    def runExplanation(self, volumesBySequence, methods=(DEFAULT_METHOD,), target="WT", roi=None, layer=None, trust=True,
                       model="default", progress=None, cancel=None, engine=None):
        """Explain and add the maps, here and now (for scripts; the panel uses startExplanation)."""
        self.ensureDependencies(torch=True)
        return explanation_nodes.run_explanation(slicer.mrmlScene, volumesBySequence, methods, target, roi, layer,
                                                 trust, model, progress, cancel, engine)

    def trustTable(self, mapNode):
        """The trust table made with the map, if GliomaAI made it."""
        if mapNode is None or not mapNode.GetAttribute(explanation_nodes.SALIENCY_ATTRIBUTE):
            return None
        return mapNode.GetNodeReference(explanation_nodes.TRUST_REFERENCE)

    def showSaliency(self, backgroundVolume, mapNode, threshold, opacity, segmentation=None, in3D=False):
        display = explanation_nodes.show_saliency(slicer.mrmlScene, backgroundVolume, mapNode, threshold, opacity,
                                                  segmentation)
        if in3D:
            explanation_nodes.show_in_3d(slicer.modules.volumerendering.logic(), mapNode, threshold, opacity)
        else:
            explanation_nodes.hide_in_3d(mapNode)
        return display

    def hideSaliency(self, mapNode=None):
        overlay.hide_overlay(slicer.mrmlScene)
        if mapNode is not None:
            explanation_nodes.hide_in_3d(mapNode)

    def showChart(self, chartNode):
        """The per-sequence bar chart in the layout's plot view."""
        slicer.modules.plots.logic().ShowChartInLayout(chartNode)


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
