"""Self-test of the GliomaAISegment module in desktop Slicer (ctest: py_GliomaAISegmentSelfTest).

One test per check of GliomaAISegmentLib.checks, the very functions pytest runs with slicer-core,
here on the application's scene and module logics.
"""

import tempfile
from pathlib import Path

import slicer
from slicer.ScriptedLoadableModule import ScriptedLoadableModuleTest

from gliomaai.labels import CONVENTIONS
from GliomaAILib import samples
from GliomaAISegmentLib import checks


class GliomaAISegmentSelfTest(ScriptedLoadableModuleTest):
    def setUp(self):
        slicer.mrmlScene.Clear()
        self._folder = tempfile.TemporaryDirectory()
        self.folder = Path(self._folder.name)

    def tearDown(self):
        self._folder.cleanup()

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
