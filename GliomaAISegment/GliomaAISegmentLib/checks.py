"""Checks of GliomaAISegment's logic, shared by pytest and the Slicer self-test (see GliomaAILib.checks)."""

from pathlib import Path

import numpy as np
import SimpleITK as sitk

from gliomaai import labels as label_conventions
from GliomaAILib import samples
from GliomaAILib.checks import check_segments
from GliomaAILib.segmentation_nodes import labels_to_segmentation, segmentation_to_labels
from GliomaAILib.volumes import add_volume_node

from .label_files import export_label_file, load_label_file


def check_label_file_round_trip(scene, case, path, convention: str, guess: bool = False):
    """segmentation -> label file in `convention` -> segmentation: what the convention can hold, exactly.

    The file holds the labels in `convention` on the case's grid (as ITK reads it); loading it
    back (with the convention given, or guessed from the values) gives the same canonical labels,
    up to what the convention cannot express (AURORA has no ET, binary only the whole tumour).
    """
    path = Path(path)
    reference = add_volume_node(scene, case.reference, f"{case.name} reference")
    original = labels_to_segmentation(scene, case.label_array(), reference, name=f"{case.name} labels")
    written = export_label_file(original, reference, path, convention)
    image = sitk.ReadImage(str(written))
    expected = label_conventions.from_canonical(case.label_array(), convention)
    assert sitk.GetArrayViewFromImage(image).dtype == np.uint8, f"{path.name}: not uint8"
    assert np.array_equal(sitk.GetArrayViewFromImage(image), expected), f"{path.name}: labels differ"
    assert np.allclose(image.GetOrigin(), case.reference.GetOrigin(), atol=1e-4), f"{path.name}: origin"
    assert np.allclose(image.GetDirection(), case.reference.GetDirection(), atol=1e-6), f"{path.name}: axes"
    assert np.allclose(image.GetSpacing(), case.reference.GetSpacing(), atol=1e-6), f"{path.name}: spacing"
    loaded = load_label_file(scene, written, reference, None if guess else convention)
    check_segments(loaded)
    back = segmentation_to_labels(loaded, reference)
    assert np.array_equal(back, label_conventions.to_canonical(expected, convention)), \
        f"{path.name}: {int(np.count_nonzero(back != label_conventions.to_canonical(expected, convention)))} voxels differ"
    assert np.array_equal(segmentation_to_labels(loaded, reference, convention), expected)
    return loaded


def run_all(scene, folder, log=print) -> None:
    """Every check above on every sample grid and convention: what the Slicer self-test runs."""
    folder = Path(folder)
    for grid in samples.GRIDS:
        case = samples.sample_case(grid)
        log(f"GliomaAISegment checks on the '{grid}' grid")
        for convention in label_conventions.CONVENTIONS:
            for suffix in (".nii.gz", ".nrrd"):
                check_label_file_round_trip(scene, case, folder / f"{grid}-{convention}{suffix}", convention)
        for convention in ("brats2023", "brats2021", "brats2015"):
            check_label_file_round_trip(scene, case, folder / f"{grid}-{convention}-guessed.nii.gz", convention,
                                        guess=True)
