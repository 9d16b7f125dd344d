"""Shared fixtures: a real MRML scene with Slicer's Qt-free module logics (slicer-core).

Slicer is imported inside the fixtures, so tests that need no scene do not pay for it.
Set up as /work/shared/notes/slicer-without-the-desktop-app.md describes: the application
logic keeps only weak pointers to module logics, so the fixture holds every logic it makes.
"""

from pathlib import Path
from types import SimpleNamespace

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _register(app_logic, scene, logic, name: str):
    logic.SetMRMLScene(scene)
    logic.SetMRMLApplicationLogic(app_logic)
    app_logic.SetModuleLogic(name, logic)
    return logic


@pytest.fixture
def slicer_logics():
    """The scene, the application logic and the module logics; slicer.mrmlScene points at the scene."""
    import slicer
    import vtk

    scene = slicer.vtkMRMLScene()
    app_logic = slicer.vtkSlicerApplicationLogic()
    app_logic.SetMRMLScene(scene)
    app_logic.GetColorLogic().SetMRMLScene(scene)
    app_logic.GetColorLogic().AddDefaultColorNodes()
    app_logic.SetSliceLogics(vtk.vtkCollection())
    app_logic.SetViewLogics(vtk.vtkCollection())
    slicer.vtkMRMLSliceNode.AddDefaultSliceOrientationPresets(scene, True)
    logics = SimpleNamespace(
        scene=scene,
        app=app_logic,
        # Segmentations before any segment is added: it registers the binary labelmap representation.
        segmentations=_register(app_logic, scene, slicer.vtkSlicerSegmentationsModuleLogic(), "Segmentations"),
        volumes=_register(app_logic, scene, slicer.vtkSlicerVolumesLogic(), "Volumes"),
        slice_logics=[],
    )
    saved = {name: getattr(slicer, name, None) for name in ("mrmlScene", "modules")}
    slicer.mrmlScene = scene
    # What slicer.util's segmentation helpers look up in desktop Slicer.
    slicer.modules = SimpleNamespace(segmentations=SimpleNamespace(logic=lambda: logics.segmentations),
                                     volumes=SimpleNamespace(logic=lambda: logics.volumes))
    yield logics
    for name, value in saved.items():
        if value is None:
            delattr(slicer, name) if hasattr(slicer, name) else None
        else:
            setattr(slicer, name, value)
    for slice_logic in logics.slice_logics:
        slice_logic.SetMRMLScene(None)
    scene.Clear(1)


@pytest.fixture
def scene(slicer_logics):
    return slicer_logics.scene


@pytest.fixture
def slice_logic(slicer_logics):
    """A slice view's logic ('Red', axial) that renders the blended slice image without OpenGL."""
    import slicer

    logic = slicer.vtkMRMLSliceLogic()
    logic.SetMRMLApplicationLogic(slicer_logics.app)
    logic.SetMRMLScene(slicer_logics.scene)
    slicer_logics.app.GetSliceLogics().AddItem(logic)
    logic.AddSliceNode("Red")
    logic.ResizeSliceNode(160, 128)
    slicer_logics.slice_logics.append(logic)
    return logic


@pytest.fixture
def shared_data():
    """../shared/data beside the repository, or a skip saying it is absent."""
    if not DATA.is_dir():
        pytest.skip(f"real cases not available: {DATA} is absent (CI provides ../shared/data)")
    return DATA


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A segmentation model with random weights; 6 mm voxels make a phantom run take well under a second."""
    from gliomaai.models.untrained import write_untrained_model

    return write_untrained_model(tmp_path_factory.mktemp("model"), spacing_mm=6.0, name="tiny-random")


@pytest.fixture(scope="module")
def engine():
    """An inference engine on the CPU, shared by a module's tests (models stay loaded)."""
    from gliomaai.inference.engine import InferenceEngine

    return InferenceEngine("cpu")
