"""Self-test of the GliomaAISegment module in desktop Slicer (ctest: py_GliomaAISegmentSelfTest).

One test per check of GliomaAISegmentLib.checks, the very functions pytest runs with slicer-core,
here on the application's scene and module logics. The model checks use a tiny model with
random weights written into a temporary folder: they check the plumbing, not the model.
"""

import tempfile
from pathlib import Path

import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleTest

from gliomaai.labels import CONVENTIONS
from GliomaAILib import samples
from GliomaAILib.case_nodes import case_to_nodes
from GliomaAISegmentLib import checks


class GliomaAISegmentSelfTest(ScriptedLoadableModuleTest):
    def setUp(self):
        slicer.mrmlScene.Clear()
        self._folder = tempfile.TemporaryDirectory()
        self.folder = Path(self._folder.name)

    def tearDown(self):
        self._folder.cleanup()

    def _case_volumes(self, grid="oblique", name=None):
        return case_to_nodes(slicer.mrmlScene, samples.sample_case(grid, name=name)).volumes

    def test_label_files_in_every_convention(self):
        for grid in samples.GRIDS:
            case = samples.sample_case(grid)
            for convention in CONVENTIONS:
                for suffix in (".nii.gz", ".nrrd"):
                    self.delayDisplay(f"segmentation -> {convention}{suffix} -> segmentation, '{grid}' grid")
                    checks.check_label_file_round_trip(slicer.mrmlScene, case, self.folder / f"{grid}-{convention}{suffix}",
                                                       convention)

    def test_convention_is_guessed(self):
        for grid in samples.GRIDS:
            for convention in ("brats2023", "brats2021", "brats2015"):
                checks.check_label_file_round_trip(slicer.mrmlScene, samples.sample_case(grid),
                                                   self.folder / f"{grid}-{convention}.nii.gz", convention, guess=True)

    def test_model_run_on_every_grid(self):
        model = checks.write_tiny_model(self.folder / "model")
        for grid in samples.GRIDS:
            self.delayDisplay(f"model run on the '{grid}' grid")
            checks.check_model_run(slicer.mrmlScene, self._case_volumes(grid, f"run-{grid}"), model)

    def test_model_run_on_a_subset_with_tta(self):
        volumes = self._case_volumes()
        checks.check_model_run(slicer.mrmlScene, {"t1c": volumes["t1c"], "t2f": volumes["t2f"]},
                               checks.write_tiny_model(self.folder / "model"), tta=True)

    def test_rerun_keeps_edits(self):
        checks.check_rerun_keeps_edits(slicer.mrmlScene, self._case_volumes(), checks.write_tiny_model(self.folder / "m"))

    def test_correction_record(self):
        checks.check_correction_saved(slicer.mrmlScene, self._case_volumes(), checks.write_tiny_model(self.folder / "m"),
                                      self.folder / "corrections")

    def test_cancel_and_background_run(self):
        model = checks.write_tiny_model(self.folder / "m")
        volumes = self._case_volumes()
        checks.check_cancel_adds_nothing(slicer.mrmlScene, volumes, model)
        checks.check_background_run(slicer.mrmlScene, volumes, model)

    def test_input_errors(self):
        checks.check_input_errors(slicer.mrmlScene, samples.sample_case("anisotropic"), self.folder)
