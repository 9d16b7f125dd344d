"""GliomaAISegment: label map files in any convention <-> segmentations on a case's volume."""

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai import labels as label_conventions
from gliomaai.errors import GliomaAIError
from GliomaAILib import case_nodes, samples, volumes
from GliomaAILib.segmentation_nodes import segmentation_to_labels
from GliomaAISegmentLib import checks, label_files


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd"])
@pytest.mark.parametrize("convention", list(label_conventions.CONVENTIONS))
def test_label_file_round_trip(scene, tmp_path, convention, suffix):
    checks.check_label_file_round_trip(scene, samples.sample_case("oblique"), tmp_path / f"seg{suffix}", convention)


@pytest.mark.parametrize("convention", ["brats2023", "brats2021", "brats2015"])
@pytest.mark.parametrize("grid", ["flipped-xy", "mirrored-x", "anisotropic"])
def test_convention_is_guessed_from_the_values(scene, tmp_path, grid, convention):
    checks.check_label_file_round_trip(scene, samples.sample_case(grid), tmp_path / "seg.nii.gz", convention,
                                       guess=True)


def test_loaded_labels_join_the_case(scene, tmp_path):
    case = samples.sample_case("identity", name="P3")
    nodes = case_nodes.case_to_nodes(scene, case)
    path = label_files.export_label_file(nodes.segmentation, nodes.reference,
                                         tmp_path / label_files.default_export_name(nodes.segmentation, "brats2021"),
                                         "brats2021")
    assert path.name == "P3-seg-brats2021.nii.gz"
    loaded = label_files.load_label_file(scene, path, nodes.volumes["t2f"])
    assert loaded.GetName() == "P3-seg-brats2021"
    assert case_nodes.case_of_node(loaded) == "P3"
    assert loaded.GetAttribute(label_files.SOURCE_ATTRIBUTE) == str(path)
    assert loaded.GetAttribute("GliomaAI.LabelConvention") == "brats2021"
    # Temporary nodes are gone: the case's nodes, their storage/display nodes and the two segmentations only.
    assert scene.GetNumberOfNodesByClass("vtkMRMLLabelMapVolumeNode") == 1  # the brain mask


def test_labels_of_a_real_case_on_its_t1c(scene, shared_data):
    from gliomaai.case import load_case

    case = load_case(shared_data / "brats18-cbica-abm-1")
    reference = volumes.add_volume_node(scene, case.images["t1c"], "t1c")
    node = label_files.load_label_file(scene, shared_data / "brats18-cbica-abm-1" / "seg.nii.gz", reference)
    assert node.GetAttribute("GliomaAI.LabelConvention") == "brats2021"
    assert np.array_equal(segmentation_to_labels(node, reference), case.label_array())


def test_a_label_file_of_another_grid_is_refused(scene, tmp_path):
    case = samples.sample_case("anisotropic")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    other = samples.image_on_grid(case.label_array(), "identity")
    sitk.WriteImage(other, str(tmp_path / "other.nii.gz"))
    with pytest.raises(GliomaAIError, match="voxel grid differs"):
        label_files.load_label_file(scene, tmp_path / "other.nii.gz", reference)
    assert scene.GetNumberOfNodesByClass("vtkMRMLLabelMapVolumeNode") == 0  # nothing left behind


def test_header_noise_is_accepted(scene, tmp_path):
    case = samples.sample_case("identity")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    labels = sitk.Image(case.labels)
    labels.SetOrigin(tuple(o + 2e-5 for o in labels.GetOrigin()))
    sitk.WriteImage(labels, str(tmp_path / "noisy.nii.gz"))
    node = label_files.load_label_file(scene, tmp_path / "noisy.nii.gz", reference)
    assert np.array_equal(segmentation_to_labels(node, reference), case.label_array())


def test_values_outside_the_convention_say_which_fits(scene, tmp_path):
    case = samples.sample_case("identity")
    reference = volumes.add_volume_node(scene, case.reference, "ref")
    labels = sitk.GetImageFromArray(label_conventions.from_canonical(case.label_array(), "brats2021"))
    labels.CopyInformation(case.labels)
    sitk.WriteImage(labels, str(tmp_path / "seg.nii.gz"))
    with pytest.raises(GliomaAIError, match="brats2021"):
        label_files.load_label_file(scene, tmp_path / "seg.nii.gz", reference, "aurora")


def test_export_refuses_unknown_conventions_before_writing(scene, tmp_path):
    case = samples.sample_case("identity")
    nodes = case_nodes.case_to_nodes(scene, case)
    with pytest.raises(GliomaAIError, match="Unknown label convention"):
        label_files.export_label_file(nodes.segmentation, nodes.reference, tmp_path / "x.nii.gz", "brats2099")
    assert not (tmp_path / "x.nii.gz").exists()

