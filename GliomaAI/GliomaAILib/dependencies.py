"""Python packages GliomaAI needs beyond those Slicer ships, installed at first use and never silently.

Nothing here runs at import time. A module calls ensure_dependencies() when the user first
asks for something that needs them (loading a case, running a model). PyTorch comes first and
through the PyTorch extension's PyTorchUtils logic, which picks the build for the machine's GPU
(a plain pip install of monai would pull a CUDA build of several GB); the rest then go through
slicer.packaging.pip_ensure (Slicer 5.11+), which asks the user, or, in older Slicer, through
slicer.util.pip_install after slicer.util.confirmOkCancelDisplay. SimpleITK and numpy are
Slicer's own and are never reinstalled.

Every collaborator (the version lookup, the PyTorch logic, the installers, the confirmation)
can be passed in, so the logic is tested without Slicer and without a network.
"""

import importlib.metadata
import logging

from packaging.requirements import Requirement  # Slicer ships packaging

from gliomaai.errors import GliomaAIError
from gliomaai.requirements import REQUIREMENTS, TORCH_REQUIREMENT

REQUESTER = "GliomaAI"


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def satisfied(requirement: str, version_of=installed_version) -> bool:
    """Whether the requirement is installed at an acceptable version."""
    parsed = Requirement(requirement)
    version = version_of(parsed.name)
    return version is not None and parsed.specifier.contains(version, prereleases=True)


def missing(requirements, version_of=installed_version) -> list:
    return [r for r in requirements if not satisfied(r, version_of)]


def default_torch_logic():
    """The PyTorch extension's logic, or an error that says how to get it."""
    try:
        import PyTorchUtils
    except ImportError:
        raise GliomaAIError("GliomaAI needs the PyTorch extension, which is not installed.",
                            "Install 'PyTorch' from the Extensions Manager, restart Slicer and try again.") from None
    return PyTorchUtils.PyTorchUtilsLogic()


def ensure_torch(requirement: str = TORCH_REQUIREMENT, torch_logic=None, version_of=installed_version) -> bool:
    """Install torch through PyTorchUtils if it is missing; it asks the user first. True if torch is there."""
    if satisfied(requirement, version_of):
        return True
    logic = torch_logic if torch_logic is not None else default_torch_logic()
    specifier = str(Requirement(requirement).specifier)
    logging.info("GliomaAI: installing PyTorch (%s) through the PyTorch extension.", requirement)
    if logic.installTorch(askConfirmation=True, torchVersionRequirement=specifier or None) is None:
        raise GliomaAIError("PyTorch was not installed.",
                            "Accept the installation, or install it from the PyTorch Utils module, then retry.")
    return True


def _slicer_pip_ensure():
    try:
        import slicer.packaging
        return slicer.packaging.pip_ensure
    except (ImportError, AttributeError):
        return None


def _slicer_pip_install():
    import slicer.util
    return slicer.util.pip_install


def _slicer_confirm():
    import slicer.util
    return slicer.util.confirmOkCancelDisplay


def ensure_packages(requirements=REQUIREMENTS, pip_ensure=None, pip_install=None, confirm=None,
                    version_of=installed_version, requester: str = REQUESTER) -> list:
    """Install the missing requirements after the user agrees. Returns what was missing.

    pip_ensure (Slicer 5.11+) prompts by itself; without it, `confirm` is asked first and
    `pip_install` runs only on consent. Defaults are Slicer's functions, looked up on call.
    """
    needed = missing(requirements, version_of)
    if not needed:
        return []
    if pip_ensure is None and pip_install is None:
        pip_ensure = _slicer_pip_ensure()
    if pip_ensure is not None:
        pip_ensure([Requirement(r) for r in needed], requester=requester)
    else:
        confirm = confirm if confirm is not None else _slicer_confirm()
        listing = "\n".join(f"  {r}" for r in needed)
        if not confirm(f"{requester} needs these Python packages, which will be installed into Slicer:\n\n"
                       f"{listing}\n\nThis may take a few minutes. Continue?", windowTitle=f"{requester}: install packages"):
            raise GliomaAIError(f"Installation of {', '.join(needed)} was declined.",
                                "GliomaAI cannot run without them; accept the installation to continue.")
        pip_install = pip_install if pip_install is not None else _slicer_pip_install()
        pip_install(" ".join(needed))
    still = missing(needed, version_of)
    if still:
        raise GliomaAIError(f"After installation, {', '.join(still)} is still missing.",
                            "See the Python console for pip's messages, or install them from it by hand.")
    return needed


def ensure_dependencies(torch: bool = True, **collaborators) -> list:
    """Everything GliomaAI needs: torch first (so nothing pulls another build), then the rest.

    `collaborators` go to ensure_torch (torch_logic) and ensure_packages (pip_ensure,
    pip_install, confirm); version_of goes to both.
    """
    version_of = collaborators.pop("version_of", installed_version)
    torch_logic = collaborators.pop("torch_logic", None)
    if torch:
        ensure_torch(torch_logic=torch_logic, version_of=version_of)
    return ensure_packages(version_of=version_of, **collaborators)


class DependenciesLogicMixin:
    """For a module's logic: `ensureDependencies()` before work that needs them; the installer is passed in for tests."""

    def __init__(self, ensureDependencies=None) -> None:
        self._ensureDependencies = ensureDependencies or ensure_dependencies

    def ensureDependencies(self, torch: bool = True) -> list:
        return self._ensureDependencies(torch=torch)
