"""GliomaAISegment's Logic adapter (what the panel calls), on slicer.mrmlScene, with the desktop-only parts stood in."""

import time

import pytest

from gliomaai.inference.engine import Cancelled, InferenceEngine
from gliomaai.phantom import make_phantom
from GliomaAILib.case_nodes import case_to_nodes
from GliomaAISegmentLib import checks
from test_slicer_modules import module_files  # noqa: F401  (the fixture that imports a module file)


@pytest.fixture
def logic(module_files):  # noqa: F811
    asked = []
    logic = module_files("GliomaAISegment").GliomaAISegmentLogic(
        ensureDependencies=lambda torch: asked.append(torch) or [])
    logic.asked = asked
    return logic


def test_the_panel_flow(logic, scene, slice_logic, tmp_path):
    model = checks.write_tiny_model(tmp_path / "model", spacing_mm=6.0)
    nodes = case_to_nodes(scene, make_phantom((32, 40, 40)))
    assert logic.defaultCaseVolume() is nodes.reference
    volumes = logic.sequenceVolumes(nodes.volumes["t2f"])
    assert volumes == nodes.volumes
    assert not logic.isModelSegmentation(nodes.segmentation) and logic.volumesTable(nodes.segmentation) is None
    background = logic.startSegmentation(volumes, str(model), "cpu", False, engine=InferenceEngine("cpu"))
    assert logic.asked == [True]  # a model run asks for torch first
    deadline = time.monotonic() + 60
    while not background.done:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    result = logic.finishSegmentation(background)
    segmentation = result.segmentation
    assert logic.isModelSegmentation(segmentation)
    assert logic.volumesTable(segmentation) is result.volumes
    assert logic.sourceVolume(segmentation) is nodes.reference
    logic.showUncertainty(segmentation, True)
    assert slice_logic.GetSliceCompositeNode().GetForegroundVolumeID() == result.uncertainty.GetID()
    logic.showUncertainty(segmentation, False)
    assert slice_logic.GetSliceCompositeNode().GetForegroundVolumeID() is None
    assert logic.comparisonTable(segmentation) is None
    checks.edit_like_the_editor(segmentation, result.reference)
    saved = logic.saveCorrection(segmentation, tmp_path / "corrections")
    assert logic.comparisonTable(segmentation) is saved.comparison
    assert (saved.path / "record.json").is_file()


def test_scripted_run_and_cancel(logic, scene, tmp_path):
    model = checks.write_tiny_model(tmp_path / "model", spacing_mm=6.0)
    nodes = case_to_nodes(scene, make_phantom((32, 40, 40)))
    count = scene.GetNumberOfNodes()
    with pytest.raises(Cancelled):
        logic.runSegmentation(nodes.volumes, str(model), "cpu", cancel=lambda: True, engine=InferenceEngine("cpu"))
    assert scene.GetNumberOfNodes() == count
    made = logic.runSegmentation({"t2f": nodes.volumes["t2f"]}, str(model), "cpu", engine=InferenceEngine("cpu"))
    assert made.segmentation.GetAttribute("GliomaAI.Sequences") == "t2f"
