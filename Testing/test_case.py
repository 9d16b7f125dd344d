import gzip

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai.case import Case, load_case
from gliomaai.errors import GliomaAIError
from gliomaai.phantom import make_phantom

from helpers import image, write


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((24, 32, 32))


@pytest.fixture
def case_folder(tmp_path, phantom):
    names = {"t1n": "P-t1.nii.gz", "t1c": "P-t1ce.nrrd", "t2w": "P-t2.mha", "t2f": "P-flair.nii.gz"}
    for sequence, name in names.items():
        write(phantom.images[sequence], tmp_path / name)
    write(phantom.labels, tmp_path / "P-seg.nii.gz")
    return tmp_path


def test_a_folder_loads_with_each_sequence_detected_and_labels_read(case_folder, phantom):
    case = load_case(case_folder)
    assert case.present == ("t1n", "t1c", "t2w", "t2f") and case.missing == ()
    for sequence in case.present:
        assert np.array_equal(case.array(sequence), phantom.array(sequence))
    assert np.array_equal(case.label_array(), phantom.label_array())
    assert case.label_convention == "brats2023"


def test_a_subset_of_sequences_says_what_is_missing(tmp_path, phantom):
    write(phantom.images["t2f"], tmp_path / "flair.nii.gz")
    write(phantom.images["t1c"], tmp_path / "t1c.nii.gz")
    case = load_case(tmp_path)
    assert case.present == ("t1c", "t2f") and case.missing == ("t1n", "t2w")


def test_explicit_paths(tmp_path, phantom):
    path = write(phantom.images["t2w"], tmp_path / "anything.nrrd")
    case = load_case({"t2w": path})
    assert case.present == ("t2w",)


def test_a_dicom_series_folder_reads_as_one_sequence(tmp_path, phantom):
    series = tmp_path / "case" / "T1_AX_POST_GAD"
    series.mkdir(parents=True)
    volume = sitk.Cast(phantom.images["t1c"], sitk.sitkInt16)
    for z in range(volume.GetDepth()):
        slice_image = volume[:, :, z]
        writer = sitk.ImageFileWriter()
        writer.KeepOriginalImageUIDOn()
        for key, value in {"0020|000e": "1.2.826.0.1.3680043.2.1125.1", "0020|0013": str(z + 1),
                           "0020|0032": "\\".join(map(str, volume.TransformIndexToPhysicalPoint((0, 0, z)))),
                           "0020|0037": "1\\0\\0\\0\\1\\0", "0008|0060": "MR"}.items():
            slice_image.SetMetaData(key, value)
        writer.SetFileName(str(series / f"{z:03d}.dcm"))
        writer.Execute(slice_image)
    case = load_case(tmp_path / "case")
    assert case.present == ("t1c",)
    assert np.array_equal(case.array("t1c"), sitk.GetArrayFromImage(volume).astype(np.float32))


def test_two_files_claiming_one_sequence(tmp_path, phantom):
    write(phantom.images["t1c"], tmp_path / "t1c.nii.gz")
    write(phantom.images["t1c"], tmp_path / "t1ce.nrrd")
    with pytest.raises(GliomaAIError, match="t1c.nii.gz.*t1ce.nrrd|t1ce.nrrd.*t1c.nii.gz"):
        load_case(tmp_path)


def test_a_folder_with_no_recognisable_sequence_lists_what_it_saw(tmp_path, phantom):
    write(phantom.images["t1c"], tmp_path / "scan_0001.nii.gz")
    with pytest.raises(GliomaAIError) as error:
        load_case(tmp_path)
    assert "scan_0001.nii.gz" in str(error.value) and "t1c" in error.value.hint


def test_a_2d_image_is_refused(tmp_path):
    path = tmp_path / "t1c.nii.gz"
    sitk.WriteImage(sitk.GetImageFromArray(np.random.rand(32, 32).astype(np.float32)), str(path))
    with pytest.raises(GliomaAIError, match="not a 3D volume"):
        load_case(tmp_path)


def test_nan_voxels_are_refused_with_the_file_named(tmp_path):
    array = np.random.rand(8, 8, 8).astype(np.float32)
    array[2, 3, 4] = np.nan
    write(array, tmp_path / "flair.nii.gz")
    with pytest.raises(GliomaAIError, match="flair.nii.gz: 1 voxels are NaN"):
        load_case(tmp_path)


def test_a_corrupt_file_is_refused_with_the_file_named(tmp_path, phantom):
    good = write(phantom.images["t1n"], tmp_path / "good.nii.gz")
    data = gzip.decompress(good.read_bytes())
    (tmp_path / "t1.nii.gz").write_bytes(gzip.compress(data[: len(data) // 3]))
    good.unlink()
    with pytest.raises(GliomaAIError) as error:
        load_case(tmp_path)
    assert "t1.nii.gz" in str(error.value) and "corrupt" in error.value.hint


def test_an_empty_image_is_refused(tmp_path):
    write(np.zeros((8, 8, 8), np.int16), tmp_path / "t2.nii.gz")
    with pytest.raises(GliomaAIError, match="empty image"):
        load_case(tmp_path)


def test_labels_outside_the_convention(tmp_path, phantom):
    write(phantom.images["t1c"], tmp_path / "t1c.nii.gz")
    write(phantom.label_array() * 2, tmp_path / "seg.nii.gz")  # values 0, 2, 4, 6
    with pytest.raises(GliomaAIError, match="seg.nii.gz.*\\[6\\]"):
        load_case(tmp_path, label_convention="brats2021")


def test_mismatched_grids_are_refused_unless_aligned(tmp_path, phantom):
    write(phantom.images["t1c"], tmp_path / "t1c.nii.gz")
    shifted = sitk.Image(phantom.images["t2f"])
    shifted.SetOrigin([o + 12.0 for o in shifted.GetOrigin()])
    write(shifted, tmp_path / "flair.nii.gz")
    with pytest.raises(GliomaAIError, match="do not share one grid") as error:
        load_case(tmp_path)
    assert "--align" in error.value.hint
    aligned = load_case(tmp_path, align=True)
    assert aligned.grid.matches(phantom.grid)
    assert any("registered" in note for note in aligned.notes)


def test_brain_mask_of_a_scan_with_a_constant_negative_background(phantom):
    """Publishers that z-score over the brain leave a negative background, not 0."""
    brain = sitk.GetArrayFromImage(phantom.brain_mask) > 0
    array = phantom.array("t2f")
    zscored = np.where(brain, (array - array[brain].mean()) / array[brain].std(), -3.6).astype(np.float32)
    case = Case("z", {"t2f": image(zscored)})
    found = case.brain_mask_array()
    assert (found & brain).sum() / (found | brain).sum() > 0.99


def test_the_brain_found_once_is_kept_until_the_images_change(phantom):
    brain = sitk.GetArrayFromImage(phantom.brain_mask) > 0
    case = Case("found", {"t2f": image(np.where(brain, phantom.array("t2f"), 0))})
    found = case.brain_mask_array()
    assert case.brain_mask_array() is found and not found.flags.writeable  # shared, so nobody may edit it
    half = np.where(brain, phantom.array("t2f"), 0)
    half[:, :, : half.shape[2] // 2] = 0
    case.images["t2f"] = image(half)  # another image: another brain
    assert case.brain_mask_array().sum() < found.sum() and not case.brain_mask_array()[:, :, :10].any()


def test_normalized_is_zero_mean_unit_std_inside_the_brain(phantom):
    brain = phantom.brain_mask_array()
    values = phantom.normalized("t1c")[brain]
    assert abs(values.mean()) < 1e-4 and abs(values.std() - 1) < 1e-4
    assert not phantom.normalized("t1c")[~brain].any()


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_a_synthetic_image_is_known_by_its_header_whatever_its_file_name(tmp_path, phantom, suffix):
    from gliomaai.imageio import write_image

    def plain(sequence):  # the phantom's pixels without its own synthetic mark
        image = sitk.GetImageFromArray(phantom.array(sequence))
        image.CopyInformation(phantom.images[sequence])
        return image

    write_image(plain("t1c"), tmp_path / f"t1c{suffix}", description="SYNTHETIC t1c: not for reading")
    write_image(plain("t2f"), tmp_path / f"flair{suffix}")
    case = load_case(tmp_path)
    assert case.synthetic == {"t1c"}
