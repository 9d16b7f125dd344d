"""GliomaAISegment: segment a glioma with a GliomaAI model, correct it, save the correction; label maps in and out.

Thin module: the widget binds the panel to a parameter node and calls the logic; the logic
hands slicer.mrmlScene to GliomaAISegmentLib (Qt-free, tested with pytest). The model runs in a
worker thread (GliomaAILib.worker) that the panel polls with a QTimer, so Slicer stays
usable; the scene is only changed on the GUI thread, once the model is done.
"""

import tempfile
from pathlib import Path
from typing import Annotated

import slicer
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode
from slicer.i18n import tr as _
from slicer.parameterNodeWrapper import Choice, Default, WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (ScriptedLoadableModule, ScriptedLoadableModuleLogic,
                                           ScriptedLoadableModuleTest, ScriptedLoadableModuleWidget)

from gliomaai.inference.engine import DEVICES
from gliomaai.labels import CANONICAL, CONVENTIONS
from gliomaai.segmentation import DEFAULT_TTA
from gliomaai.sequences import SEQUENCES
from GliomaAILib import case_nodes, dependencies
from GliomaAILib.panel_job import PanelJob
from GliomaAILib.parameter_node_widget import ParameterNodeWidgetMixin
from GliomaAISegmentLib import correction_nodes, display, finetuning, label_files, segmentation_run



class GliomaAISegment(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("GliomaAI Segment")
        self.parent.categories = ["GliomaAI"]
        self.parent.dependencies = ["GliomaAI"]
        self.parent.contributors = ["GliomaAI developers"]
        self.parent.helpText = _(
            "Segment a glioma (NETC, SNFH, ET) from any of T1, T1c, T2 and FLAIR with a GliomaAI model, in the "
            "background. Each run makes a new segmentation with the model's provenance, an uncertainty map and a "
            "table of volumes; earlier results and their edits are never overwritten. Correct a result in the "
            "Segment Editor and save the correction: the corrected and original labels and the images go into a "
            "new record folder, with Dice and volumes added and removed. Fine-tune the model on the saved corrections "
            "here or with `gliomaai finetune`: a new version in a new folder, the model it started from unchanged. "
            "Label maps in "
            "BraTS 2023, 2017-2021, 2013/2015, AURORA or binary labels load and export here too. Research "
            "software, not a medical device.")
        self.parent.acknowledgementText = _(
            "Built on 3D Slicer's Segmentations and Segment Editor modules, MONAI and PyTorch. Label conventions "
            "follow the BraTS challenges.")


@parameterNodeWrapper
class GliomaAISegmentParameterNode:
    referenceVolume: vtkMRMLScalarVolumeNode
    t1nVolume: vtkMRMLScalarVolumeNode
    t1cVolume: vtkMRMLScalarVolumeNode
    t2wVolume: vtkMRMLScalarVolumeNode
    t2fVolume: vtkMRMLScalarVolumeNode
    modelPath: Path
    device: Annotated[str, Choice(list(DEVICES)), Default("auto")]
    tta: bool = DEFAULT_TTA
    segmentation: vtkMRMLSegmentationNode
    showUncertainty: bool = False
    correctionsFolder: Path
    trainingData: Path
    holdOut: Annotated[int, WithinRange(0, 99)] = 0
    convention: Annotated[str, Choice(list(CONVENTIONS)), Default(CANONICAL)]
    guessConvention: bool = True
    labelFile: Path
    exportFile: Path


def _given(path) -> bool:
    return path is not None and str(path) not in ("", ".")


class GliomaAISegmentWidget(ScriptedLoadableModuleWidget, ParameterNodeWidgetMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        ParameterNodeWidgetMixin.__init__(self)
        self.segmentation = None  # PanelJob polling the running BackgroundSegmentation
        self.finetuning = None  # PanelJob polling a fine-tuning on the saved corrections
        self._lastReference = None

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/GliomaAISegment.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.volumesTableView.setMRMLScene(slicer.mrmlScene)
        self.ui.comparisonTableView.setMRMLScene(slicer.mrmlScene)
        # The logic comes with the parameter node, below: the jobs look it up when they finish.
        self.segmentation = self._sectionJob(self.ui.segmentCollapsibleButton, self.ui.statusLabel,
                                             lambda background: self.logic.finishSegmentation(background),
                                             self.onSegmented, _("The segmentation failed."))
        self.finetuning = self._sectionJob(self.ui.correctionsCollapsibleButton, self.ui.finetuneStatusLabel,
                                           lambda background: self.logic.finishFinetune(background),
                                           self.onFinetuned, _("The fine-tuning failed."))
        self.ui.applyButton.connect("clicked(bool)", self.onApply)
        self.ui.cancelButton.connect("clicked(bool)", self.onCancel)
        self.ui.openEditorButton.connect("clicked(bool)", self.onOpenEditor)
        self.ui.showUncertaintyCheckBox.connect("toggled(bool)", self.onShowUncertainty)
        self.ui.saveCorrectionButton.connect("clicked(bool)", self.onSaveCorrection)
        self.ui.finetuneButton.connect("clicked(bool)", self.onFinetune)
        self.ui.cancelFinetuneButton.connect("clicked(bool)", self.finetuning.cancel)
        self.ui.loadLabelsButton.connect("clicked(bool)", self.onLoadLabels)
        self.ui.exportLabelsButton.connect("clicked(bool)", self.onExportLabels)
        self.startParameterNode(GliomaAISegmentLogic(), slicer.mrmlScene)

    def _sectionJob(self, section, statusLabel, finish, done, failed) -> PanelJob:
        """A background job of one section of the panel, with its own progress bar as the section's last row."""
        import qt

        progressBar = qt.QProgressBar()
        progressBar.setRange(0, 100)
        progressBar.visible = False
        section.layout().addRow(progressBar)
        return PanelJob(qt.QTimer(), progressBar, statusLabel, finish, done, self.updatePanel, failed, tr=_)

    def cleanup(self) -> None:
        self.segmentation.stop()
        self.finetuning.stop()
        ParameterNodeWidgetMixin.cleanup(self)

    def onSceneStartClose(self, caller, event) -> None:
        self.segmentation.stop()  # its volumes are going: nothing is to be added
        ParameterNodeWidgetMixin.onSceneStartClose(self, caller, event)

    def initializeParameterNode(self) -> None:
        ParameterNodeWidgetMixin.initializeParameterNode(self)
        p = self._parameterNode
        if not p.referenceVolume:
            p.referenceVolume = self.logic.defaultCaseVolume()
        if not _given(p.correctionsFolder):
            p.correctionsFolder = Path.home() / "GliomaAI" / "corrections"

    def _sequenceVolumes(self) -> dict:
        p = self._parameterNode
        return {s: getattr(p, f"{s}Volume") for s in SEQUENCES}

    def updatePanel(self) -> None:
        p = self._parameterNode
        if p is None:
            return
        if p.referenceVolume is not self._lastReference:  # a case volume was chosen: fill in its sequences
            self._lastReference = p.referenceVolume
            found = self.logic.sequenceVolumes(p.referenceVolume)
            if found:
                for sequence in SEQUENCES:
                    setattr(p, f"{sequence}Volume", found.get(sequence))
        running = self.segmentation.running
        has_model_result = self.logic.isModelSegmentation(p.segmentation)
        self.ui.applyButton.enabled = not running and any(self._sequenceVolumes().values())
        self.ui.cancelButton.enabled = running
        self.ui.openEditorButton.enabled = bool(p.segmentation)
        self.ui.showUncertaintyCheckBox.enabled = has_model_result
        self.ui.saveCorrectionButton.enabled = has_model_result and _given(p.correctionsFolder)
        self.ui.finetuneButton.enabled = not self.finetuning.running and _given(p.correctionsFolder)
        self.ui.cancelFinetuneButton.enabled = self.finetuning.running
        self.ui.volumesTableView.setMRMLTableNode(self.logic.volumesTable(p.segmentation))
        self.ui.comparisonTableView.setMRMLTableNode(self.logic.comparisonTable(p.segmentation))
        has_reference = bool(p.referenceVolume)
        self.ui.loadLabelsButton.enabled = has_reference and _given(p.labelFile)
        self.ui.exportLabelsButton.enabled = has_reference and bool(p.segmentation) and _given(p.exportFile)

    # The model run, in the background -----------------------------------------------------------

    def _model(self) -> str:
        p = self._parameterNode
        return str(p.modelPath) if _given(p.modelPath) else "default"

    def onApply(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to start the segmentation."), waitCursor=True):
            model = self._model()
            self.segmentation.start(self.logic.startSegmentation(self._sequenceVolumes(), model, p.device, p.tta),
                                    _("Starting the model..."))
        self.updatePanel()

    def onSegmented(self, nodes) -> None:
        self._parameterNode.segmentation = nodes.segmentation
        made = segmentation_run.provenance(nodes.segmentation)
        # The notes say what the model used and what drew ET: shown, not hidden in a tooltip.
        self.ui.statusLabel.text = _("{name}: {model} {version} on {device}, {seconds:.1f} s. {notes}").format(
            name=nodes.segmentation.GetName(), model=made["model"], version=made["model_version"],
            device=made["device"], seconds=made["seconds"], notes=made.get("notes", ""))
        slicer.util.setSliceViewerLayers(background=nodes.reference, fit=True)

    def onCancel(self) -> None:
        self.segmentation.cancel()

    # Result, editing and corrections --------------------------------------------------------------

    def onOpenEditor(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to open the Segment Editor."), waitCursor=True):
            source = self.logic.sourceVolume(p.segmentation) or p.referenceVolume
            slicer.util.selectModule("SegmentEditor")
            editor = slicer.util.getModuleWidget("SegmentEditor").editor
            editor.setSegmentationNode(p.segmentation)
            # setSourceVolumeNode since Slicer 5.2 (setMasterVolumeNode before).
            (getattr(editor, "setSourceVolumeNode", None) or editor.setMasterVolumeNode)(source)

    def onShowUncertainty(self, show) -> None:
        p = self._parameterNode
        if p is None or not self.logic.isModelSegmentation(p.segmentation):
            return
        with slicer.util.tryWithErrorDisplay(_("Failed to show the uncertainty."), waitCursor=True):
            self.logic.showUncertainty(p.segmentation, bool(show))

    def onSaveCorrection(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to save the correction."), waitCursor=True):
            saved = self.logic.saveCorrection(p.segmentation, p.correctionsFolder)
            self.ui.comparisonTableView.setMRMLTableNode(saved.comparison)
            self.ui.correctionStatusLabel.text = (correction_nodes.comparison_summary(saved.record)
                                                  + "\n" + str(saved.path))

    def onFinetune(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to start the fine-tuning."), waitCursor=True):
            trainingData = p.trainingData if _given(p.trainingData) else None
            self.finetuning.start(self.logic.startFinetune(p.correctionsFolder, self._model(), p.holdOut, trainingData),
                                  _("Reading the corrections..."))
        self.updatePanel()

    def onFinetuned(self, made) -> None:
        if made.improved:
            if self._parameterNode is not None:
                self._parameterNode.modelPath = made.card.parent  # the next Apply runs the new version
            verdict = _("New version {version} in {folder}, chosen as the model: it did better on the held-out "
                        "corrections.")
        elif made.improved is None:
            verdict = _("New version {version} in {folder}, not chosen: it was not checked on held-out corrections. "
                        "Choose it as the model to use it.")
        else:
            verdict = _("New version {version} in {folder}, not chosen: it did no better on the held-out "
                        "corrections.")
        self.ui.finetuneStatusLabel.text = "\n".join([verdict.format(version=made.version, folder=made.card.parent)]
                                                     + made.advice)

    # Label map files ------------------------------------------------------------------------------

    def onLoadLabels(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to load the label map."), waitCursor=True):
            p.segmentation = self.logic.loadLabels(p.labelFile, p.referenceVolume,
                                                   None if p.guessConvention else p.convention)

    def onExportLabels(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to export the segmentation."), waitCursor=True):
            self.logic.exportLabels(p.segmentation, p.referenceVolume, p.exportFile, p.convention)


class GliomaAISegmentLogic(ScriptedLoadableModuleLogic, dependencies.DependenciesLogicMixin):
    """Adapter from the module to GliomaAISegmentLib: the scene is slicer.mrmlScene, the rest is passed on."""

    def __init__(self, ensureDependencies=None) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        dependencies.DependenciesLogicMixin.__init__(self, ensureDependencies)

    def getParameterNode(self):
        return GliomaAISegmentParameterNode(super().getParameterNode())

    # Inputs
    def defaultCaseVolume(self):
        from GliomaAILib.case_nodes import case_names, find_case_nodes

        names = case_names(slicer.mrmlScene)
        if names:
            return find_case_nodes(slicer.mrmlScene, names[0]).reference
        return slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")

    def sequenceVolumes(self, volumeNode) -> dict:
        return case_nodes.sequence_volumes(slicer.mrmlScene, volumeNode)

    # Model runs
    def startSegmentation(self, volumesBySequence, model="default", device="auto", tta=DEFAULT_TTA, engine=None):
        """Read the volumes and the model here, then segment in a worker thread; poll the returned object."""
        self.ensureDependencies(torch=True)
        run = segmentation_run.prepare_run(volumesBySequence, model, device, tta, engine)
        return segmentation_run.BackgroundSegmentation(run).start()

    def finishSegmentation(self, background):
        return background.finish(slicer.mrmlScene)

    def runSegmentation(self, volumesBySequence, model="default", device="auto", tta=DEFAULT_TTA, progress=None,
                        cancel=None, engine=None):
        """Segment and add the result, here and now (for scripts; the panel uses startSegmentation)."""
        self.ensureDependencies(torch=True)
        return segmentation_run.run_segmentation(slicer.mrmlScene, volumesBySequence, model, device, tta,
                                                 progress, cancel, engine)

    # Results
    def isModelSegmentation(self, segmentation) -> bool:
        return segmentation_run.is_model_segmentation(segmentation)

    def volumesTable(self, segmentation):
        return segmentation_run.model_nodes(segmentation).volumes if self.isModelSegmentation(segmentation) else None

    def comparisonTable(self, segmentation):
        if segmentation is None:
            return None
        return segmentation.GetNodeReference(correction_nodes.COMPARISON_REFERENCE)

    def sourceVolume(self, segmentation):
        """The volume the segmentation was made on (for the Segment Editor), if a model made it."""
        return segmentation_run.model_nodes(segmentation).reference if self.isModelSegmentation(segmentation) else None

    def showUncertainty(self, segmentation, show: bool = True):
        if show:
            return display.show_uncertainty(slicer.mrmlScene, segmentation)
        display.hide_uncertainty(slicer.mrmlScene)

    def saveCorrection(self, segmentation, folder, note: str = ""):
        return correction_nodes.save_correction_from_scene(slicer.mrmlScene, segmentation, folder, note)

    def startFinetune(self, correctionsFolder, model="default", holdOut=0, trainingData=None):
        """Fine-tune `model` on the saved corrections in a worker thread; poll the returned object."""
        self.ensureDependencies(torch=True)
        return finetuning.start_finetune(finetuning.finetune_config(correctionsFolder, model, holdOut, trainingData))

    def finishFinetune(self, background):
        return background.finish(slicer.mrmlScene)

    # Label map files
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
