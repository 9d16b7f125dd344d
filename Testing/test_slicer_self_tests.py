"""The Slicer self-tests (Testing/Python/*SelfTest.py of each module) run here too, on slicer-core.

Desktop Slicer provides slicer.ScriptedLoadableModule and slicer.app; slicer-core does not, so
a stand-in with the parts the self-tests use is put in place: a TestCase whose delayDisplay
only records, and an application whose layout manager hands out the fixture's slice logic.
That the self-tests pass here shows they run the same checks as the rest of this suite. (The
modules' own Reload-and-Test classes run in test_slicer_modules.py.)
"""

import importlib.util
import io
import sys
import types
import unittest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SELF_TESTS = {
    "GliomaAI": ROOT / "GliomaAI" / "Testing" / "Python" / "GliomaAISelfTest.py",
    "GliomaAISegment": ROOT / "GliomaAISegment" / "Testing" / "Python" / "GliomaAISegmentSelfTest.py",
    "GliomaAIExplain": ROOT / "GliomaAIExplain" / "Testing" / "Python" / "GliomaAIExplainSelfTest.py",
}


class _ScriptedLoadableModuleTest(unittest.TestCase):
    messages = []

    def delayDisplay(self, message, msec=None):
        self.messages.append(message)


@pytest.fixture
def desktop_stand_in(monkeypatch, slicer_logics, slice_logic):
    import slicer

    module = types.ModuleType("slicer.ScriptedLoadableModule")
    module.ScriptedLoadableModuleTest = _ScriptedLoadableModuleTest
    monkeypatch.setitem(sys.modules, "slicer.ScriptedLoadableModule", module)
    monkeypatch.setattr(slicer, "ScriptedLoadableModule", module, raising=False)
    red = types.SimpleNamespace(sliceLogic=lambda: slice_logic)
    layout = types.SimpleNamespace(setLayout=lambda layout: None, sliceWidget=lambda name: red)
    monkeypatch.setattr(slicer, "app", types.SimpleNamespace(layoutManager=lambda: layout), raising=False)
    return slicer_logics


@pytest.mark.parametrize("module", list(SELF_TESTS))
def test_self_test_passes_on_slicer_core(desktop_stand_in, module):
    path = SELF_TESTS[module]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    self_test = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(self_test)
    suite = unittest.TestLoader().loadTestsFromModule(self_test)
    assert suite.countTestCases() >= 2
    result = unittest.TextTestRunner(verbosity=0, stream=io.StringIO()).run(suite)
    problems = [f"{test}: {trace}" for test, trace in result.errors + result.failures]
    assert result.wasSuccessful() and not result.skipped, "\n".join(problems) or f"skipped: {result.skipped}"

