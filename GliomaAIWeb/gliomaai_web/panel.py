"""The GliomaAI panel of the web page: its state and its callbacks, on the desktop modules' logic.

Everything the page shows lives in trame state keys (the `KEYS` below); every button calls one
method here. The work itself is the desktop modules' own: GliomaAILib puts the case into the
scene and imputes, GliomaAISegmentLib segments and saves corrections, GliomaAIExplainLib makes
and shows saliency maps. Long runs go through GliomaAILib.panel_job.PanelJob, as in the desktop
panels, with the trame server's event loop as the timer: the page stays usable, shows progress
and can cancel. Nothing here needs a browser, so the tests drive it directly.
"""

import asyncio

from gliomaai.errors import GliomaAIError
from gliomaai.explain.catalogue import DEFAULT_METHOD, METHODS
from gliomaai.labels import REGIONS
from gliomaai.sequences import DESCRIPTIONS, SEQUENCES
from GliomaAILib.case_nodes import SYNTHETIC_ATTRIBUTE, case_to_nodes, find_case_nodes
from GliomaAILib.panel_job import PanelJob

from .case_folder import CaseFolder

SYNTHETIC_WARNING = "SYNTHETIC {sequence}: not a real scan, never for clinical reading"


class StateTimer:
    """The part of qt.QTimer that PanelJob uses, on the trame server's asyncio loop."""

    def __init__(self, state):
        self._state, self._interval, self._callbacks = state, 0.2, []
        self._active, self._task = False, None

    def setInterval(self, milliseconds: int) -> None:
        self._interval = milliseconds / 1000.0

    def connect(self, _signal: str, callback) -> None:
        self._callbacks.append(callback)

    def start(self) -> None:
        from trame_server.utils.asynchronous import create_task

        self._active = True
        if self._task is None:
            self._task = create_task(self._run())

    def stop(self) -> None:
        self._active = False

    async def _run(self) -> None:
        try:
            while self._active:
                await asyncio.sleep(self._interval)
                with self._state:  # pushes the changed keys to the page
                    for callback in self._callbacks:
                        callback()
        finally:
            self._task = None


class StateField:
    """A widget attribute (progress_bar.value, status_label.text) that is a trame state key."""

    def __init__(self, key: str):
        self.key = key

    def __get__(self, widget, _owner=None):
        return widget.state[self.key]

    def __set__(self, widget, value):
        widget.state[self.key] = value


class StateProgressBar:
    value = StateField("g_progress")
    visible = StateField("g_progress_visible")

    def __init__(self, state):
        self.state = state


class StateStatusLabel:
    text = StateField("g_status")

    def __init__(self, state):
        self.state = state


KEYS = {
    "g_cases": [], "g_case": None, "g_loaded": "", "g_sequences": [], "g_view_sequence": None,
    "g_synthetic_warning": "", "g_busy": False, "g_progress": 0, "g_progress_visible": False, "g_status": "",
    "g_error_visible": False, "g_error_title": "", "g_error": "",
    "g_segmentation": "", "g_saved": "", "g_saved_path": "",
    "g_methods": [{"title": m.title, "value": m.name} for m in METHODS.values()], "g_method": DEFAULT_METHOD,
    "g_targets": list(REGIONS), "g_target": "WT", "g_trust": False, "g_saliency": "",
    "g_threshold": 0.3, "g_opacity": 0.6,
}


class GliomaAIPanel:
    """Load a case, segment it, save the person's correction, impute and explain: one run at a time.

    Collaborators are handed in so tests can choose them: the trame `state`, the trame-slicer
    `slicer_app` (scene, display manager, segmentation editor), the CaseFolder, where corrections
    go, the models, the inference engine and the timer factory (StateTimer on a server).
    """

    def __init__(self, state, slicer_app, cases: CaseFolder, corrections_folder, segmenter="default",
                 imputer="default", engine=None, timer=StateTimer):
        self.state, self.app, self.cases = state, slicer_app, cases
        self.corrections_folder = corrections_folder
        self.segmenter, self.imputer, self.engine = segmenter, imputer, engine
        self.segmentation_node = None
        self.saliency_node = None
        for key, value in KEYS.items():
            state.setdefault(key, value)
        state["g_cases"] = [{"title": e.label, "value": e.name} for e in cases.entries()]
        state["g_case"] = state["g_case"] or state["g_cases"][0]["value"]
        progress, status = StateProgressBar(state), StateStatusLabel(state)
        self.jobs = {
            name: PanelJob(timer(state), progress, status, finish=self._finish, done=done, after=self._after,
                           failed=failed, error_display=self.show_error)
            for name, done, failed in (("segment", self._segmented, "The segmentation failed."),
                                       ("impute", self._imputed, "The imputation failed."),
                                       ("explain", self._explained, "The saliency map failed."))}
        state.change("g_view_sequence")(lambda g_view_sequence, **_: self.show_sequence(g_view_sequence))
        state.change("g_threshold", "g_opacity")(lambda **_: self.restyle_saliency())

    # Errors ------------------------------------------------------------------------------------

    def show_error(self, title: str, detail: str) -> None:
        self.state["g_error_title"], self.state["g_error"], self.state["g_error_visible"] = title, detail, True

    def _guarded(self, title: str, action) -> bool:
        """Run `action`; a user's mistake (GliomaAIError) becomes the page's error dialog, not a crash."""
        try:
            action()
            return True
        except GliomaAIError as error:
            self.show_error(title, str(error))
            return False

    @property
    def busy(self) -> bool:
        return any(job.running for job in self.jobs.values())

    def _start(self, name: str, prepare, message: str) -> bool:
        if self.busy:
            self.show_error("Busy.", "Wait for the current run to finish, or cancel it.")
            return False
        if not self._guarded(f"Cannot {name}.", lambda: self.jobs[name].start(prepare().start(), message)):
            return False
        self.state["g_busy"] = True
        return True

    def _finish(self, background):
        return background.finish(self.app.scene)

    def _after(self) -> None:
        self.state["g_busy"] = self.busy

    def cancel(self) -> None:
        for job in self.jobs.values():
            job.cancel()

    # The case ----------------------------------------------------------------------------------

    def case_nodes(self):
        if not self.state["g_loaded"]:
            raise GliomaAIError("No case is loaded.", "Choose a case and press Load.")
        return find_case_nodes(self.app.scene, self.state["g_loaded"])

    def load_case(self, name: str | None = None) -> bool:
        """Put the chosen case into the scene (or show it again, if it is there) and show it."""
        name = name or self.state["g_case"]
        if self.busy:
            self.show_error("Busy.", "Wait for the current run to finish, or cancel it.")
            return False

        def load():
            case = self.cases.load(name)
            try:
                find_case_nodes(self.app.scene, case.name)
            except GliomaAIError:  # not in the scene yet; a loaded case, with its edits, is never replaced
                case_to_nodes(self.app.scene, case)
            self.state["g_loaded"] = case.name
            self.state["g_status"] = f"Loaded {case.name}: {', '.join(case.present)}."

        if not self._guarded("Cannot load the case.", load):
            return False
        self.segmentation_node, self.saliency_node = None, None
        self.state["g_segmentation"], self.state["g_saliency"], self.state["g_saved"] = "", "", ""
        volumes = self._refresh_sequences()
        self.state["g_view_sequence"] = "t2f" if "t2f" in volumes else next(iter(volumes))
        self.show_sequence(self.state["g_view_sequence"], reset_views=True)
        return True

    def _refresh_sequences(self) -> dict:
        """The chips' state from the case's volumes, which it returns."""
        volumes = self.case_nodes().volumes
        self.state["g_sequences"] = [
            {"sequence": s, "title": DESCRIPTIONS[s], "status": "missing" if s not in volumes else
             "synthetic" if volumes[s].GetAttribute(SYNTHETIC_ATTRIBUTE) == "1" else "present"} for s in SEQUENCES]
        return volumes

    def show_sequence(self, sequence: str | None, reset_views: bool = False) -> None:
        """Show one of the case's sequences in every view; a synthetic one carries its warning on the page."""
        if not sequence or not self.state["g_loaded"]:
            return
        node = self.case_nodes().volumes.get(sequence)
        if node is None:
            return
        display = self.app.display_manager
        display.show_volume_in_slice_background(node)
        if reset_views:
            for index in range(self.app.scene.GetNumberOfNodesByClass("vtkMRMLSliceNode")):
                self.app.scene.GetNthNodeByClass(index, "vtkMRMLSliceNode").SetSliceVisible(True)  # slices in 3D
            display.reset_views()
        synthetic = node.GetAttribute(SYNTHETIC_ATTRIBUTE) == "1"
        self.state["g_synthetic_warning"] = SYNTHETIC_WARNING.format(sequence=sequence) if synthetic else ""
        if self.saliency_node is not None:
            self.restyle_saliency()

    # Segmentation and correction ---------------------------------------------------------------

    def segment(self) -> bool:
        from GliomaAISegmentLib.segmentation_run import BackgroundSegmentation, prepare_run

        return self._start("segment", lambda: BackgroundSegmentation(
            prepare_run(self.case_nodes().volumes, model=self.segmenter, engine=self.engine)),
            "Segmenting...")

    def _segmented(self, nodes) -> None:
        """A new segmentation node (an earlier one, with its edits, stays): open it in the Segment Editor."""
        from GliomaAISegmentLib import segmentation_run

        self.segmentation_node = nodes.segmentation
        editor = self.app.segmentation_editor
        editor.set_active_segmentation(nodes.segmentation, self.case_nodes().volumes[self.state["g_view_sequence"]])
        self.state["g_segmentation"] = nodes.segmentation.GetName()
        self.state["g_saved"] = ""
        notes = segmentation_run.provenance(nodes.segmentation).get("notes", "")  # what the model used, what drew ET
        self.state["g_status"] = f"{nodes.segmentation.GetName()}: correct it with the Segment Editor, then save. {notes}"

    def save_correction(self) -> bool:
        from GliomaAISegmentLib.correction_nodes import comparison_summary, save_correction_from_scene

        def save():
            if self.segmentation_node is None:
                raise GliomaAIError("There is no model segmentation to save.", "Segment the case first.")
            saved = save_correction_from_scene(self.app.scene, self.segmentation_node, self.corrections_folder)
            self.state["g_saved"] = comparison_summary(saved.record)
            self.state["g_saved_path"] = str(saved.path)
            self.state["g_status"] = f"Correction saved in {saved.path}."

        return self._guarded("Cannot save the correction.", save)

    # Imputation --------------------------------------------------------------------------------

    def impute(self) -> bool:
        from GliomaAILib.imputation_nodes import BackgroundImputation, prepare_imputation

        return self._start("impute", lambda: BackgroundImputation(
            prepare_imputation(self.case_nodes().volumes, model=self.imputer, engine=self.engine)),
            "Imputing the missing sequences...")

    def _imputed(self, nodes) -> None:
        self._refresh_sequences()
        made = ", ".join(nodes.volumes)
        self.state["g_status"] = f"Synthesised {made}: marked synthetic, never for clinical reading."
        self.state["g_view_sequence"] = next(iter(nodes.volumes))
        self.show_sequence(self.state["g_view_sequence"])

    # Saliency ----------------------------------------------------------------------------------

    def explain(self) -> bool:
        from GliomaAIExplainLib.explanation_nodes import BackgroundExplanation, prepare_explanation

        return self._start("explain", lambda: BackgroundExplanation(prepare_explanation(
            self.case_nodes().volumes, (self.state["g_method"],), self.state["g_target"], trust=self.state["g_trust"],
            model=self.segmenter, engine=self.engine)), "Computing the saliency map...")

    def _explained(self, nodes) -> None:
        self.saliency_node = next(iter(nodes.maps.values()))
        self.state["g_saliency"] = self.saliency_node.GetName()
        self.state["g_status"] = f"{self.saliency_node.GetName()}: explains the model, does not show tumour."
        self.restyle_saliency()

    def restyle_saliency(self) -> None:
        """Show the map with the page's threshold and opacity over the sequence in view."""
        from GliomaAIExplainLib.explanation_nodes import show_saliency

        if self.saliency_node is None or not self.state["g_loaded"]:
            return
        background = self.case_nodes().volumes.get(self.state["g_view_sequence"])
        self._guarded("Cannot show the saliency map.", lambda: show_saliency(
            self.app.scene, background, self.saliency_node, float(self.state["g_threshold"]),
            float(self.state["g_opacity"]), segmentation_node=self.segmentation_node))

    def hide_saliency(self) -> None:
        from GliomaAIExplainLib.overlay import hide_overlay

        hide_overlay(self.app.scene)
        self.saliency_node = None
        self.state["g_saliency"] = ""
