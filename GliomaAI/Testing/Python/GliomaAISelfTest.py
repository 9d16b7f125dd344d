"""Self-test of the GliomaAI module in desktop Slicer (ctest: py_GliomaAISelfTest).

One test per check of GliomaAILib.checks, the very functions pytest runs with slicer-core, here
on the application's scene and module logics.
"""

import tempfile
from pathlib import Path

import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleTest

from gliomaai.labels import CONVENTIONS
from GliomaAILib import checks, samples


class GliomaAISelfTest(ScriptedLoadableModuleTest):
    def setUp(self):
        slicer.mrmlScene.Clear()
        self._folder = tempfile.TemporaryDirectory()
        self.folder = Path(self._folder.name)

    def tearDown(self):
        self._folder.cleanup()

    def test_case_round_trip(self):
        for grid in samples.GRIDS:
            self.delayDisplay(f"case -> nodes -> case, '{grid}' grid")
            checks.check_case_round_trip(slicer.mrmlScene, samples.sample_case(grid, name=f"self-test {grid}"))

    def test_labels_round_trip_in_every_convention(self):
        for grid in samples.GRIDS:
            for convention in CONVENTIONS:
                self.delayDisplay(f"labels -> segmentation -> labels, {convention}, '{grid}' grid")
                checks.check_labels_round_trip(slicer.mrmlScene, samples.sample_case(grid), convention)

    def test_empty_segments_survive(self):
        for grid in samples.GRIDS:
            checks.check_empty_segments_survive(slicer.mrmlScene, samples.sample_case(grid))

    def test_volume_files(self):
        for grid in samples.GRIDS:
            case = samples.sample_case(grid)
            for suffix in (".nrrd", ".nii.gz"):
                self.delayDisplay(f"volume -> {suffix} -> volume, '{grid}' grid")
                checks.check_volume_file_round_trip(slicer.mrmlScene, case.images["t1c"], self.folder / f"{grid}{suffix}")
                checks.check_volume_file_round_trip(slicer.mrmlScene, case.labels, self.folder / f"{grid}-labels{suffix}",
                                                    labelmap=True)

    def test_segmentation_files(self):
        for grid in samples.GRIDS:
            self.delayDisplay(f"segmentation -> .seg.nrrd -> segmentation, '{grid}' grid")
            checks.check_segmentation_file_round_trip(slicer.mrmlScene, samples.sample_case(grid),
                                                      self.folder / f"{grid}.seg.nrrd")
