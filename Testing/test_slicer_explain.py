"""GliomaAIExplain's logic on a real MRML scene: the built-in segmenter explained on a phantom case."""

import numpy as np
import pytest

from gliomaai.inference.engine import InferenceEngine
from GliomaAIExplainLib import checks, explanation_nodes
from GliomaAILib.case_nodes import case_to_nodes
from GliomaAILib.tables import table_rows

from helpers import SHARED_DATA


@pytest.fixture(scope="module")
def engine():
    return InferenceEngine("cpu")


@pytest.fixture
def case_nodes(scene):
    return case_to_nodes(scene, checks.small_phantom())


def test_explanations_become_nodes_that_render_over_the_case(scene, slice_logic, case_nodes, engine):
    checks.check_explanation(scene, slice_logic, case_nodes.volumes, engine)


def test_bad_regions_and_cancel_add_nothing(scene, case_nodes, engine):
    checks.check_explanation_refusals(scene, case_nodes.volumes, engine)


def test_a_segment_drawn_by_the_user_is_the_target(scene, case_nodes, engine):
    """A region of interest painted as a segment: its voxels, not the predicted region, are explained."""
    from slicer.util import updateSegmentBinaryLabelmapFromArray

    segmentation = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "roi")
    segmentation.SetReferenceImageGeometryParameterFromVolumeNode(case_nodes.reference)
    segment_id = segmentation.GetSegmentation().AddEmptySegment("roi")
    with pytest.raises(Exception, match="empty"):
        explanation_nodes.region_of_interest(segmentation, segment_id, case_nodes.reference)
    labels = case_nodes.segmentation
    from GliomaAILib.segmentation_nodes import segmentation_to_labels

    painted = (segmentation_to_labels(labels, case_nodes.reference) > 0).astype(np.uint8)
    painted[: int(np.median(np.nonzero(painted)[0]))] = 0  # the upper half of the tumour
    updateSegmentBinaryLabelmapFromArray(painted, segmentation, segment_id, case_nodes.reference)
    roi = explanation_nodes.region_of_interest(segmentation, segment_id, case_nodes.reference)
    drawn = explanation_nodes.prepare_explanation(case_nodes.volumes, ("saliency",), "WT", roi=roi, engine=engine)
    predicted = explanation_nodes.prepare_explanation(case_nodes.volumes, ("saliency",), "WT", engine=engine)
    assert drawn.explainer.roi and 0 < drawn.explainer.mask.sum() < predicted.explainer.mask.sum()
    made = drawn.add_to_scene(scene, drawn.explain())
    assert '"target_voxels": "region of interest"' in made.maps["saliency"].GetAttribute(explanation_nodes.SALIENCY_ATTRIBUTE)
    assert table_rows(made.trust)[list(table_rows(made.trust))[0]][-1] != "not checked"


def test_the_map_in_3d(scene, case_nodes, engine):
    import slicer

    logic = slicer.vtkSlicerVolumeRenderingLogic()
    logic.SetMRMLScene(scene)
    made = explanation_nodes.run_explanation(scene, case_nodes.volumes, ("saliency",), "WT", trust=False, engine=engine)
    checks.check_volume_rendering(logic, made.maps["saliency"])


def test_the_segmentation_stays_visible_as_outlines(scene, slice_logic, case_nodes, engine):
    made = explanation_nodes.run_explanation(scene, case_nodes.volumes, ("saliency",), "WT", trust=False, engine=engine)
    explanation_nodes.show_saliency(scene, case_nodes.reference, made.maps["saliency"], 0.3, 0.6,
                                    segmentation_node=case_nodes.segmentation, slice_logics=[slice_logic])
    display = case_nodes.segmentation.GetDisplayNode()
    assert display.GetVisibility2DOutline() and not display.GetVisibility2DFill()


@pytest.mark.skipif(not (SHARED_DATA / "brats18-tcia02-135-1").exists(), reason="../shared/data is absent")
def test_every_method_on_a_real_case_through_the_module_logic(scene, engine):
    from GliomaAILib.case_nodes import load_case_nodes

    nodes = load_case_nodes(scene, SHARED_DATA / "brats18-tcia02-135-1")
    made = explanation_nodes.run_explanation(scene, nodes.volumes, tuple(explanation_nodes.METHODS), "TC",
                                             trust=False, engine=engine)
    assert sorted(made.maps) == sorted(explanation_nodes.METHODS)
    for method, node in made.maps.items():
        values = np.asarray(__import__("slicer").util.arrayFromVolume(node))
        assert values.max() > 0.5, method
