"""Checks of the GliomaAI scene logic, shared by pytest and the Slicer self-test.

Each check takes the scene (and its inputs), raises AssertionError on failure and returns what
it made. They live in the Lib, which the extension installs, so the self-test of an installed
extension (Reload and Test, or ctest) runs exactly what pytest runs with slicer-core.
"""

from pathlib import Path

import numpy as np
import SimpleITK as sitk
from slicer.util import arrayFromVolume

from gliomaai import labels as label_conventions

from . import samples
from .case_nodes import (SEQUENCE_ATTRIBUTE, SYNTHETIC_ATTRIBUTE, case_to_nodes, find_case_nodes, nodes_to_case,
                         volume_name)
from .segmentation_nodes import labels_to_segmentation, segmentation_to_labels, terminology_entry
from .storage import load_segmentation, load_volume, save_segmentation, save_volume
from .volumes import add_volume_node, array_on_grid_of, node_geometry, node_to_image, voxel_correspondence

# Geometry a file format keeps: NRRD writes doubles as text, NIfTI single-precision floats.
FORMAT_TOLERANCE_MM = {".nrrd": 1e-9, ".nii.gz": 1e-4, ".nii": 1e-4}


def assert_same_image(actual: sitk.Image, expected: sitk.Image, what: str, tolerance: float = 0.0) -> None:
    """Voxels identical (values and type); size, spacing, origin and direction equal within `tolerance`."""
    assert actual.GetSize() == expected.GetSize(), f"{what}: size {actual.GetSize()} != {expected.GetSize()}"
    a, e = sitk.GetArrayViewFromImage(actual), sitk.GetArrayViewFromImage(expected)
    assert a.dtype == e.dtype, f"{what}: voxel type {a.dtype} != {e.dtype}"
    assert np.array_equal(a, e), f"{what}: {int(np.count_nonzero(a != e))} voxels differ"
    for prop in ("Spacing", "Origin", "Direction"):
        got, want = getattr(actual, f"Get{prop}")(), getattr(expected, f"Get{prop}")()
        if tolerance == 0.0:
            assert got == want, f"{what}: {prop.lower()} {got} != {want}"
        else:
            assert np.allclose(got, want, rtol=0, atol=tolerance), f"{what}: {prop.lower()} {got} != {want}"


def check_segments(segmentation_node) -> None:
    """Segments NETC, SNFH, ET in that order, with class colours and terminology, empty ones included."""
    segmentation = segmentation_node.GetSegmentation()
    ids = [segmentation.GetNthSegmentID(i) for i in range(segmentation.GetNumberOfSegments())]
    assert ids == [c.name for c in label_conventions.CLASSES], f"segment IDs {ids}"
    for tumour_class in label_conventions.CLASSES:
        segment = segmentation.GetSegment(tumour_class.name)
        assert segment.GetName() == tumour_class.name, f"segment name {segment.GetName()}"
        assert np.allclose(segment.GetColor(), tumour_class.color, atol=1e-6), \
            f"{tumour_class.name}: colour {segment.GetColor()} != {tumour_class.color}"
        assert segment.GetTerminology() == terminology_entry(tumour_class), \
            f"{tumour_class.name}: terminology {segment.GetTerminology()!r}"
        assert tumour_class.type[0] in segment.GetTerminology(), f"{tumour_class.name}: code missing"


def check_case_round_trip(scene, case):
    """case -> nodes -> case: names, attributes, voxels and geometry all exactly as they were."""
    nodes = case_to_nodes(scene, case)
    for sequence, node in nodes.volumes.items():
        synthetic = sequence in case.synthetic
        assert node.GetName() == volume_name(case.name, sequence, synthetic), node.GetName()
        assert node.GetAttribute(SEQUENCE_ATTRIBUTE) == sequence
        assert ("synthetic" in node.GetName()) == synthetic, f"{node.GetName()}: synthetic is {synthetic}"
        assert (node.GetAttribute(SYNTHETIC_ATTRIBUTE) == "1") == synthetic, f"{node.GetName()}: synthetic attribute"
        spacing, origin, direction = node_geometry(node)
        image = case.images[sequence]
        assert (spacing, origin, direction) == (image.GetSpacing(), image.GetOrigin(), image.GetDirection()), \
            f"{node.GetName()}: geometry {spacing, origin, direction}"
    back = nodes_to_case(find_case_nodes(scene, case.name))
    assert back.name == case.name and back.present == case.present, (back.name, back.present)
    assert back.synthetic == set(case.synthetic), f"synthetic {back.synthetic} != {case.synthetic}"
    for sequence in case.present:
        assert_same_image(back.images[sequence], case.images[sequence], f"{case.name} {sequence}")
    if case.brain_mask is not None:
        assert_same_image(back.brain_mask, sitk.Cast(case.brain_mask, back.brain_mask.GetPixelID()),
                          f"{case.name} brain mask")
    if case.labels is not None:
        assert_same_image(back.labels, case.labels, f"{case.name} labels")
        check_segments(nodes.segmentation)
        assert back.label_convention == (case.label_convention or label_conventions.CANONICAL)
    return nodes


def check_labels_round_trip(scene, case, convention: str):
    """labels in `convention` -> segmentation -> labels in `convention`: identical arrays."""
    reference = add_volume_node(scene, case.reference, f"{case.name} reference ({convention})")
    labels = label_conventions.from_canonical(case.label_array(), convention)
    segmentation_node = labels_to_segmentation(scene, labels, reference, convention, name=f"{case.name} {convention}")
    check_segments(segmentation_node)
    canonical = segmentation_to_labels(segmentation_node, reference)
    assert np.array_equal(canonical, label_conventions.to_canonical(labels, convention)), \
        f"{convention}: canonical content differs"
    back = segmentation_to_labels(segmentation_node, reference, convention)
    assert back.dtype == np.uint8 and np.array_equal(back, labels), \
        f"{convention}: {int(np.count_nonzero(back != labels))} voxels differ after the round trip"
    return segmentation_node


def check_empty_segments_survive(scene, case):
    """Labels without ET still make an ET segment, which stays empty and exports as no voxel."""
    canonical = case.label_array().copy()
    canonical[canonical == label_conventions.ET] = label_conventions.NETC
    reference = add_volume_node(scene, case.reference, f"{case.name} reference (no ET)")
    segmentation_node = labels_to_segmentation(scene, canonical, reference, name=f"{case.name} no ET")
    check_segments(segmentation_node)
    back = segmentation_to_labels(segmentation_node, reference)
    assert not np.any(back == label_conventions.ET), "ET appeared from nowhere"
    assert np.array_equal(back, canonical), "labels changed"
    empty = np.zeros_like(canonical)
    labels_to_segmentation(scene, empty, reference, segmentation_node=segmentation_node)
    check_segments(segmentation_node)
    assert not np.any(segmentation_to_labels(segmentation_node, reference)), "an empty segmentation is not empty"
    return segmentation_node


def check_volume_file_round_trip(scene, image: sitk.Image, path, labelmap: bool = False):
    """image -> node -> file -> node: the same voxels at the same places, geometry to the format's precision.

    A right-handed frame comes back in the same voxel order. Slicer's reader reverses the slice
    order of a left-handed (mirrored) one: then the same voxels must sit at the same places.
    """
    path = Path(path)
    node = add_volume_node(scene, image, path.name, labelmap=labelmap)
    save_volume(node, path)
    tolerance = FORMAT_TOLERANCE_MM[next(s for s in FORMAT_TOLERANCE_MM if path.name.endswith(s))]
    assert_same_image(sitk.ReadImage(str(path)), image, f"{path.name} read by SimpleITK", tolerance)
    loaded = load_volume(scene, path, labelmap=labelmap)
    if np.linalg.det(np.reshape(image.GetDirection(), (3, 3))) > 0:
        assert_same_image(node_to_image(loaded), image, path.name, tolerance)
    else:
        assert voxel_correspondence(loaded, node) is not None, f"{path.name}: another grid"
        back = array_on_grid_of(arrayFromVolume(loaded), loaded, node)
        assert back.dtype == sitk.GetArrayViewFromImage(image).dtype, f"{path.name}: voxel type {back.dtype}"
        assert np.array_equal(back, sitk.GetArrayViewFromImage(image)), f"{path.name}: voxels moved"
    return loaded


def check_segmentation_file_round_trip(scene, case, path):
    """labels -> segmentation -> .seg.nrrd -> segmentation -> labels: identical, segments intact."""
    reference = add_volume_node(scene, case.reference, f"{case.name} reference (file)")
    segmentation_node = labels_to_segmentation(scene, case.label_array(), reference, name=f"{case.name} to file")
    save_segmentation(segmentation_node, path)
    loaded = load_segmentation(scene, path)
    check_segments(loaded)
    back = segmentation_to_labels(loaded, reference)
    assert np.array_equal(back, case.label_array()), \
        f"{Path(path).name}: {int(np.count_nonzero(back != case.label_array()))} voxels differ"
    return loaded


def check_imputation(scene, volumes_by_sequence: dict, model, engine, missing=("t1c",)):
    """Imputing into the scene: new nodes, named, flagged and described as synthetic, on the inputs' grid;
    the inputs untouched; a second run makes other nodes beside the first."""
    from .imputation_nodes import SOURCES_ATTRIBUTE, run_imputation

    inputs = {s: n for s, n in volumes_by_sequence.items() if s not in missing}
    before = {s: np.array(arrayFromVolume(n), copy=True) for s, n in inputs.items()}
    reference = next(iter(inputs.values()))
    made = run_imputation(scene, inputs, model=model, engine=engine)
    assert sorted(made.volumes) == sorted(missing), f"imputed {sorted(made.volumes)}, expected {sorted(missing)}"
    for sequence, node in made.volumes.items():
        assert node.GetName().endswith(f"{sequence} synthetic"), node.GetName()
        assert node.GetAttribute(SYNTHETIC_ATTRIBUTE) == "1" and node.GetAttribute(SEQUENCE_ATTRIBUTE) == sequence
        assert "SYNTHETIC" in node.GetDescription() and node.GetAttribute(SOURCES_ATTRIBUTE) == ",".join(inputs)
        assert node_geometry(node) == node_geometry(reference), f"{node.GetName()} is not on the inputs' grid"
        assert np.asarray(arrayFromVolume(node)).std() > 0, f"{node.GetName()} is empty"
    for sequence, node in inputs.items():
        assert np.array_equal(arrayFromVolume(node), before[sequence]), f"the input {sequence} was changed"
    again = run_imputation(scene, inputs, model=model, engine=engine)
    for sequence, node in again.volumes.items():
        assert node is not made.volumes[sequence] and node.GetName() != made.volumes[sequence].GetName()
        assert scene.IsNodePresent(made.volumes[sequence]), "an earlier synthetic volume was replaced"
    return made


def check_imputation_cancel(scene, volumes_by_sequence: dict, model, engine, missing=("t1c",)):
    """Cancelled before its first slice, an imputation adds nothing to the scene."""
    from gliomaai.inference.engine import Cancelled

    from .imputation_nodes import BackgroundImputation, prepare_imputation

    count = scene.GetNumberOfNodes()
    background = BackgroundImputation(prepare_imputation({s: n for s, n in volumes_by_sequence.items()
                                                          if s not in missing}, model=model, engine=engine))
    background.cancel()  # before the first batch of slices: the worker stops there
    background.start().job.wait(60)
    try:
        background.finish(scene)
        raise AssertionError("a cancelled imputation finished")
    except Cancelled:
        pass
    assert scene.GetNumberOfNodes() == count, "a cancelled imputation added nodes"


def run_all(scene, folder, log=print) -> None:
    """Every check above on every sample grid: what the Slicer self-test runs."""
    folder = Path(folder)
    for grid in samples.GRIDS:
        case = samples.sample_case(grid)
        log(f"GliomaAI checks on the '{grid}' grid")
        check_case_round_trip(scene, case)
        for convention in label_conventions.CONVENTIONS:
            check_labels_round_trip(scene, case, convention)
        check_empty_segments_survive(scene, case)
        for suffix in (".nrrd", ".nii.gz"):
            check_volume_file_round_trip(scene, case.images["t1c"], folder / f"{grid}-t1c{suffix}")
            check_volume_file_round_trip(scene, case.labels, folder / f"{grid}-labels{suffix}", labelmap=True)
        check_segmentation_file_round_trip(scene, case, folder / f"{grid}.seg.nrrd")
    try:
        import torch  # noqa: F401 - the imputation checks run a model
    except ImportError:
        log("Imputation checks skipped: PyTorch is not installed (GliomaAI installs it at first use).")
        return
    from gliomaai.models.untrained import write_untrained_imputer
    from gliomaai.inference.engine import InferenceEngine

    model, engine = write_untrained_imputer(folder / "untrained-imputer"), InferenceEngine("cpu")
    for grid in samples.GRIDS:
        log(f"GliomaAI imputation checks on the '{grid}' grid")
        nodes = case_to_nodes(scene, samples.sample_case(grid))
        check_imputation(scene, nodes.volumes, model, engine)
        check_imputation_cancel(scene, nodes.volumes, model, engine)
