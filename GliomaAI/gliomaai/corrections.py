"""Corrections: a model's segmentation, what a person made of it, and the images it was made on.

A correction record is a folder of its own, never reused or overwritten:

    <corrections folder>/<case>-<UTC time>[-<n>]/
        corrected.nii.gz   the corrected labels, canonical (0, 1 NETC, 2 SNFH, 3 ET), uint8
        model.nii.gz       the model's labels as the model gave them, canonical, same grid
        images/<seq>.nii.gz  the sequences the model saw (t1n, t1c, t2w, t2f; those present;
                           '<seq>-synthetic.nii.gz' for a synthesised one)
        record.json        who/what/when, the comparison (Dice, mL added and removed), sha256 of every file

The images are copied into the record, not referenced by path: a volume in a Slicer scene often
has no file at all (DICOM, synthesised, edited), paths go stale when data moves, and fine-tuning
(`gliomaai finetune`) must see exactly what the model saw. A record is complete when its
record.json exists: it is written last, atomically, so a half-written folder is never read.
"""

import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from . import __version__
from . import labels as label_conventions
from .errors import GliomaAIError
from .geometry import Grid
from .metrics.segmentation import dice
from .sequences import SEQUENCES

FORMAT = "gliomaai-correction/1"
RECORD = "record.json"
CORRECTED = "corrected.nii.gz"
MODEL = "model.nii.gz"
IMAGES = "images"
# The tumour classes and the evaluation regions, in that order (the keys of the volumes the segmenter reports).
REGIONS = ("NETC", "SNFH", "ET", "WT", "TC")
_MASK_VALUES = {"NETC": (label_conventions.NETC,), "SNFH": (label_conventions.SNFH,),
                **label_conventions.REGIONS}


def _array(labels, what: str) -> np.ndarray:
    array = sitk.GetArrayFromImage(labels) if isinstance(labels, sitk.Image) else np.asarray(labels)
    if array.size and (not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 3):
        raise GliomaAIError(f"The {what} labels are not canonical (0, 1 NETC, 2 SNFH, 3 ET).",
                            "Convert them with gliomaai.labels.to_canonical() first.")
    return array


def compare(model_labels, corrected_labels, spacing) -> dict:
    """Per class and region (NETC, SNFH, ET, WT, TC): Dice, mL in each, mL added and removed by the correction.

    Labels are canonical arrays (z, y, x) or SimpleITK images; spacing in mm, (x, y, z) as
    image.GetSpacing() gives it. Dice is 1 when both are empty; "added" is in the corrected
    labels and not in the model's, "removed" the other way round.
    """
    model, corrected = _array(model_labels, "model"), _array(corrected_labels, "corrected")
    if model.shape != corrected.shape:
        raise GliomaAIError(f"Model labels {model.shape} and corrected labels {corrected.shape} differ in shape.",
                            "Compare labels on one grid: the corrected segmentation of the model's output.")
    spacing = tuple(float(s) for s in spacing)
    if len(spacing) != 3 or min(spacing) <= 0:
        raise GliomaAIError(f"Voxel spacing {spacing} is not three positive mm values.", "Give image.GetSpacing().")
    voxel_ml = float(np.prod(spacing)) / 1000.0
    out = {}
    for region in REGIONS:
        m, c = np.isin(model, _MASK_VALUES[region]), np.isin(corrected, _MASK_VALUES[region])
        out[region] = {
            "dice": round(float(dice(m, c)), 6),
            "model_ml": round(int(np.count_nonzero(m)) * voxel_ml, 6),
            "corrected_ml": round(int(np.count_nonzero(c)) * voxel_ml, 6),
            "added_ml": round(int(np.count_nonzero(c & ~m)) * voxel_ml, 6),
            "removed_ml": round(int(np.count_nonzero(m & ~c)) * voxel_ml, 6),
        }
    out["changed_voxels"] = int(np.count_nonzero(model != corrected))
    return out


def _safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", str(text)).strip("._-")
    return name[:80] or "case"


def _new_folder(folder: Path, case_name: str, now: datetime) -> Path:
    """A folder made now for this record only: '<case>-<time>', then '-2', '-3'... if that is taken."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{_safe_name(case_name)}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    for counter in range(1, 10000):
        path = folder / (base if counter == 1 else f"{base}-{counter}")
        try:
            path.mkdir()  # atomic: two saves at once never share a folder
            return path
        except FileExistsError:
            continue
    raise GliomaAIError(f"{folder}: too many corrections of {case_name} this second.", "Try again.")


def _sha256(path: Path) -> str:
    from .models.card import sha256_of

    return sha256_of(path)


def _labels_image(labels, reference: sitk.Image | None, what: str) -> sitk.Image:
    if isinstance(labels, sitk.Image):
        _array(labels, what)
        return sitk.Cast(labels, sitk.sitkUInt8)
    if reference is None:
        raise GliomaAIError(f"The {what} labels are an array without a grid.", "Give a SimpleITK image.")
    image = sitk.GetImageFromArray(_array(labels, what).astype(np.uint8))
    image.CopyInformation(reference)
    return image


def save_correction(folder, case_name: str, corrected_labels, model_labels, provenance: dict | None = None,
                    images: dict | None = None, synthetic=(), note: str = "") -> Path:
    """Write a new correction record under `folder` and return its path (never an existing one).

    `corrected_labels` and `model_labels`: canonical SimpleITK label images on one grid.
    `provenance`: how the model's labels were made (model, model_version, model_sha256, device,
    tta, sequences, time...), stored as given. `images`: {sequence: image} the model saw, on
    the same grid; `synthetic` names those that were synthesised.
    """
    started = time.perf_counter()
    corrected = _labels_image(corrected_labels, None, "corrected")
    model = _labels_image(model_labels, corrected, "model")
    grid = Grid.of(corrected)
    if not Grid.of(model).matches(grid):
        raise GliomaAIError(f"The model's labels ({Grid.of(model).describe()}) and the corrected ones "
                            f"({grid.describe()}) are not on one grid.", "Save the correction of this model output.")
    model.CopyInformation(corrected)
    images = dict(images or {})
    unknown = [s for s in images if s not in SEQUENCES]
    if unknown:
        raise GliomaAIError(f"Unknown sequences {unknown}.", f"Use {', '.join(SEQUENCES)}.")
    for sequence, image in images.items():
        if not Grid.of(image).matches(grid):
            raise GliomaAIError(f"{sequence} ({Grid.of(image).describe()}) is not on the labels' grid "
                                f"({grid.describe()}).", "Store the images the model segmented.")
    comparison = compare(model, corrected, corrected.GetSpacing())
    now = datetime.now(timezone.utc)
    path = _new_folder(Path(folder), case_name, now)
    files = {"corrected": CORRECTED, "model": MODEL, "images": {}}
    sitk.WriteImage(corrected, str(path / CORRECTED), useCompression=True)
    sitk.WriteImage(model, str(path / MODEL), useCompression=True)
    if images:
        (path / IMAGES).mkdir()
    for sequence in SEQUENCES:
        if sequence in images:
            image = sitk.Image(images[sequence])
            image.CopyInformation(corrected)  # float noise of the header only: checked above
            relative = f"{IMAGES}/{sequence}.nii.gz"
            if sequence in synthetic:  # marked in its name and header, as gliomaai.imageio reads them
                image.SetMetaData("ITK_FileNotes", "SYNTHETIC - not for clinical reading")  # NIfTI descrip
                relative = f"{IMAGES}/{sequence}-synthetic.nii.gz"
            sitk.WriteImage(image, str(path / relative), useCompression=True)
            files["images"][sequence] = relative
    sha256 = {CORRECTED: _sha256(path / CORRECTED), MODEL: _sha256(path / MODEL),
              **{relative: _sha256(path / relative) for relative in files["images"].values()}}
    record = {
        "format": FORMAT,
        "case": case_name,
        "saved": now.isoformat(timespec="seconds"),
        "model": dict(provenance or {}),
        "comparison": comparison,
        "conventions": {
            "labels": label_conventions.CANONICAL,
            "values": {"0": "background", **{str(c.value): c.name for c in label_conventions.CLASSES}},
            "regions": {r: list(v) for r, v in label_conventions.REGIONS.items()},
            "volumes": "mL; added: in the corrected labels, not the model's; removed: the other way round",
        },
        "grid": {"size": list(grid.size), "spacing": list(grid.spacing), "origin": list(grid.origin),
                 "direction": list(grid.direction)},
        "files": files,
        "synthetic": sorted(s for s in synthetic if s in images),
        "sha256": sha256,
        "note": note,
        "gliomaai_version": __version__,
        "seconds": 0.0,
    }
    record["seconds"] = round(time.perf_counter() - started, 3)
    temporary = path / (RECORD + ".tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(temporary, path / RECORD)  # the record appears whole or not at all
    return path


@dataclass
class Correction:
    path: Path
    record: dict
    corrected: sitk.Image
    model: sitk.Image
    images: dict = field(default_factory=dict)  # sequence -> sitk.Image

    @property
    def case_name(self) -> str:
        return self.record["case"]


def list_corrections(folder) -> list:
    """The complete correction records under `folder` (the folder itself, or its subfolders), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GliomaAIError(f"{folder}: not a folder.", "Give the corrections folder the Slicer module saved into.")
    if (folder / RECORD).is_file():
        return [folder]
    return sorted(p for p in folder.iterdir() if (p / RECORD).is_file())


def read_correction(path, verify: bool = True) -> Correction:
    """A correction record, its files checked against the sha256 it lists."""
    path = Path(path)
    try:
        record = json.loads((path / RECORD).read_text())
    except (OSError, ValueError) as error:
        raise GliomaAIError(f"{path}: not a readable correction record ({error}).",
                            "Give a folder written by 'Save correction'.") from None
    if record.get("format") != FORMAT:
        raise GliomaAIError(f"{path}: unknown record format {record.get('format')!r}.", f"Expected {FORMAT}.")
    if verify:
        for relative, expected in record.get("sha256", {}).items():
            if not (path / relative).is_file() or _sha256(path / relative) != expected:
                raise GliomaAIError(f"{path / relative}: missing or changed since the record was saved.",
                                    "Remove the record, or save the correction again.")
    files = record["files"]
    images = {s: sitk.ReadImage(str(path / relative)) for s, relative in files.get("images", {}).items()}
    return Correction(path, record, sitk.ReadImage(str(path / files["corrected"])),
                      sitk.ReadImage(str(path / files["model"])), images)


def correction_case(correction: Correction):
    """The record as a Case: the stored images, the corrected labels (what fine-tuning learns from)."""
    from .case import Case

    if not correction.images:
        raise GliomaAIError(f"{correction.path}: the record holds no images.",
                            "Only corrections saved with their images can fine-tune a model.")
    case = Case(correction.case_name, dict(correction.images), synthetic=set(correction.record.get("synthetic", [])),
                sources={s: str(correction.path / r) for s, r in correction.record["files"]["images"].items()})
    for image in case.images.values():
        image.CopyInformation(case.reference)
    labels = sitk.Image(correction.corrected)
    labels.CopyInformation(case.reference)
    case.set_labels(labels, label_conventions.CANONICAL, "corrected labels")
    case.check_grid()
    return case
