"""The cases a web server offers: folders directly inside the one it was given, and the phantom.

A browser only ever sends a case's name; the name is looked up among the listed cases and the
resolved path must stay inside the folder, so no request can make the server read elsewhere
(no "..", no absolute path, no symbolic link that leads out).
"""

from dataclasses import dataclass
from pathlib import Path

from gliomaai.case import scan_folder
from gliomaai.errors import GliomaAIError
from gliomaai.sequences import SEQUENCES

PHANTOM = "phantom (synthetic)"  # the built-in case, always offered
PHANTOM_SHAPE = (62, 96, 96)  # 2.5 mm voxels over the usual field of view: seconds to segment on a CPU


@dataclass(frozen=True)
class CaseEntry:
    name: str
    sequences: tuple  # of SEQUENCES, in their order

    @property
    def label(self) -> str:
        return f"{self.name} ({', '.join(self.sequences)})"


def _sequences_in(folder: Path) -> tuple:
    """The sequences load_case would find there (an ambiguous folder, two files of one sequence, has none)."""
    try:
        found = scan_folder(folder)[0]
    except GliomaAIError:
        return ()
    return tuple(s for s in SEQUENCES if s in found)


class CaseFolder:
    """Cases under `root` (each a subfolder with at least one recognised sequence), plus the phantom."""

    def __init__(self, root=None):
        self.root = Path(root).resolve() if root is not None else None
        if self.root is not None and not self.root.is_dir():
            raise GliomaAIError(f"{root}: not a folder.", "Give --cases a folder holding one subfolder per case.")

    def entries(self) -> list:
        out = [CaseEntry(PHANTOM, SEQUENCES)]
        if self.root is None:
            return out
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            if not self._inside(folder):
                continue
            try:
                sequences = _sequences_in(folder)
            except OSError:
                continue
            if sequences:
                out.append(CaseEntry(folder.name, sequences))
        return out

    def names(self) -> list:
        return [entry.name for entry in self.entries()]

    def path(self, name: str) -> Path | None:
        """The folder of the listed case `name` (None for the phantom); an error for anything else."""
        if name == PHANTOM:
            return None
        if self.root is None or not isinstance(name, str) or name in ("", ".", "..") or "/" in name or "\\" in name:
            raise GliomaAIError(f"'{name}' is not one of the cases offered.", "Choose a case from the list.")
        folder = self.root / name
        if not folder.is_dir() or not self._inside(folder) or name not in self.names():
            raise GliomaAIError(f"'{name}' is not one of the cases offered.", "Choose a case from the list.")
        return folder

    def _inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.root)
        except OSError:
            return False

    def load(self, name: str):
        """The case as a gliomaai Case (labels left out: the page segments and corrects)."""
        folder = self.path(name)
        if folder is None:
            from gliomaai.phantom import make_phantom

            case = make_phantom(PHANTOM_SHAPE)
            case.name = "phantom"
        else:
            from gliomaai.case import load_case

            case = load_case(folder)
        case.labels = None
        return case
