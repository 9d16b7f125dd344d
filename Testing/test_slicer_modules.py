"""The module files' Logic adapters and Reload-and-Test classes, with stand-ins for desktop-only parts.

slicer-core lacks slicer.ScriptedLoadableModule, slicer.i18n and slicer.parameterNodeWrapper.
Minimal stand-ins let the module files import, so their Logic classes (the adapters from the
panel to the Lib packages, on slicer.mrmlScene) and their Test classes run on a real scene.
The Qt widgets are left to desktop Slicer.
"""

import importlib.util
import sys
import types
import unittest
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai import labels as label_conventions
from GliomaAILib import samples
from GliomaAILib.segmentation_nodes import segmentation_to_labels

ROOT = Path(__file__).resolve().parents[1]


class _Module:
    def __init__(self, parent):
        self.parent = parent


class _Widget:
    pass


class _Logic:
    def getParameterNode(self):
        import slicer

        return slicer.mrmlScene.AddNewNodeByClass("vtkMRMLScriptedModuleNode")


class _Test(unittest.TestCase):
    def delayDisplay(self, message, msec=None):
        pass


def _parameter_node_wrapper(cls):
    def __init__(self, parameterNode):
        self.parameterNode = parameterNode
    cls.__init__ = __init__
    return cls


@pytest.fixture
def module_files(monkeypatch, slicer_logics, slice_logic):
    """Import a module file as desktop Slicer would, with stand-ins for what slicer-core lacks."""
    import slicer

    stand_ins = {
        "slicer.ScriptedLoadableModule": dict(ScriptedLoadableModule=_Module, ScriptedLoadableModuleWidget=_Widget,
                                              ScriptedLoadableModuleLogic=_Logic, ScriptedLoadableModuleTest=_Test),
        "slicer.i18n": dict(tr=lambda text: text, translate=lambda context, text: text),
        "slicer.parameterNodeWrapper": dict(parameterNodeWrapper=_parameter_node_wrapper, Choice=lambda *a: a,
                                            Default=lambda *a: a, WithinRange=lambda *a: a),
    }
    for name, attributes in stand_ins.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setattr(slicer, name.split(".")[1], module, raising=False)
    red = types.SimpleNamespace(sliceLogic=lambda: slice_logic)
    layout = types.SimpleNamespace(setLayout=lambda layout: None, sliceWidget=lambda name: red)
    monkeypatch.setattr(slicer, "app", types.SimpleNamespace(layoutManager=lambda: layout), raising=False)

    def load(name):
        path = ROOT / name / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"{name}_module_file", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


@pytest.mark.parametrize("name", ["GliomaAI", "GliomaAISegment", "GliomaAIExplain"])
def test_module_description(module_files, name):
    parent = types.SimpleNamespace()
    getattr(module_files(name), name)(parent)
    assert parent.categories == ["GliomaAI"] and parent.contributors == ["GliomaAI developers"]
    assert parent.title.startswith("GliomaAI") and "not a medical device" in parent.helpText


@pytest.mark.parametrize("name", ["GliomaAI", "GliomaAISegment", "GliomaAIExplain"])
def test_reload_and_test_passes(module_files, name):
    test = getattr(module_files(name), f"{name}Test")("runTest")
    result = unittest.TestResult()
    test.run(result)
    assert result.wasSuccessful() and not result.skipped, result.errors + result.failures + result.skipped


def test_gliomaai_logic_loads_a_case_and_saves_its_segmentation(module_files, scene, tmp_path):
    case = samples.sample_case("oblique", synthetic=())
    for sequence, image in case.images.items():
        sitk.WriteImage(image, str(tmp_path / f"{sequence}.nii.gz"))
    sitk.WriteImage(case.labels, str(tmp_path / "seg.nii.gz"))
    asked = []
    logic = module_files("GliomaAI").GliomaAILogic(ensureDependencies=lambda torch: asked.append(torch) or [])
    assert hasattr(logic.getParameterNode(), "parameterNode")
    nodes = logic.loadCase(tmp_path)
    assert asked == [False]  # loading a case asks for the packages it needs, not for torch
    assert nodes.segmentation.GetScene() is scene
    assert np.array_equal(segmentation_to_labels(nodes.segmentation, nodes.reference), case.label_array())
    path = logic.saveSegmentation(nodes.segmentation, tmp_path / "out" / "case.seg.nrrd")
    assert path.is_file()


def test_segment_logic_round_trips_a_label_file(module_files, scene, tmp_path):
    from GliomaAILib.volumes import add_volume_node

    case = samples.sample_case("anisotropic")
    reference = add_volume_node(scene, case.reference, "t1n")
    labels = sitk.GetImageFromArray(label_conventions.from_canonical(case.label_array(), "brats2021"))
    labels.CopyInformation(case.labels)
    sitk.WriteImage(labels, str(tmp_path / "seg.nii.gz"))
    logic = module_files("GliomaAISegment").GliomaAISegmentLogic()
    segmentation = logic.loadLabels(tmp_path / "seg.nii.gz", reference)  # convention guessed
    logic.exportLabels(segmentation, reference, tmp_path / "aurora.nii.gz", "aurora")
    written = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "aurora.nii.gz")))
    assert np.array_equal(written, label_conventions.from_canonical(case.label_array(), "aurora"))


def test_explain_logic_shows_and_hides_the_overlay(module_files, scene, slice_logic):
    from GliomaAIExplainLib.checks import sample_map
    from GliomaAILib.volumes import add_volume_node

    background_image, map_image = sample_map("identity")
    background = add_volume_node(scene, background_image, "bg")
    saliency = add_volume_node(scene, map_image, "map")
    logic = module_files("GliomaAIExplain").GliomaAIExplainLogic()
    logic.showSaliency(background, saliency, 0.5, 0.6)
    assert slice_logic.GetSliceCompositeNode().GetForegroundVolumeID() == saliency.GetID()
    logic.hideSaliency(saliency)
    assert slice_logic.GetSliceCompositeNode().GetForegroundVolumeID() is None
