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

from gliomaai.sequences import SEQUENCES
from GliomaAILib import case_nodes, dependencies, imputation_nodes, storage
from GliomaAILib.panel_job import PanelJob
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
            "Missing sequences can be imputed (synthesised from the others) for computation such as segmentation; "
            "synthetic sequences are named and marked 'synthetic': they are never for clinical reading. "
            "GliomaAISegment and GliomaAIExplain build on this module. Research software, not a medical device.")
        self.parent.acknowledgementText = _(
            "Built on 3D Slicer, SimpleITK, MONAI and PyTorch. Label conventions follow the BraTS challenges.")


@parameterNodeWrapper
class GliomaAIParameterNode:
    caseFolder: Path
    referenceVolume: vtkMRMLScalarVolumeNode
    segmentation: vtkMRMLSegmentationNode
    segmentationFile: Path
    t1nVolume: vtkMRMLScalarVolumeNode
    t1cVolume: vtkMRMLScalarVolumeNode
    t2wVolume: vtkMRMLScalarVolumeNode
    t2fVolume: vtkMRMLScalarVolumeNode



class GliomaAIWidget(ScriptedLoadableModuleWidget, ParameterNodeWidgetMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        ParameterNodeWidgetMixin.__init__(self)
        self.imputation = None  # PanelJob polling the running BackgroundImputation

    def setup(self) -> None:
        import qt

        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/GliomaAI.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.loadCaseButton.connect("clicked(bool)", self.onLoadCase)
        self.ui.saveSegmentationButton.connect("clicked(bool)", self.onSaveSegmentation)
        self.ui.installButton.connect("clicked(bool)", self.onInstall)
        self.ui.imputeButton.connect("clicked(bool)", self.onImpute)
        self.ui.cancelImputeButton.connect("clicked(bool)", self.onCancelImpute)
        self.progressBar = qt.QProgressBar()
        self.progressBar.setRange(0, 100)
        self.progressBar.visible = False
        self.ui.imputeCollapsibleButton.layout().addRow(self.progressBar)
        self.imputation = PanelJob(qt.QTimer(), self.progressBar, self.ui.imputeStatusLabel,
                                   lambda background: self.logic.finishImputation(background), self.onImputed,
                                   self.updatePanel, _("The imputation failed."), tr=_)
        self.startParameterNode(GliomaAILogic(), slicer.mrmlScene)

    def cleanup(self) -> None:
        self.imputation.stop()
        ParameterNodeWidgetMixin.cleanup(self)

    def onSceneStartClose(self, caller, event) -> None:
        self.imputation.stop()
        ParameterNodeWidgetMixin.onSceneStartClose(self, caller, event)

    def _sequenceVolumes(self) -> dict:
        return {s: getattr(self._parameterNode, f"{s}Volume") for s in SEQUENCES}

    def updatePanel(self) -> None:
        p = self._parameterNode
        self.ui.loadCaseButton.enabled = bool(p and p.caseFolder and str(p.caseFolder) != ".")
        self.ui.saveSegmentationButton.enabled = bool(p and p.segmentation and p.segmentationFile
                                                      and str(p.segmentationFile) != ".")
        if p is None:
            return
        slots = imputation_nodes.sequence_slots(self._sequenceVolumes())
        self.ui.slotsLabel.text = "   ".join(f"{s}: {state}" for s, state in slots.items())
        running = self.imputation.running
        self.ui.imputeButton.enabled = not running and "missing" in slots.values() and "present" in slots.values()
        self.ui.cancelImputeButton.enabled = running

    def onLoadCase(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Failed to load the case."), waitCursor=True):
            nodes = self.logic.loadCase(self._parameterNode.caseFolder)
            self._parameterNode.referenceVolume = nodes.reference
            if nodes.segmentation:
                self._parameterNode.segmentation = nodes.segmentation
            for sequence in SEQUENCES:
                setattr(self._parameterNode, f"{sequence}Volume", nodes.volumes.get(sequence))
            slicer.util.setSliceViewerLayers(background=nodes.reference, fit=True)

    def onSaveSegmentation(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Failed to save the segmentation."), waitCursor=True):
            self.logic.saveSegmentation(self._parameterNode.segmentation, self._parameterNode.segmentationFile)

    # Imputation, in the background -----------------------------------------------------------------

    def onImpute(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Failed to start the imputation."), waitCursor=True):
            self.imputation.start(self.logic.startImputation(self._sequenceVolumes()), _("Starting the imputer..."))
        self.updatePanel()

    def onImputed(self, made) -> None:
        for sequence, node in made.volumes.items():
            setattr(self._parameterNode, f"{sequence}Volume", node)
        self.ui.imputeStatusLabel.text = "\n".join(made.notes + [
            _("{sequence} against the real one: PSNR {psnr:.1f} dB, SSIM {ssim:.3f}, MAE {mae:.3f}").format(
                sequence=s, **q) for s, q in made.quality.items()])
        self.showSideBySide(made.volumes)

    def showSideBySide(self, synthetic: dict) -> None:
        """A real sequence on the left, the first synthetic one on the right, views linked."""
        real = next((n for s, n in self._sequenceVolumes().items() if n is not None and s not in synthetic), None)
        layoutManager = slicer.app.layoutManager()
        layoutManager.setLayout(slicer.vtkMRMLLayoutNode.SlicerLayoutSideBySideView)
        for view, node in (("Red", real), ("Yellow", next(iter(synthetic.values())))):
            if node is not None:
                layoutManager.sliceWidget(view).mrmlSliceCompositeNode().SetBackgroundVolumeID(node.GetID())
                layoutManager.sliceWidget(view).mrmlSliceCompositeNode().SetLinkedControl(True)
                layoutManager.sliceWidget(view).sliceLogic().FitSliceToAll()

    def onCancelImpute(self) -> None:
        self.imputation.cancel()

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

    def startImputation(self, volumesBySequence, sequences=None, model="default", device="auto", engine=None):
        """Read the volumes and the imputer here, then impute in a worker thread; poll the returned object."""
        self.ensureDependencies(torch=True)
        run = imputation_nodes.prepare_imputation(volumesBySequence, sequences, model, device, engine)
        return imputation_nodes.BackgroundImputation(run).start()

    def finishImputation(self, background):
        return background.finish(slicer.mrmlScene)

    def runImputation(self, volumesBySequence, sequences=None, model="default", device="auto", progress=None,
                      cancel=None, engine=None):
        """Impute and add the synthetic volumes, here and now (for scripts; the panel uses startImputation)."""
        self.ensureDependencies(torch=True)
        return imputation_nodes.run_imputation(slicer.mrmlScene, volumesBySequence, sequences, model, device,
                                               progress, cancel, engine)


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
