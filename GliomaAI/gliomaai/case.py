"""A case: the co-registered sequences of one study, with optional brain mask and labels."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from . import labels as label_conventions
from .brain_extraction import brain_of_head, is_head
from .errors import GliomaAIError
from .geometry import Grid, align_onto, grids_match, resample_onto
from .imageio import image_from_array, is_dicom_series_folder, is_image_file, is_marked_synthetic, read_image
from .normalize import foreground_mask, zscore
from .sequences import SEQUENCES, is_brain_mask_name, is_label_name, sequence_from_name


@dataclass
class Case:
    name: str
    images: dict  # canonical sequence name -> sitk.Image, all on one grid once checked
    brain_mask: sitk.Image | None = None
    labels: sitk.Image | None = None  # canonical labels (brats2023), uint8
    label_convention: str | None = None  # the convention the labels were read in
    label_files: list = field(default_factory=list)  # every label map found beside the images
    sources: dict = field(default_factory=dict)  # sequence -> where it came from
    synthetic: set = field(default_factory=set)  # sequences that are synthetic, never for reading
    notes: list = field(default_factory=list)  # what was done to the data, in sentences
    # Brains found from the acquired images (finding one on a head takes a second or two), shared with the
    # case's copies: {key of the images: (the images, mask, note)}; the images are kept so the key stays theirs.
    _found_brains: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def present(self) -> tuple:
        return tuple(s for s in SEQUENCES if s in self.images)

    @property
    def missing(self) -> tuple:
        return tuple(s for s in SEQUENCES if s not in self.images)

    @property
    def reference(self) -> sitk.Image:
        return self.images[self.present[0]]

    @property
    def grid(self) -> Grid:
        return Grid.of(self.reference)

    def array(self, sequence: str) -> np.ndarray:
        """The sequence as float32 numpy (z, y, x)."""
        return sitk.GetArrayFromImage(self.images[sequence]).astype(np.float32, copy=False)

    def label_array(self) -> np.ndarray | None:
        return None if self.labels is None else sitk.GetArrayFromImage(self.labels)

    def brain_mask_array(self) -> np.ndarray:
        """The brain: the given mask, or else the voxels that differ from the background, or, where those are
        a whole head (a scan not skull-stripped), the brain extracted from its T1-weighted sequence. Found from
        the acquired sequences only, so a copy with synthetic ones added finds the same brain without looking."""
        return self._found_brain()[1]

    @property
    def brain_note(self) -> str:
        """How the brain was found, where that is worth telling (a head scan's brain extracted)."""
        return self._found_brain()[2]

    def _found_brain(self) -> tuple:
        if self.brain_mask is not None:
            return (), sitk.GetArrayViewFromImage(self.brain_mask) > 0, ""
        acquired = [s for s in self.present if s not in self.synthetic] or list(self.present)
        key = tuple((s, id(self.images[s])) for s in acquired)
        if key not in self._found_brains:
            mask, note = foreground_mask([self.array(s) for s in acquired]), ""
            if is_head(mask, self.reference.GetSpacing()):
                mask, note = brain_of_head(self.images, self.synthetic)
            mask.flags.writeable = False  # shared by every caller
            while len(self._found_brains) >= 2:  # a copy with other images replaced need not keep the old ones
                self._found_brains.pop(next(iter(self._found_brains)))
            self._found_brains[key] = ([self.images[s] for s in acquired], mask, note)
        return self._found_brains[key]

    def normalized(self, sequence: str) -> np.ndarray:
        """Z-score of the sequence over the brain."""
        return zscore(self.array(sequence), self.brain_mask_array())

    def check_grid(self) -> None:
        """Every image (and the mask and labels) on one grid, or an error that says what to do."""
        named = dict(self.images)
        if self.brain_mask is not None:
            named["brain mask"] = self.brain_mask
        if self.labels is not None:
            named["labels"] = self.labels
        if not grids_match(named):
            grids = "; ".join(f"{n}: {Grid.of(i).describe()}" for n, i in named.items())
            raise GliomaAIError(f"Case '{self.name}': the images do not share one grid ({grids}).",
                                "Register them first: `gliomaai info CASE --align`, or load_case(..., align=True).")

    def set_labels(self, array_or_image, convention: str, source: str = "labels") -> None:
        """Labels in any convention, stored canonical on the case's grid."""
        if isinstance(array_or_image, sitk.Image):
            if not Grid.of(array_or_image).matches(self.grid):
                raise GliomaAIError(f"{source}: its grid ({Grid.of(array_or_image).describe()}) differs from the "
                                    f"case's ({self.grid.describe()}).", "Give labels made on this case's images.")
            array = sitk.GetArrayFromImage(array_or_image)
        else:
            array = np.asarray(array_or_image)
        if array.shape != sitk.GetArrayViewFromImage(self.reference).shape:
            raise GliomaAIError(f"{source}: shape {array.shape} differs from the case's images.",
                                "Give labels made on this case's images.")
        canonical = label_conventions.to_canonical(array, convention, source)
        self.labels = image_from_array(canonical, self.reference)
        self.label_convention = convention

    def only(self, sequences) -> "Case":
        """A copy as if only `sequences` had been acquired: the brain, unless given, is found from them alone."""
        absent = [s for s in sequences if s not in self.images]
        if absent:
            raise GliomaAIError(f"{self.name} has no {', '.join(absent)}.", f"Choose among {', '.join(self.present)}.")
        sources = {k: v for k, v in self.sources.items() if k in sequences or k not in SEQUENCES}
        return Case(self.name, {s: self.images[s] for s in SEQUENCES if s in sequences}, self.brain_mask, self.labels,
                    self.label_convention, list(self.label_files), sources, self.synthetic & set(sequences),
                    list(self.notes), self._found_brains)

    def with_images(self, images: dict) -> "Case":
        """A copy with some images replaced (for example aligned or synthesised ones)."""
        return Case(self.name, {**self.images, **images}, self.brain_mask, self.labels, self.label_convention,
                    list(self.label_files), dict(self.sources), set(self.synthetic), list(self.notes),
                    self._found_brains)


def scan_folder(folder: Path):
    """Files (and DICOM series subfolders) of a case folder, sorted into sequences, masks and labels."""
    found, masks, label_files, unknown = {}, [], [], []
    entries = sorted(p for p in folder.iterdir() if is_image_file(p) or is_dicom_series_folder(p))
    for path in entries:
        if is_label_name(path.name):
            label_files.append(path)
        elif is_brain_mask_name(path.name):
            masks.append(path)
        elif (sequence := sequence_from_name(path.name)) is not None:
            if sequence in found:
                raise GliomaAIError(f"{folder}: both '{found[sequence].name}' and '{path.name}' look like {sequence}.",
                                    "Remove or rename one, or give the paths explicitly (--t1c FILE ...).")
            found[sequence] = path
        else:
            unknown.append(path.name)
    return found, masks, label_files, unknown


def load_case(source, brain_mask=None, labels=None, label_convention: str | None = None,
              name: str | None = None, align: bool = False, reference: str | None = None) -> Case:
    """Load a case from a folder (sequences detected from file names) or from explicit paths.

    `source` is a folder, or a dict {sequence: path}. `labels` is a path, or None to use the only
    label map in the folder. With `align`, images on different grids are registered rigidly
    onto `reference` (default: the first of t1c, t1n, t2w, t2f present).
    """
    masks, label_files, unknown = [], [], []
    if isinstance(source, dict):
        paths = {}
        for sequence, path in source.items():
            if sequence not in SEQUENCES:
                raise GliomaAIError(f"Unknown sequence '{sequence}'.", f"Use one of {', '.join(SEQUENCES)}.")
            paths[sequence] = Path(path)
        folder = None
    else:
        folder = Path(source)
        if not folder.is_dir():
            raise GliomaAIError(f"{folder}: not a folder.", "Give a case folder, or the sequences one by one.")
        paths, masks, label_files, unknown = scan_folder(folder)
    if not paths:
        seen = ", ".join(unknown) if unknown else "no image files"
        raise GliomaAIError(f"{source}: no MRI sequence recognised (found: {seen}).",
                            "Name files after their sequence (t1n/t1, t1c/t1ce, t2w/t2, t2f/flair) "
                            "or give the paths explicitly.")
    case = Case(name or (folder.name if folder else Path(next(iter(paths.values()))).parent.name),
                images={s: read_image(paths[s]) for s in SEQUENCES if s in paths},
                sources={s: str(paths[s]) for s in SEQUENCES if s in paths},
                label_files=[str(p) for p in label_files])
    case.synthetic = {s for s, image in case.images.items() if is_marked_synthetic(image, paths[s])}
    if brain_mask is None and len(masks) == 1:
        brain_mask = masks[0]
    if brain_mask is not None:
        case.brain_mask = read_image(brain_mask, check_values=False) > 0
        case.sources["brain mask"] = str(brain_mask)
    if labels is None and len(label_files) == 1:
        labels = label_files[0]
    if labels is not None:
        image = read_image(labels, check_values=False)
        convention = label_convention or label_conventions.guess_convention(
            label_conventions.label_values(sitk.GetArrayViewFromImage(image)))
        if label_convention is None:
            case.notes.append(f"Label convention of {Path(labels).name} guessed as {convention} from its values.")
        case.sources["labels"] = str(labels)
        _set_labels_on_grid(case, image, convention, str(labels))
    if grids_match(case.images):
        _snap_to_reference_grid(case)
    elif align:
        if reference not in case.images:
            reference = next(s for s in ("t1c", "t1n", "t2w", "t2f") if s in case.images)
        aligned, report = align_onto(case.images, reference)
        case.images = aligned
        case.notes.extend(report)
        if case.brain_mask is not None:
            case.brain_mask = resample_onto(case.brain_mask, case.reference, is_label=True)
    case.check_grid()
    return case


def _set_labels_on_grid(case: Case, image: sitk.Image, convention: str, source: str) -> None:
    reference = case.reference
    if not Grid.of(image).matches(Grid.of(reference)):
        if image.GetSize() != reference.GetSize():
            raise GliomaAIError(f"{source}: its grid ({Grid.of(image).describe()}) differs from the images' "
                                f"({Grid.of(reference).describe()}).", "Give labels made on these images.")
        case.notes.append(f"{Path(source).name}: header geometry differs slightly from the images'; "
                          "the images' geometry is used.")
        image = sitk.Image(image)
        image.CopyInformation(reference)
    canonical = label_conventions.to_canonical(sitk.GetArrayFromImage(image), convention, source)
    case.labels = image_from_array(canonical, reference)
    case.label_convention = convention


def _snap_to_reference_grid(case: Case) -> None:
    """Give every image the reference's exact header when they differ only by float noise (-0.0 vs 0.0)."""
    for name, image in case.images.items():
        if image.GetOrigin() != case.reference.GetOrigin() or image.GetDirection() != case.reference.GetDirection():
            image.CopyInformation(case.reference)
    if case.brain_mask is not None and Grid.of(case.brain_mask).matches(case.grid):
        case.brain_mask.CopyInformation(case.reference)
