"""The web app's state and callbacks without a browser: a real trame server object (not started),
trame-slicer's scene, views and Segment Editor, and the GliomaAI panel, with views that render
only when asked (rendering on every MRML event costs minutes on two cores). Brush strokes are
mouse events sent to a slice view's interactor, as the page's streamed view sends them."""

import uuid
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from helpers import StandInTimer

pytest.importorskip("trame_slicer", reason="trame-slicer is not installed (pip install -e '.[slicer]')")


def quiet_view_factory():
    """Off-screen views that render only when a test asks."""
    from trame_slicer.views import DirectViewFactory
    from trame_slicer.views.render_scheduler import NoScheduleRendering

    class QuietViewFactory(DirectViewFactory):
        def _update_view_properties(self, view_instance, view):
            view_instance = super()._update_view_properties(view_instance, view)
            view_instance.set_scheduled_render(NoScheduleRendering())
            return view_instance

    return QuietViewFactory(do_render_offscreen=True)


@pytest.fixture(scope="module")
def imputer(tmp_path_factory):
    from gliomaai.models.untrained import write_untrained_imputer

    return write_untrained_imputer(tmp_path_factory.mktemp("imputer"))


@pytest.fixture
def web(tmp_path, tiny_model, imputer, engine):
    from trame.app import get_server

    from gliomaai_web.app import GliomaAIWebApp
    from gliomaai_web.case_folder import CaseFolder

    server = get_server(f"test-{uuid.uuid4().hex}", client_type="vue3")
    app = GliomaAIWebApp(server, CaseFolder(None), tmp_path / "corrections", segmenter=tiny_model, imputer=imputer,
                         engine=engine, view_factory=quiet_view_factory(), timer=StandInTimer)
    yield app
    app.slicer_app.scene.Clear(1)


def run_job(web, name: str):
    """Wait for the panel's run, then poll once, as the page's timer would."""
    job = web.panel.jobs[name]
    assert job.background.job.wait(120), f"{name} did not finish"
    job.timer.tick()
    assert not job.running


def paint_stroke(view, start, end, steps: int = 8) -> None:
    """A left-button drag across a view, in its pixel coordinates."""
    from vtkmodules.vtkCommonCore import vtkCommand

    view.render()
    interactor = view.interactor()
    points = [tuple(int(round(a + (b - a) * t)) for a, b in zip(start, end)) for t in np.linspace(0, 1, steps)]
    events = [(vtkCommand.MouseMoveEvent, points[0]), (vtkCommand.LeftButtonPressEvent, points[0])]
    events += [(vtkCommand.MouseMoveEvent, p) for p in points[1:]] + [(vtkCommand.LeftButtonReleaseEvent, points[-1])]
    for event, position in events:
        interactor.SetEventPosition(*position)
        interactor.InvokeEvent(event)


def segment_phantom(web):
    state = web.server.state
    assert web.panel.load_case()
    assert web.panel.segment() and state["g_busy"]
    run_job(web, "segment")
    assert state["g_error"] == "" and state["g_busy"] is False
    return web.panel.segmentation_node


def test_page_state_starts_with_the_cases_and_loads_one(web):
    state = web.server.state
    assert [c["value"] for c in state["g_cases"]] == ["phantom (synthetic)"]
    assert state["g_loaded"] == "" and not state["g_busy"]
    assert web.panel.load_case()
    assert state["g_loaded"] == "phantom"
    assert [s["status"] for s in state["g_sequences"]] == ["synthetic"] * 4  # the phantom is not a real scan
    assert "not a real scan" in state["g_synthetic_warning"]
    red = web.view("Red")
    shown = web.slicer_app.scene.GetNodeByID(red.get_background_volume_id())
    assert shown.GetName() == "phantom t2f synthetic"
    web.panel.show_sequence("t1c")
    assert web.slicer_app.scene.GetNodeByID(
        red.get_background_volume_id()).GetName() == "phantom t1c synthetic"


def test_a_case_outside_the_list_is_refused_with_a_message(web):
    state = web.server.state
    assert not web.panel.load_case("../../etc")
    assert state["g_error_visible"] and "not one of the cases offered" in state["g_error"]
    assert state["g_loaded"] == ""


def test_segment_then_paint_then_save_records_the_stroke(web):
    from GliomaAISegmentLib.segmentation_run import model_labels_array
    from trame_slicer.segmentation import SegmentationEffectPaint

    from gliomaai import corrections

    state = web.server.state
    segmentation = segment_phantom(web)
    assert state["g_segmentation"] == segmentation.GetName()
    assert "Sequences used: " in state["g_status"]  # the run's notes, shown with the result
    editor = web.slicer_app.segmentation_editor
    assert editor.active_segmentation_node is segmentation
    model = model_labels_array(segmentation)

    editor.set_active_segment_id(editor.get_segment_ids()[0])  # NETC
    editor.set_active_effect_type(SegmentationEffectPaint)
    red = web.view("Red")
    width, height = red.render_window().GetSize()
    paint_stroke(red, (width * 0.3, height * 0.5), (width * 0.45, height * 0.5))

    assert web.panel.save_correction(), state["g_error"]
    record = corrections.read_correction(Path(state["g_saved_path"]))
    corrected = sitk.GetArrayFromImage(record.corrected)
    added = (corrected == 1) & (model != 1)
    assert added.sum() > 20, "the brush stroke is not in the saved correction"
    assert record.record["comparison"]["NETC"]["added_ml"] > 0
    assert "Saved phantom" in state["g_saved"]
    # Nothing was overwritten: the model's own labels are kept as they were.
    np.testing.assert_array_equal(model_labels_array(segmentation), model)


def test_the_first_brush_stroke_paints_with_the_carried_fix(web):
    """trame-slicer 2.0.0 gives the pipelines made at start-up no view; the fix attaches them."""
    from trame_slicer.segmentation import SegmentationEffectPaint

    from gliomaai_web.editor_fix import attach_missing_views

    segment_phantom(web)
    editor = web.slicer_app.segmentation_editor
    effect = editor.get_effect(SegmentationEffectPaint)
    # The effect's pipelines were built with the views (the page's effect panels ask for the
    # parameters first); at least one had no view until activation looks it up.
    missing = [p() for p in effect.pipelines if p() is not None and p()._view is None]
    assert missing, "trame-slicer now gives the views itself: the carried fix may be retired"
    editor.set_active_effect_type(SegmentationEffectPaint)  # the first activation: would raise without the fix
    assert all(p()._view is not None for p in effect.pipelines if p() is not None)
    assert attach_missing_views(editor, effect) == 0  # nothing left to fix
    segment_id = editor.get_segment_ids()[2]  # ET: little of it in the middle of the brain
    editor.set_active_segment_id(segment_id)
    before = int(editor.get_segment_labelmap(segment_id, as_numpy_array=True).sum())
    red = web.view("Red")
    width, height = red.render_window().GetSize()
    paint_stroke(red, (width * 0.3, height * 0.55), (width * 0.4, height * 0.55))
    after = int(editor.get_segment_labelmap(segment_id, as_numpy_array=True).sum())
    assert after > before


def test_segmenting_again_keeps_the_edited_segmentation(web):
    first = segment_phantom(web)
    first.GetSegmentation().GetNthSegment(0).SetName("edited by hand")
    second = segment_phantom(web)
    assert second is not first and first.GetScene() is web.slicer_app.scene
    assert first.GetSegmentation().GetNthSegment(0).GetName() == "edited by hand"


def test_cancel_adds_nothing_and_one_run_at_a_time(web):
    state = web.server.state
    web.panel.load_case()
    before = web.slicer_app.scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode")
    assert web.panel.segment()
    assert not web.panel.impute()  # a second run waits for the first
    assert "Busy" in state["g_error_title"]
    web.panel.cancel()
    run_job(web, "segment")
    assert web.slicer_app.scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode") == before
    assert state["g_status"].startswith("Cancelled") or state["g_segmentation"]  # it may have finished first
    assert state["g_busy"] is False


def test_save_before_segmenting_says_what_to_do(web):
    web.panel.load_case()
    assert not web.panel.save_correction()
    assert "Segment the case first" in web.server.state["g_error"]


def test_imputed_sequence_is_marked_synthetic_on_the_page(web, tmp_path):
    from gliomaai.phantom import make_phantom
    from gliomaai.imageio import write_image
    from gliomaai_web.case_folder import CaseFolder
    from gliomaai_web.panel import GliomaAIPanel

    case = make_phantom((40, 48, 48))
    folder = tmp_path / "cases" / "two-sequences"
    folder.mkdir(parents=True)
    for sequence in ("t1c", "t2f"):
        image = sitk.Cast(case.images[sequence], sitk.sitkFloat32)
        for key in image.GetMetaDataKeys():
            image.EraseMetaData(key)  # a real scan: no synthetic mark
        write_image(image, folder / f"{sequence}.nii.gz")
    panel = GliomaAIPanel(web.server.state, web.slicer_app, CaseFolder(tmp_path / "cases"), tmp_path / "c",
                          web.panel.segmenter, web.panel.imputer, web.panel.engine, StandInTimer)
    state = web.server.state
    assert panel.load_case("two-sequences"), state["g_error"]
    assert {s["sequence"]: s["status"] for s in state["g_sequences"]} == {
        "t1n": "missing", "t2w": "missing", "t1c": "present", "t2f": "present"}
    assert state["g_synthetic_warning"] == ""
    assert panel.impute()
    assert panel.jobs["impute"].background.job.wait(120)
    panel.jobs["impute"].timer.tick()
    assert {s["sequence"]: s["status"] for s in state["g_sequences"]} == {
        "t1n": "synthetic", "t2w": "synthetic", "t1c": "present", "t2f": "present"}
    assert state["g_view_sequence"] == "t1n" and "SYNTHETIC t1n" in state["g_synthetic_warning"]


def test_saliency_overlay_follows_threshold_and_opacity(web):
    state = web.server.state
    segment_phantom(web)
    assert state["g_method"] == "gradcampp"  # the page's default, run in a worker thread as the page does
    state["g_target"], state["g_trust"] = "WT", False
    assert web.panel.explain(), state["g_error"]
    run_job(web, "explain")
    assert state["g_saliency"].startswith("phantom saliency gradcampp WT"), state["g_error"]
    red = web.view("Red")
    map_node = web.slicer_app.scene.GetNodeByID(red.get_foreground_volume_id())
    composite = red._logic.GetSliceCompositeNode()
    assert map_node.GetName() == state["g_saliency"]
    state["g_threshold"], state["g_opacity"] = 0.5, 0.25
    web.panel.restyle_saliency()
    assert composite.GetForegroundOpacity() == pytest.approx(0.25)
    assert map_node.GetDisplayNode().GetLowerThreshold() == pytest.approx(0.5)
    web.panel.hide_saliency()
    assert composite.GetForegroundVolumeID() is None and state["g_saliency"] == ""
