"""Self-test of the GliomaAIExplain module in desktop Slicer (ctest: py_GliomaAIExplainSelfTest).

One test per check of GliomaAIExplainLib.checks, the very functions pytest runs with slicer-core,
here in the application's Red slice view.
"""

import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleTest

from GliomaAIExplainLib import checks
from GliomaAILib import samples


class GliomaAIExplainSelfTest(ScriptedLoadableModuleTest):
    def setUp(self):
        slicer.mrmlScene.Clear()
        layoutManager = slicer.app.layoutManager()
        if layoutManager is None:
            self.skipTest("no slice views without the main window")
        layoutManager.setLayout(slicer.vtkMRMLLayoutNode.SlicerLayoutFourUpView)
        self.sliceLogic = layoutManager.sliceWidget("Red").sliceLogic()

    def test_heat_table(self):
        checks.check_heat_table(slicer.mrmlScene)

    def test_overlay_on_every_grid(self):
        for grid in samples.GRIDS:
            self.delayDisplay(f"saliency overlay, '{grid}' grid")
            checks.check_overlay(slicer.mrmlScene, self.sliceLogic, grid)

    def test_overlay_opacity(self):
        for opacity in (0.0, 0.3, 1.0):
            checks.check_overlay(slicer.mrmlScene, self.sliceLogic, "anisotropic", opacity=opacity)

    def test_saliency_map_of_the_built_in_model(self):
        try:
            import torch  # noqa: F401 - the model runs on PyTorch
        except ImportError:
            self.skipTest("PyTorch is not installed (GliomaAI installs it at first use)")
        from gliomaai.inference.engine import InferenceEngine
        from GliomaAILib.case_nodes import case_to_nodes

        nodes = case_to_nodes(slicer.mrmlScene, checks.small_phantom())
        checks.check_explanation(slicer.mrmlScene, self.sliceLogic, nodes.volumes, InferenceEngine("cpu"))
