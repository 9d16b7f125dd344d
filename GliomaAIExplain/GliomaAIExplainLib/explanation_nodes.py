"""Saliency on volumes of the scene: each map a new volume node, shown over the case, with the
figures that say how far to trust it.

As for segmentation and imputation, the work splits in three so the panel can run the middle
part off the GUI thread: `prepare_explanation` (main thread: volumes into a Case, the region of
interest read from its segment, model loaded, target checked), `ExplanationRun.explain` (any
thread: touches no node), `ExplanationRun.add_to_scene` (main thread: new nodes, never replacing
one). Each map node is named "<case> saliency <method> <target>", carries the attributes
GliomaAI.Saliency (method, target, layer, model) and GliomaAI.Trust (the figures as JSON), and
says in its description that it explains the model and shows no tumour.
"""

import json
from dataclasses import dataclass, field

import numpy as np

from gliomaai.errors import GliomaAIError
from gliomaai.explain.catalogue import DEFAULT_METHOD, METHODS
from gliomaai.labels import REGIONS
from GliomaAILib.case_nodes import CASE_ATTRIBUTE, checked_inputs, case_from_volumes
from GliomaAILib.tables import figures_table
from GliomaAILib.volumes import add_volume_node, free_name
from GliomaAILib.worker import BackgroundRun

from .overlay import show_overlay

SALIENCY_ATTRIBUTE = "GliomaAI.Saliency"
TRUST_ATTRIBUTE = "GliomaAI.Trust"
TRUST_REFERENCE = "GliomaAITrustTable"  # from each map to the table of its run
MAP_DESCRIPTION = "Saliency map: explains the model's output, does not show tumour; not for diagnosis"
TRUST_COLUMNS = (("seconds", "Time (s)", "s"), ("randomisation_spearman", "Rank corr. with random weights", ""),
                 ("deletion_auc", "Deletion area", ""), ("insertion_auc", "Insertion area", ""),
                 ("random_deletion_auc", "Deletion, random order", ""),
                 ("random_insertion_auc", "Insertion, random order", ""), ("verdict", "Verdict", ""))


@dataclass
class ExplanationNodes:
    maps: dict  # method -> vtkMRMLScalarVolumeNode (0..1 on the case's grid)
    trust: object  # vtkMRMLTableNode: one row per method
    importance: object  # vtkMRMLTableNode: one row per sequence, 1 - Dice per region
    chart: object  # vtkMRMLPlotChartNode: the importance as bars
    explanations: list = field(default_factory=list)


class ExplanationRun:
    """One explanation request: case, model and target fixed on the main thread; explain anywhere."""

    def __init__(self, explainer, methods, layer=None, trust: bool = True):
        self.explainer, self.methods, self.layer, self.trust = explainer, tuple(methods), layer, trust

    def explain(self, progress=None, cancel=None):
        explanations = []
        for index, method in enumerate(self.methods):
            def report(fraction, message, index=index):
                if progress:
                    progress((index + fraction) / len(self.methods), message)

            explanations.append(self.explainer.explain(method, self.layer, self.trust, report, cancel))
        return explanations, self.explainer.sequence_importance()

    def add_to_scene(self, scene, result) -> ExplanationNodes:
        explanations, importance = result
        case, target = self.explainer.case, self.explainer.target
        segmenter = self.explainer.segmenter
        maps = {}
        for e in explanations:
            node = add_volume_node(scene, e.saliency, free_name(scene, f"{case.name} saliency {e.method} {target}"))
            node.SetAttribute(CASE_ATTRIBUTE, case.name)
            node.SetAttribute(SALIENCY_ATTRIBUTE, json.dumps(
                {"method": e.method, "target": target, "layer": e.layer, "model": f"{segmenter.name} {segmenter.version}",
                 "target_voxels": "region of interest" if self.explainer.roi else "predicted region"}))
            if e.trust:
                node.SetAttribute(TRUST_ATTRIBUTE, json.dumps({k: v for k, v in e.trust.items() if k != "curves"}))
            node.SetDescription(f"{METHODS[e.method].title} for {target} by {segmenter.name} {segmenter.version}. "
                                f"{MAP_DESCRIPTION}." + (f" {e.note}" if e.note else ""))
            maps[e.method] = node
        rows = {METHODS[e.method].title: {"seconds": e.seconds, **(e.trust or {"verdict": "not checked"})}
                for e in explanations}
        trust = figures_table(scene, free_name(scene, f"{case.name} saliency trust {target}"), "Method", rows,
                              TRUST_COLUMNS)
        importance_table, chart = importance_chart(scene, importance, f"{case.name} sequence importance")
        for node in maps.values():
            node.SetNodeReferenceID(TRUST_REFERENCE, trust.GetID())
        return ExplanationNodes(maps, trust, importance_table, chart, explanations)


def importance_chart(scene, importance: dict, name: str):
    """A table (1 - Dice of the prediction without each sequence, per region) and a bar chart of it."""
    import slicer

    rows = {s: {"index": i, **{r: (v or {}).get("importance", 0.0) for r, v in regions.items()}}
            for i, (s, regions) in enumerate(importance.items())}
    table = figures_table(scene, free_name(scene, name), "Sequence", rows,
                          [("index", "#", "")] + [(r, r, "") for r in REGIONS])
    chart = scene.AddNewNodeByClass("vtkMRMLPlotChartNode", free_name(scene, f"{name} chart"))
    chart.SetTitle("What removing each sequence changes (1 - Dice)")
    chart.SetXAxisTitle("sequence")
    chart.SetYAxisTitle("1 - Dice")
    for region in REGIONS:
        series = scene.AddNewNodeByClass("vtkMRMLPlotSeriesNode", f"{name} {region}")
        series.SetAndObserveTableNodeID(table.GetID())
        series.SetPlotType(slicer.vtkMRMLPlotSeriesNode.PlotTypeBar)
        series.SetXColumnName("index")
        series.SetYColumnName(region)
        series.SetLabelColumnName("Sequence")
        chart.AddAndObservePlotSeriesNodeID(series.GetID())
    return table, chart


def region_of_interest(segmentation_node, segment_id: str, reference_node):
    """A drawn segment as a mask image on the reference volume's grid (main thread)."""
    import SimpleITK as sitk
    from slicer.util import arrayFromSegmentBinaryLabelmap

    from GliomaAILib.volumes import node_to_image

    if segmentation_node is None or not segment_id or segmentation_node.GetSegmentation().GetSegment(segment_id) is None:
        raise GliomaAIError("No region of interest was chosen.", "Choose a segmentation and one of its segments.")
    array = arrayFromSegmentBinaryLabelmap(segmentation_node, segment_id, reference_node)
    if array is None or not np.any(array):
        raise GliomaAIError(f"Segment '{segmentation_node.GetSegmentation().GetSegment(segment_id).GetName()}' is empty.",
                            "Paint the region of interest first.")
    mask = sitk.GetImageFromArray((np.asarray(array) > 0).astype(np.uint8))
    mask.CopyInformation(node_to_image(reference_node))
    return mask


def prepare_explanation(volumes_by_sequence: dict, methods=(DEFAULT_METHOD,), target: str = "WT", roi=None,
                        layer: str | None = None, trust: bool = True, model="default", device: str = "auto",
                        engine=None, case_name: str | None = None) -> ExplanationRun:
    """Read the volumes into a Case, load the model and check the target (main thread): errors here are the
    user's to fix (an empty region, a region outside the image). `roi` is a mask image, or None."""
    from gliomaai.explain.catalogue import check_method
    from gliomaai.explain.explainer import CaseExplainer
    from gliomaai.inference.engine import default_engine

    for method in methods:
        check_method(method)
    if not methods:
        raise GliomaAIError("No saliency method was chosen.", f"Choose one of {', '.join(METHODS)}.")
    checked_inputs(volumes_by_sequence)
    case = case_from_volumes(volumes_by_sequence, case_name)
    explainer = CaseExplainer(case, target, model, engine or default_engine(device or "auto"), roi=roi)
    return ExplanationRun(explainer, methods, layer, trust)


def run_explanation(scene, volumes_by_sequence: dict, methods=(DEFAULT_METHOD,), target: str = "WT", roi=None,
                    layer=None, trust: bool = True, model="default", progress=None, cancel=None,
                    engine=None) -> ExplanationNodes:
    """Explain and add the maps and figures to the scene; cancelling raises Cancelled and adds nothing."""
    run = prepare_explanation(volumes_by_sequence, methods, target, roi, layer, trust, model, engine=engine)
    return run.add_to_scene(scene, run.explain(progress, cancel))


class BackgroundExplanation(BackgroundRun):
    """The panel's Explain: prepared on the main thread, explained in a worker thread."""

    def __init__(self, run: ExplanationRun):
        super().__init__(run.explain, run.add_to_scene, name=f"GliomaAI saliency for {run.explainer.case.name}")
        self.run = run


def show_saliency(scene, background_node, map_node, threshold: float, opacity: float, segmentation_node=None,
                  slice_logics=None, interpolate: bool = True):
    """The map over the case in the slice views; the segmentation, if given, as outlines over it."""
    display = show_overlay(scene, background_node, map_node, threshold, opacity, slice_logics=slice_logics,
                           window=(threshold, 1.0), interpolate=interpolate)
    if segmentation_node is not None:
        if segmentation_node.GetDisplayNode() is None:
            segmentation_node.CreateDefaultDisplayNodes()
        outline = segmentation_node.GetDisplayNode()
        outline.SetVisibility(True)
        outline.SetVisibility2DFill(False)  # the fill would hide the heat under it
        outline.SetVisibility2DOutline(True)
    return display


def show_in_3d(volume_rendering_logic, map_node, threshold: float, opacity: float = 0.6):
    """The map as volume rendering in heat colours: transparent under `threshold`, up to `opacity` at 1.

    `volume_rendering_logic` is slicer.modules.volumerendering.logic() in the application.
    """
    from gliomaai.explain.heat import heat_color

    display = volume_rendering_logic.GetFirstVolumeRenderingDisplayNode(map_node)
    if display is None:
        display = volume_rendering_logic.CreateDefaultVolumeRenderingNodes(map_node)
    volume_property = display.GetVolumePropertyNode().GetVolumeProperty()
    opacities = volume_property.GetScalarOpacity()
    opacities.RemoveAllPoints()
    opacities.AddPoint(0.0, 0.0)
    opacities.AddPoint(max(threshold - 1e-3, 0.0), 0.0)
    opacities.AddPoint(threshold, 0.05 * opacity)
    opacities.AddPoint(1.0, opacity)
    colours = volume_property.GetRGBTransferFunction()
    colours.RemoveAllPoints()
    for t in np.linspace(0, 1, 9):
        colours.AddRGBPoint(threshold + t * (1 - threshold), *heat_color(t))
    display.SetVisibility(True)
    return display


def hide_in_3d(map_node) -> None:
    """Take the map out of the 3D view (its volume rendering display, if any, is hidden)."""
    for index in range(map_node.GetNumberOfDisplayNodes()):
        display = map_node.GetNthDisplayNode(index)
        if display is not None and display.IsA("vtkMRMLVolumeRenderingDisplayNode"):
            display.SetVisibility(False)
