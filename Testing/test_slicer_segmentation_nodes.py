"""Tumour labels <-> segmentation nodes: every convention, exact, empty segments kept."""

import numpy as np
import pytest

from gliomaai import labels as label_conventions
from gliomaai.errors import GliomaAIError
from GliomaAILib import checks, samples, segmentation_nodes, volumes


@pytest.mark.parametrize("convention", list(label_conventions.CONVENTIONS))
@pytest.mark.parametrize("grid", ["anisotropic", "flipped-xy", "oblique"])
def test_labels_round_trip_in_every_convention(scene, grid, convention):
    checks.check_labels_round_trip(scene, samples.sample_case(grid), convention)


@pytest.mark.parametrize("grid", ["identity", "mirrored-x", "oblique"])
def test_empty_segments_survive(scene, grid):
    checks.check_empty_segments_survive(scene, samples.sample_case(grid))


def test_terminology_is_slicer_serialized_form():
    entry = segmentation_nodes.terminology_entry(label_conventions.CLASSES[2])
    assert entry.split("~")[:3] == ["Segmentation category and type - DICOM master list",
                                    "SCT^49755003^Morphologically Altered Structure", "SCT^108369006^Neoplasm"]


def test_brats2015_non_enhancing_label_goes_to_netc(scene):
    case = samples.sample_case("identity")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    labels = np.zeros(case.label_array().shape, np.uint8)
    labels[2:4, 2:4, 2:4] = 3  # BraTS 2015 "non-enhancing tumour"
    labels[5:7, 5:7, 5:7] = 4  # BraTS 2015 "enhancing"
    node = segmentation_nodes.labels_to_segmentation(scene, labels, reference, "brats2015")
    canonical = segmentation_nodes.segmentation_to_labels(node, reference)
    assert set(np.unique(canonical[2:4, 2:4, 2:4])) == {label_conventions.NETC}
    assert set(np.unique(canonical[5:7, 5:7, 5:7])) == {label_conventions.ET}
    assert node.GetAttribute(segmentation_nodes.CONVENTION_ATTRIBUTE) == "brats2015"


def test_wrong_convention_is_an_error_that_says_which_fits(scene):
    case = samples.sample_case("identity")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    labels = label_conventions.from_canonical(case.label_array(), "brats2021")  # holds 4
    with pytest.raises(GliomaAIError, match="brats2021"):
        segmentation_nodes.labels_to_segmentation(scene, labels, reference, "brats2023")


def test_labels_of_another_shape_are_refused(scene):
    case = samples.sample_case("identity")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    with pytest.raises(GliomaAIError, match="do not fit"):
        segmentation_nodes.labels_to_segmentation(scene, np.zeros((3, 4, 5), np.uint8), reference)


def test_user_segments_are_found_by_name_and_strangers_refused(scene):
    case = samples.sample_case("identity")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "drawn by hand")
    node.SetReferenceImageGeometryParameterFromVolumeNode(reference)
    node.GetSegmentation().AddEmptySegment("Segment_1", "et", (1, 1, 0))
    assert segmentation_nodes.tumour_segment_ids(node) == {"ET": "Segment_1"}
    assert not segmentation_nodes.segmentation_to_labels(node, reference).any()
    node.GetSegmentation().AddEmptySegment("Segment_2", "Tumor", (1, 0, 0))
    with pytest.raises(GliomaAIError, match="not tumour classes"):
        segmentation_nodes.segmentation_to_labels(node, reference)


def test_slicer_util_helpers_see_the_segments(scene):
    """The fixture's slicer.modules lets slicer.util's own segment helpers run on our nodes."""
    import slicer.util

    case = samples.sample_case("oblique")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    node = segmentation_nodes.labels_to_segmentation(scene, case.label_array(), reference)
    et = slicer.util.arrayFromSegmentBinaryLabelmap(node, "ET", reference)
    assert np.array_equal(et > 0, case.label_array() == label_conventions.ET)


def test_overlapping_drawn_segments_resolve_core_over_edema(scene):
    """Segments drawn by hand may overlap: enhancing tumour wins over necrosis, both over edema."""
    import slicer.util

    case = samples.sample_case("oblique")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    node = segmentation_nodes.labels_to_segmentation(scene, np.zeros(case.label_array().shape, np.uint8), reference)
    shape = case.label_array().shape
    edema, core, enhancing = (np.zeros(shape, np.uint8) for _ in range(3))
    edema[2:14, 2:18, 2:22] = 1
    core[4:12, 4:16, 4:20] = 1
    enhancing[6:10, 6:14, 6:18] = 1
    for segment_id, mask in (("ET", enhancing), ("NETC", core), ("SNFH", edema)):
        slicer.util.updateSegmentBinaryLabelmapFromArray(mask, node, segment_id, reference)
    labels = segmentation_nodes.segmentation_to_labels(node, reference)
    assert np.all(labels[enhancing > 0] == label_conventions.ET)
    assert np.all(labels[(core > 0) & (enhancing == 0)] == label_conventions.NETC)
    assert np.all(labels[(edema > 0) & (core == 0)] == label_conventions.SNFH)
    assert np.all(labels[edema == 0] == 0)
