"""GliomaAISegment: a model run on a case in the scene, with real MRML nodes (slicer-core) and a tiny random model.

The checks are GliomaAISegmentLib.checks, the ones the Slicer self-test runs; here they also run
on a phantom brain put into the scene with case_to_nodes.
"""

import threading
import time

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai.case import Case
from gliomaai.errors import GliomaAIError
from gliomaai.inference.engine import Cancelled
from gliomaai.phantom import make_phantom
from GliomaAILib import case_nodes, samples
from GliomaAILib.case_nodes import case_to_nodes
from GliomaAILib.segmentation_nodes import segmentation_to_labels
from GliomaAILib.worker import BackgroundJob
from GliomaAISegmentLib import checks, display, segmentation_run

from helpers import SHARED_DATA


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((32, 40, 40), seed=3)


@pytest.fixture
def phantom_nodes(scene, phantom):
    return case_to_nodes(scene, phantom)


def test_run_on_the_phantom(scene, phantom_nodes, tiny_model, engine):
    nodes = checks.check_model_run(scene, phantom_nodes.volumes, tiny_model, engine)
    assert nodes.segmentation.GetName() == "phantom-synthetic GliomaAI segmentation"
    made = segmentation_run.provenance(nodes.segmentation)
    assert made["synthetic_inputs"] == ["t1c", "t1n", "t2f", "t2w"]  # every phantom image is marked synthetic
    # The case's own labels node is untouched and still the case's labels.
    assert phantom_nodes.segmentation.GetAttribute("GliomaAI.Role") == "labels"


@pytest.mark.parametrize("grid", list(samples.GRIDS))
def test_run_on_every_sample_grid(scene, tmp_path, grid, engine):
    model = checks.write_tiny_model(tmp_path / "model", spacing_mm=2.0)
    nodes = case_to_nodes(scene, samples.sample_case(grid))
    checks.check_model_run(scene, nodes.volumes, model, engine)


def test_any_subset_of_sequences_with_tta(scene, phantom_nodes, tiny_model, engine):
    chosen = {"t1n": None, "t1c": phantom_nodes.volumes["t1c"], "t2w": None, "t2f": phantom_nodes.volumes["t2f"]}
    nodes = checks.check_model_run(scene, chosen, tiny_model, engine, tta=True)
    assert segmentation_run.provenance(nodes.segmentation)["sequences"] == ["t1c", "t2f"]


def test_rerun_makes_a_new_node_and_keeps_the_edits(scene, phantom_nodes, tiny_model, engine):
    first, second = checks.check_rerun_keeps_edits(scene, phantom_nodes.volumes, tiny_model, engine)
    assert second.segmentation.GetName() == "phantom-synthetic GliomaAI (2) segmentation"
    third = segmentation_run.run_segmentation(scene, phantom_nodes.volumes, tiny_model, "cpu", engine=engine)
    assert third.segmentation.GetName() == "phantom-synthetic GliomaAI (3) segmentation"
    assert third.volumes.GetName() == "phantom-synthetic GliomaAI (3) volumes"


def test_cancel_adds_nothing(scene, phantom_nodes, tiny_model, engine):
    checks.check_cancel_adds_nothing(scene, phantom_nodes.volumes, tiny_model, engine)


def test_background_run(scene, phantom_nodes, tiny_model, engine):
    checks.check_background_run(scene, phantom_nodes.volumes, tiny_model, engine)


def test_input_errors(scene, tmp_path):
    checks.check_input_errors(scene, samples.sample_case("anisotropic"), tmp_path)


def test_mismatched_grid_error_names_both_volumes(scene, phantom_nodes, tiny_model):
    other = make_phantom((32, 40, 48), seed=1)
    stranger = case_to_nodes(scene, other).volumes["t2f"]
    with pytest.raises(GliomaAIError) as error:
        segmentation_run.prepare_run({"t1c": phantom_nodes.volumes["t1c"], "t2f": stranger}, tiny_model, "cpu")
    assert stranger.GetName() in str(error.value) and phantom_nodes.volumes["t1c"].GetName() in str(error.value)
    assert "register" in error.value.hint.lower()


def test_sequence_selectors_are_filled_from_the_case(scene, phantom_nodes):
    found = case_nodes.sequence_volumes(scene, phantom_nodes.volumes["t2w"])
    assert found == phantom_nodes.volumes
    from GliomaAILib.volumes import add_volume_node

    loose = add_volume_node(scene, make_phantom((16, 16, 16)).images["t2f"], "patient FLAIR")
    assert case_nodes.sequence_volumes(scene, loose) == {"t2f": loose}
    assert case_nodes.sequence_volumes(scene, None) == {}


def test_uncertainty_overlay(scene, slice_logic, phantom_nodes, tiny_model, engine):
    nodes = segmentation_run.run_segmentation(scene, phantom_nodes.volumes, tiny_model, "cpu", engine=engine)
    display.show_uncertainty(scene, nodes.segmentation)
    composite = slice_logic.GetSliceCompositeNode()
    assert composite.GetForegroundVolumeID() == nodes.uncertainty.GetID()
    assert composite.GetBackgroundVolumeID() == nodes.reference.GetID()
    display.hide_uncertainty(scene)
    assert composite.GetForegroundVolumeID() is None


def test_the_scene_is_not_touched_off_the_main_thread(scene, phantom_nodes, tiny_model, engine, monkeypatch):
    """The worker runs segment() only: every node is made by finish(), on the calling thread."""
    run = segmentation_run.prepare_run(phantom_nodes.volumes, tiny_model, "cpu", engine=engine)
    threads = []
    original = run.add_to_scene
    monkeypatch.setattr(run, "add_to_scene", lambda s, r: threads.append(threading.current_thread()) or original(s, r))
    count = scene.GetNumberOfNodes()
    background = segmentation_run.BackgroundSegmentation(run).start()
    assert background.job.wait(60)
    assert scene.GetNumberOfNodes() == count  # nothing was added while the worker ran
    nodes = background.finish(scene)
    assert threads == [threading.main_thread()]
    assert np.array_equal(segmentation_to_labels(nodes.segmentation, nodes.reference),
                          segmentation_run.model_labels_array(nodes.segmentation))


def test_background_job_reports_cancels_and_raises():
    steps = []

    def work(progress, cancel):
        for step in range(1000):
            if cancel():
                raise Cancelled("stopped")
            progress(step / 1000, f"step {step}")
            steps.append(step)
            time.sleep(0.002)
        return "finished"

    job = BackgroundJob(work).start()
    while job.progress[0] < 0.01:
        time.sleep(0.001)
    assert job.running and not job.done
    job.cancel()
    assert job.wait(10) and job.cancelled
    with pytest.raises(Cancelled):
        job.result()
    assert 0 < len(steps) < 1000

    quick = BackgroundJob(lambda progress, cancel: 42).start()
    assert quick.wait(10) and quick.result() == 42 and quick.progress == (1.0, "done")
    failing = BackgroundJob(lambda progress, cancel: 1 / 0).start()
    failing.wait(10)
    with pytest.raises(ZeroDivisionError):
        failing.result()
    with pytest.raises(RuntimeError, match="not finished"):
        BackgroundJob(lambda p, c: None).result()


def test_inputs_removed_while_the_model_ran(scene, phantom_nodes, tiny_model, engine):
    run = segmentation_run.prepare_run(phantom_nodes.volumes, tiny_model, "cpu", engine=engine)
    result = run.segment()
    scene.RemoveNode(phantom_nodes.volumes["t1c"])
    count = scene.GetNumberOfNodes()
    with pytest.raises(GliomaAIError, match="removed from the scene while the model ran"):
        run.add_to_scene(scene, result)
    assert scene.GetNumberOfNodes() == count


def test_a_failure_while_adding_leaves_no_half_result(scene, phantom_nodes, tiny_model, engine, monkeypatch):
    run = segmentation_run.prepare_run(phantom_nodes.volumes, tiny_model, "cpu", engine=engine)
    result = run.segment()
    count = scene.GetNumberOfNodes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(segmentation_run, "volumes_table", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run.add_to_scene(scene, result)
    assert scene.GetNumberOfNodes() == count, "a failed run left nodes behind"


def test_a_head_scan_s_brain_is_shown_as_an_outline_with_the_run(scene, phantom, tiny_model, engine, monkeypatch):
    """Images not skull-stripped: the brain found on them (deepbet's, tested on a real head elsewhere) joins the run."""
    import gliomaai.case

    brain = phantom.brain_mask_array()
    images = {}
    for index, sequence in enumerate(phantom.present):  # a raw scan's background is noise, not zero
        noise = np.abs(np.random.default_rng(index).normal(0, 0.02 * phantom.array(sequence)[brain].mean(), brain.shape))
        images[sequence] = sitk.GetImageFromArray(np.where(brain, phantom.array(sequence), noise).astype(np.float32))
        images[sequence].CopyInformation(phantom.reference)
    head = Case("head", images)
    monkeypatch.setattr(gliomaai.case, "is_head", lambda mask, spacing: True)
    monkeypatch.setattr(gliomaai.case, "brain_of_head",
                        lambda images, synthetic: (brain.copy(), "The images are not skull-stripped: found."))
    volumes = case_to_nodes(scene, head).volumes
    nodes = checks.check_model_run(scene, volumes, tiny_model, engine)
    reference = next(iter(volumes.values()))
    checks.check_brain(nodes, segmentation_run.provenance(nodes.segmentation)["notes"], reference, expected=brain)
    assert nodes.brain.GetName() == f"{head.name} GliomaAI brain"
    assert segmentation_run.model_nodes(nodes.segmentation).brain is nodes.brain


@pytest.mark.skipif(not (SHARED_DATA / "tcga-fg-6692" / "native").exists(), reason="real cases not present (../shared/data)")
def test_a_raw_study_in_the_scene_gets_its_brain_outline(scene, engine):
    """The raw TCGA study (not skull-stripped, 5.5 mm slices) put into the scene and segmented by the built-in
    model: the brain deepbet found on the volumes is the one found on the files, and the foci are in it."""
    from gliomaai.case import load_case
    from gliomaai.models.registry import find_card

    case = load_case(SHARED_DATA / "tcga-fg-6692" / "native", align=True)
    volumes = case_to_nodes(scene, case).volumes
    nodes = checks.check_model_run(scene, volumes, str(find_card("default")), engine)
    checks.check_brain(nodes, segmentation_run.provenance(nodes.segmentation)["notes"], volumes["t1c"],
                       expected=case.brain_mask_array())
