"""A GliomaAI model run on volumes of the scene: a new segmentation node, its uncertainty, its volumes.

The work splits in three, so the desktop panel can run the middle part off the GUI thread:

1. `prepare_run` (main thread): reads the chosen volume nodes into a Case (they must share one
   grid), loads the model card, checks the model's required sequences, picks the engine.
2. `SegmentationRun.segment` (any thread): segment_case on that Case. It touches no node, so
   it may run in a worker thread (worker.BackgroundJob) while the scene stays with Qt.
3. `SegmentationRun.add_to_scene` (main thread): the result becomes NEW nodes. An existing
   segmentation is never overwritten: a re-run makes another node ("... (2)"), so a person's
   edits of an earlier result are never lost.

Nodes made per run, all referenced from the segmentation node:
- the segmentation (segments NETC, SNFH, ET with names, colours, terminology), attributes
  GliomaAI.* with the provenance (model, version, sha256, device, TTA, sequences, time);
- the model's labels as a hidden labelmap volume node (canonical values). The model output is
  kept in the scene, beside the segmentation a person will edit, because that is the only
  copy of it that survives the editing session and a scene save/reload (.mrb) until a
  correction is saved; storing it only at save time would compare against nothing after an
  edit. It is hidden from node selectors and editors, and is never changed;
- the uncertainty (0 certain .. 1 undecided) as a scalar volume, to show as an overlay;
- a table of the subregion volumes (mL);
- where the whole tumour is in several separate parts, a locked point list with one point at the
  centre of each, labelled with its volume: a click on a point in the Markups module's list brings
  the views to it, so each focus (and each false island) is checked in turn;
- where the images were not skull-stripped (the brain was found on a head scan), the brain the
  model read, as a segmentation shown as a cyan outline: a tumour outside it was not looked for.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import SimpleITK as sitk

from gliomaai import labels as label_conventions
from gliomaai.errors import GliomaAIError
from gliomaai.segmentation import DEFAULT_TTA
from gliomaai.sequences import SEQUENCES
from GliomaAILib.case_nodes import CASE_ATTRIBUTE, ROLE_ATTRIBUTE, case_from_volumes, checked_inputs
from GliomaAILib.segmentation_nodes import labels_to_segmentation, mask_to_segmentation
from GliomaAILib.tables import figures_table
from GliomaAILib.volumes import add_volume_node
from GliomaAILib.worker import BackgroundRun

MODEL_ROLE = "model segmentation"  # ROLE_ATTRIBUTE of a segmentation a GliomaAI model made
MODEL_LABELS_ROLE = "model labels"
UNCERTAINTY_ROLE = "uncertainty"
VOLUMES_ROLE = "volumes"
FOCI_ROLE = "foci"
BRAIN_ROLE = "brain"
# Node references from the segmentation node.
MODEL_LABELS_REFERENCE = "GliomaAI.ModelLabels"
UNCERTAINTY_REFERENCE = "GliomaAI.Uncertainty"
VOLUMES_REFERENCE = "GliomaAI.Volumes"
FOCI_REFERENCE = "GliomaAI.Foci"
BRAIN_REFERENCE = "GliomaAI.Brain"
BRAIN_SEGMENT = "Brain the model read"
BRAIN_COLOR = (0.0, 1.0, 1.0)  # cyan, as on the command line's picture
INPUT_REFERENCE = "GliomaAI.Input."  # + sequence: the volume the model saw as that sequence
# Provenance attributes of the segmentation node: attribute -> (key of provenance(), type).
PROVENANCE = {
    "GliomaAI.Model": ("model", str),
    "GliomaAI.ModelVersion": ("model_version", str),
    "GliomaAI.ModelSHA256": ("model_sha256", str),
    "GliomaAI.ModelCard": ("model_card", str),
    "GliomaAI.Device": ("device", str),
    "GliomaAI.TTA": ("tta", bool),
    "GliomaAI.Sequences": ("sequences", list),
    "GliomaAI.SyntheticInputs": ("synthetic_inputs", list),
    "GliomaAI.Time": ("time", str),
    "GliomaAI.Seconds": ("seconds", float),
    "GliomaAI.Notes": ("notes", str),  # what the model used and how it drew ET, in sentences
}
VOLUME_ROWS = ("NETC", "SNFH", "ET", "WT", "TC")
VOLUME_DESCRIPTIONS = {"NETC": "necrosis / non-enhancing tumour core", "SNFH": "edema (FLAIR hyperintensity)",
                       "ET": "enhancing tumour", "WT": "whole tumour (NETC + SNFH + ET)",
                       "TC": "tumour core (NETC + ET)"}


@dataclass
class SegmentationNodes:
    """The nodes one model run put into the scene."""
    segmentation: object  # vtkMRMLSegmentationNode
    model_labels: object  # vtkMRMLLabelMapVolumeNode, hidden: the model's output, never edited
    uncertainty: object  # vtkMRMLScalarVolumeNode, 0..1
    volumes: object  # vtkMRMLTableNode, mL per class and region
    reference: object  # the input volume whose grid the nodes are on
    foci: object = None  # vtkMRMLMarkupsFiducialNode at each separate part's centre; None for one part
    brain: object = None  # vtkMRMLSegmentationNode of the brain found on a head scan; None for a stripped one


def _model_sha256(segmenter) -> str:
    card = getattr(segmenter, "card", None)
    return getattr(card, "sha256", "") or ""


class SegmentationRun:
    """One model run: the Case and model fixed on the main thread, segment anywhere, add on the main thread."""

    def __init__(self, case, input_nodes: dict, segmenter, engine, tta: bool):
        self.case = case
        self.input_nodes = input_nodes  # sequence -> volume node the image came from
        self.reference = next(iter(input_nodes.values()))
        self.segmenter = segmenter
        self.engine = engine
        self.tta = bool(tta)
        self.started = None

    def segment(self, progress=None, cancel=None):
        """segment_case on the prepared Case: no scene access, so any thread may run it."""
        from gliomaai.segmentation.segmenter import segment_case

        self.started = datetime.now(timezone.utc)
        return segment_case(self.case, self.segmenter, self.engine, tta=self.tta, progress=progress, cancel=cancel)

    def provenance(self, result) -> dict:
        card = getattr(self.segmenter, "card", None)
        return {"model": result.model, "model_version": result.model_version,
                "model_sha256": _model_sha256(self.segmenter), "model_card": getattr(card, "path", "") or "",
                "device": result.device, "tta": bool(result.tta), "sequences": list(result.sequences),
                "synthetic_inputs": sorted(self.case.synthetic & set(result.sequences)),
                "time": (self.started or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
                "seconds": float(result.seconds), "notes": " ".join(result.notes)}

    def add_to_scene(self, scene, result) -> SegmentationNodes:
        """The result as new nodes (see the module's docstring); never replaces an existing node.

        All or nothing: if a node cannot be made, the ones made before it are removed again.
        """
        for node in self.input_nodes.values():
            if node.GetScene() is not scene:
                raise GliomaAIError(f"{node.GetName()} was removed from the scene while the model ran.",
                                    "Load the case again and re-run the segmentation.")
        made = []
        try:
            return self._add_nodes(scene, result, made)
        except BaseException:
            for node in reversed(made):
                _remove_with_helpers(scene, node)
            raise

    def _add_nodes(self, scene, result, made: list) -> SegmentationNodes:
        name = _run_name(scene, self.case.name)
        segmentation = labels_to_segmentation(scene, sitk.GetArrayFromImage(result.labels), self.reference,
                                              label_conventions.CANONICAL, name=f"{name} segmentation")
        made.append(segmentation)
        segmentation.SetNodeReferenceID(segmentation.GetReferenceImageGeometryReferenceRole(), self.reference.GetID())
        model_labels = add_volume_node(scene, result.labels, f"{name} model labels", labelmap=True)
        made.append(model_labels)
        model_labels.SetHideFromEditors(True)
        uncertainty = add_volume_node(scene, sitk.Cast(result.uncertainty, sitk.sitkFloat32), f"{name} uncertainty")
        made.append(uncertainty)
        uncertainty.SetDescription("GliomaAI model uncertainty: 0 certain .. 1 undecided (not a probability of tumour)")
        volumes = volumes_table(scene, result.volumes_ml, f"{name} volumes")
        made.append(volumes)
        roles = [(segmentation, MODEL_ROLE), (model_labels, MODEL_LABELS_ROLE),
                 (uncertainty, UNCERTAINTY_ROLE), (volumes, VOLUMES_ROLE)]
        foci = foci_points(scene, result.foci, f"{name} foci") if len(result.foci) > 1 else None
        if foci is not None:
            made.append(foci)
            roles.append((foci, FOCI_ROLE))
            segmentation.SetNodeReferenceID(FOCI_REFERENCE, foci.GetID())
        brain = brain_outline(scene, self.case.brain_mask_array(), self.reference, f"{name} brain") \
            if self.case.brain_note else None  # only a brain found here is worth checking; a given one is the user's
        if brain is not None:
            made.append(brain)
            roles.append((brain, BRAIN_ROLE))
            segmentation.SetNodeReferenceID(BRAIN_REFERENCE, brain.GetID())
        provenance = self.provenance(result)
        for node, role in roles:
            node.SetAttribute(CASE_ATTRIBUTE, self.case.name)
            node.SetAttribute(ROLE_ATTRIBUTE, role)
            for attribute, (key, _) in PROVENANCE.items():
                value = provenance[key]
                node.SetAttribute(attribute, ",".join(value) if isinstance(value, list)
                                  else ("1" if value else "0") if isinstance(value, bool) else str(value))
        segmentation.SetDescription(f"GliomaAI {result.model} {result.model_version} on {result.device}"
                                    f"{' with TTA' if result.tta else ''}, from {', '.join(result.sequences)}. "
                                    "Research software, not a medical device.")
        segmentation.SetNodeReferenceID(MODEL_LABELS_REFERENCE, model_labels.GetID())
        segmentation.SetNodeReferenceID(UNCERTAINTY_REFERENCE, uncertainty.GetID())
        segmentation.SetNodeReferenceID(VOLUMES_REFERENCE, volumes.GetID())
        for sequence, node in self.input_nodes.items():
            segmentation.SetNodeReferenceID(INPUT_REFERENCE + sequence, node.GetID())
        return SegmentationNodes(segmentation, model_labels, uncertainty, volumes, self.reference, foci, brain)


def _remove_with_helpers(scene, node) -> None:
    """Remove a node with its display and storage nodes (the scene does not remove those itself)."""
    helpers = [node.GetNthDisplayNode(i) for i in range(node.GetNumberOfDisplayNodes())] \
        if hasattr(node, "GetNumberOfDisplayNodes") else []
    helpers += [node.GetStorageNode()] if hasattr(node, "GetStorageNode") else []
    for helper in [node, *helpers]:
        if helper is not None and helper.GetScene() is scene:
            scene.RemoveNode(helper)


def _run_name(scene, case_name: str) -> str:
    """'<case> GliomaAI', or '<case> GliomaAI (2)', (3)... : the first whose nodes are all new names."""
    def taken(name):
        return any(scene.GetFirstNodeByName(f"{name} {what}") is not None
                   for what in ("segmentation", "model labels", "uncertainty", "volumes", "foci", "brain"))
    base = f"{case_name} GliomaAI"
    counter = 1
    while taken(base if counter == 1 else f"{base} ({counter})"):
        counter += 1
    return base if counter == 1 else f"{base} ({counter})"


def volumes_table(scene, volumes_ml: dict, name: str):
    """A table node: Region, Volume (mL), Description; rows NETC, SNFH, ET, WT, TC."""
    rows = {r: {"Volume": float(volumes_ml[r]), "Description": VOLUME_DESCRIPTIONS[r]} for r in VOLUME_ROWS}
    return figures_table(scene, name, "Region", rows, (("Volume", "Volume (mL)", "mL"), ("Description", "Description", "")))


def foci_points(scene, foci: list, name: str):
    """A locked point list: one point at the centre of each part (RAS, as gliomaai's foci give it),
    labelled with its number and volume, largest first."""
    node = scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", name)
    node.CreateDefaultDisplayNodes()
    for number, focus in enumerate(foci, 1):
        index = node.AddControlPoint(*focus["centre_ras_mm"], f"focus {number}: {focus['volume_ml']:.1f} mL")
        node.SetNthControlPointDescription(index, f"core {focus['core_ml']:.1f} mL, enhancing {focus['enhancing_ml']:.1f} mL"
                                                  + (f", {focus['distance_mm']:.0f} mm from focus 1" if number > 1 else ""))
    node.SetLocked(True)  # positions the model found, not for dragging
    return node


def brain_outline(scene, brain: np.ndarray, reference, name: str):
    """The brain the model read as a segmentation drawn as an outline in the slice views (a fill would
    hide the tumour under it) and not in 3D (it would hide the tumour there)."""
    node = mask_to_segmentation(scene, brain, reference, name, BRAIN_SEGMENT, BRAIN_COLOR)
    display = node.GetDisplayNode()
    display.SetVisibility2DFill(False)
    display.SetVisibility2DOutline(True)
    display.SetVisibility3D(False)
    return node


def prepare_run(volumes_by_sequence: dict, model="default", device: str = "auto", tta: bool = DEFAULT_TTA,
                engine=None, case_name: str | None = None) -> SegmentationRun:
    """Read the volumes into a Case and load the model (main thread); errors here are the user's to fix."""
    from gliomaai.inference.engine import default_engine
    from gliomaai.models.registry import load_segmenter
    from gliomaai.segmentation.segmenter import require_sequences

    case = case_from_volumes(volumes_by_sequence, case_name)
    segmenter = load_segmenter(model or "default") if not hasattr(model, "probabilities") else model
    require_sequences(segmenter, case)
    engine = engine or default_engine(device or "auto")
    input_nodes = checked_inputs(volumes_by_sequence)
    return SegmentationRun(case, input_nodes, segmenter, engine, tta)


def run_segmentation(scene, volumes_by_sequence: dict, model="default", device: str = "auto", tta: bool = DEFAULT_TTA,
                     progress=None, cancel=None, engine=None) -> SegmentationNodes:
    """Segment the chosen volumes ({sequence: node or None}) and add the result to the scene as new nodes.

    progress(fraction, message) and cancel() pass through to the model; cancelling raises
    gliomaai.inference.engine.Cancelled and adds nothing to the scene.
    """
    run = prepare_run(volumes_by_sequence, model, device, tta, engine)
    result = run.segment(progress, cancel)
    return run.add_to_scene(scene, result)


# Reading a model segmentation back ---------------------------------------------------------------

def is_model_segmentation(segmentation_node) -> bool:
    return (segmentation_node is not None and segmentation_node.GetAttribute(ROLE_ATTRIBUTE) == MODEL_ROLE
            and segmentation_node.GetNodeReference(MODEL_LABELS_REFERENCE) is not None)


def provenance(segmentation_node) -> dict:
    """The model run's provenance, from the segmentation node's attributes (typed)."""
    out = {}
    for attribute, (key, kind) in PROVENANCE.items():
        text = segmentation_node.GetAttribute(attribute)
        if text is None:
            continue
        if kind is bool:
            out[key] = text == "1"
        elif kind is list:
            out[key] = [t for t in text.split(",") if t]
        elif kind is float:
            out[key] = float(text)
        else:
            out[key] = text
    return out


def model_nodes(segmentation_node) -> SegmentationNodes:
    """The nodes of the run that made `segmentation_node` (an error if a model did not make it)."""
    if not is_model_segmentation(segmentation_node):
        name = segmentation_node.GetName() if segmentation_node is not None else "No segmentation"
        raise GliomaAIError(f"{name}: not made by a GliomaAI model here (no model output kept with it).",
                            "Choose a segmentation that 'Apply' made; only those can be saved as corrections.")
    inputs = input_volumes(segmentation_node)
    reference = segmentation_node.GetNodeReference(segmentation_node.GetReferenceImageGeometryReferenceRole())
    return SegmentationNodes(segmentation_node, segmentation_node.GetNodeReference(MODEL_LABELS_REFERENCE),
                             segmentation_node.GetNodeReference(UNCERTAINTY_REFERENCE),
                             segmentation_node.GetNodeReference(VOLUMES_REFERENCE),
                             reference or next(iter(inputs.values()), None),
                             segmentation_node.GetNodeReference(FOCI_REFERENCE),
                             segmentation_node.GetNodeReference(BRAIN_REFERENCE))


def input_volumes(segmentation_node) -> dict:
    """{sequence: volume node} the model saw, from the segmentation node's references (those still in the scene)."""
    nodes = {s: segmentation_node.GetNodeReference(INPUT_REFERENCE + s) for s in SEQUENCES}
    return {s: n for s, n in nodes.items() if n is not None}


def model_labels_array(segmentation_node) -> np.ndarray:
    """The model's canonical labels (z, y, x), as it gave them (a copy)."""
    from slicer.util import arrayFromVolume

    return np.array(arrayFromVolume(model_nodes(segmentation_node).model_labels), copy=True)


class BackgroundSegmentation(BackgroundRun):
    """The panel's Apply: prepare here, segment in a worker thread, add to the scene when done.

    start() and finish() run on the main thread; in between, poll `progress` and `done` (a
    qt.QTimer in the panel, a loop in tests); cancel() stops the model at its next window.
    """

    def __init__(self, run: SegmentationRun):
        super().__init__(run.segment, run.add_to_scene, name=f"GliomaAI segmentation of {run.case.name}")
        self.run = run
