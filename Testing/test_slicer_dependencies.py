"""Installing Python dependencies inside Slicer: on use, never silently, torch first; with fakes."""

import importlib
import sys

import pytest

from gliomaai.errors import GliomaAIError
from GliomaAILib import dependencies


def versions(**installed):
    """A version lookup over a made-up environment: versions(torch='2.3.0', monai=None)."""
    table = {name.replace("_", "-"): version for name, version in installed.items()}
    return lambda name: table.get(name.lower())


ALL = dict(torch="2.13.0", scipy="1.14.1", nibabel="5.3.0", monai="1.5.0", scikit_image="0.25.0", matplotlib="3.9.0", captum="0.9.0",
           deepbet="1.0.2", tqdm="4.67.0")


class FakeTorchLogic:
    def __init__(self, result=object()):
        self.calls, self.result = [], result

    def installTorch(self, askConfirmation=False, torchVersionRequirement=None):
        self.calls.append((askConfirmation, torchVersionRequirement))
        return self.result


def test_importing_installs_nothing(monkeypatch):
    calls = []
    monkeypatch.setattr("subprocess.run", lambda *a, **k: calls.append(a))
    monkeypatch.setattr("subprocess.check_call", lambda *a, **k: calls.append(a))
    importlib.reload(dependencies)
    assert calls == []


def test_nothing_happens_when_all_is_there():
    def fail(*_, **__):
        raise AssertionError("should not be called")
    torch_logic = FakeTorchLogic()
    assert dependencies.ensure_dependencies(torch_logic=torch_logic, pip_ensure=fail, confirm=fail,
                                            version_of=versions(**ALL)) == []
    assert torch_logic.calls == []


def test_version_requirements_are_compared():
    assert dependencies.satisfied("monai>=1.4", versions(monai="1.5.0"))
    assert not dependencies.satisfied("monai>=1.4", versions(monai="1.3.2"))
    assert not dependencies.satisfied("monai>=1.4", versions())
    assert dependencies.missing(["scipy>=1.10", "tqdm>=4.60"], versions(scipy="1.9.0", tqdm="4.66.1")) == ["scipy>=1.10"]


def test_torch_comes_from_pytorchutils_before_anything_else():
    order = []
    state = dict(ALL, torch=None, monai=None)

    class Torch(FakeTorchLogic):
        def installTorch(self, **kwargs):
            order.append("torch")
            state["torch"] = "2.13.0"
            return super().installTorch(**kwargs)

    def pip_ensure(requirements, requester):
        order.append(("pip", [str(r) for r in requirements], requester))
        state["monai"] = "1.5.0"

    torch_logic = Torch()
    installed = dependencies.ensure_dependencies(torch_logic=torch_logic, pip_ensure=pip_ensure,
                                                 version_of=lambda name: state.get(name.replace("-", "_")))
    assert order == ["torch", ("pip", ["monai>=1.4"], "GliomaAI")]
    assert torch_logic.calls == [(True, ">=2.2")]  # PyTorchUtils asks the user
    assert installed == ["monai>=1.4"]


def test_declined_torch_is_an_error():
    with pytest.raises(GliomaAIError, match="PyTorch was not installed"):
        dependencies.ensure_torch(torch_logic=FakeTorchLogic(result=None), version_of=versions())


def test_missing_pytorch_extension_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "PyTorchUtils", None)  # import fails
    with pytest.raises(GliomaAIError, match="Extensions Manager"):
        dependencies.ensure_torch(version_of=versions())


def test_fallback_asks_before_pip_install():
    state = dict(ALL, scipy=None, tqdm=None)
    asked, installed = [], []

    def confirm(text, windowTitle=None):
        asked.append(text)
        return True

    def pip_install(requirements):
        installed.append(requirements)
        state.update(scipy="1.14.1", tqdm="4.67.0")

    result = dependencies.ensure_packages(pip_install=pip_install, confirm=confirm,
                                          version_of=lambda name: state.get(name.replace("-", "_")))
    assert result == ["scipy>=1.10", "tqdm>=4.60"]
    assert len(asked) == 1 and "scipy>=1.10" in asked[0] and "tqdm>=4.60" in asked[0]
    assert installed == ["scipy>=1.10 tqdm>=4.60"]


def test_fallback_never_installs_without_consent():
    installed = []
    with pytest.raises(GliomaAIError, match="declined"):
        dependencies.ensure_packages(pip_install=installed.append, confirm=lambda *a, **k: False,
                                     version_of=versions(**dict(ALL, monai=None)))
    assert installed == []


def test_failed_installation_is_reported():
    with pytest.raises(GliomaAIError, match="still missing"):
        dependencies.ensure_packages(pip_ensure=lambda requirements, requester: None,
                                     version_of=versions(**dict(ALL, monai=None)))


def test_slicer_functions_are_the_defaults(monkeypatch):
    """Without collaborators: slicer.packaging.pip_ensure when Slicer has it, else slicer.util's pair."""
    import types

    import slicer
    import slicer.util

    calls = []
    packaging = types.ModuleType("slicer.packaging")
    packaging.pip_ensure = lambda requirements, requester: calls.append(("pip_ensure", [str(r) for r in requirements]))
    monkeypatch.setitem(sys.modules, "slicer.packaging", packaging)
    monkeypatch.setattr(slicer, "packaging", packaging, raising=False)
    with pytest.raises(GliomaAIError):  # the fake installs nothing
        dependencies.ensure_packages(["no-such-package-gliomaai>=1"])
    assert calls == [("pip_ensure", ["no-such-package-gliomaai>=1"])]

    monkeypatch.delitem(sys.modules, "slicer.packaging")
    monkeypatch.delattr(slicer, "packaging")
    monkeypatch.setattr(slicer.util, "confirmOkCancelDisplay", lambda *a, **k: calls.append("confirm") or False)
    monkeypatch.setattr(slicer.util, "pip_install", lambda *a: calls.append("pip_install"))
    with pytest.raises(GliomaAIError, match="declined"):
        dependencies.ensure_packages(["no-such-package-gliomaai>=1"])
    assert calls[-1] == "confirm"


def test_the_packages_installed_in_slicer_are_those_pyproject_declares():
    import tomllib

    from gliomaai.requirements import REQUIREMENTS, SLICER_PROVIDED, TORCH_REQUIREMENT

    from helpers import REPOSITORY

    declared = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(declared) == sorted((TORCH_REQUIREMENT, *SLICER_PROVIDED, *REQUIREMENTS))
