"""Models by name or path: the built-in ones shipped in this package, a model folder, a card, a MONAI bundle."""

from pathlib import Path

from ..errors import GliomaAIError
from .card import read_card

BUILTIN = Path(__file__).parent / "builtin"
DEFAULT_SEGMENTER = "segmenter"
DEFAULT_IMPUTER = "imputer"


def builtin_models() -> list[str]:
    return sorted(p.stem for p in BUILTIN.glob("*.json")) if BUILTIN.exists() else []


def find_card(name_or_path) -> Path:
    """The model card a name ('default', a built-in name) or a path (card, or folder holding model.json) means."""
    text = str(name_or_path)
    name = DEFAULT_SEGMENTER if text == "default" else text
    if (BUILTIN / f"{name}.json").exists():
        return BUILTIN / f"{name}.json"
    path = Path(text)
    if path.is_file() and path.suffix == ".json":
        return path
    if path.is_dir() and (path / "model.json").exists():
        return path / "model.json"
    raise GliomaAIError(f"No model '{text}'.",
                        f"Give a built-in name ({', '.join(['default', *builtin_models()])}), a model card (.json), "
                        "a folder with model.json, or a MONAI bundle folder.")


def load_segmenter(name_or_path="default"):
    """A segmenter object with .probabilities(case, engine, tta, progress, cancel)."""
    from ..segmentation.segmenter import CardSegmenter

    path = Path(str(name_or_path))
    if path.is_dir() and (path / "configs" / "metadata.json").exists():
        from .monai_bundle import BundleSegmenter

        return BundleSegmenter(path)
    return CardSegmenter(read_card(find_card(name_or_path)))


def load_imputer(name_or_path="default"):
    """An imputer object with .impute(case, targets, engine, progress, cancel)."""
    from ..imputation.imputer import CardImputer

    return CardImputer(read_card(find_card(DEFAULT_IMPUTER if str(name_or_path) == "default" else name_or_path)))
