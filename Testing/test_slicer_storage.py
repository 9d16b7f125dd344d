"""Volumes and segmentations through files with Slicer's storage nodes (NRRD, NIfTI, .seg.nrrd)."""

import pytest

from gliomaai.errors import GliomaAIError
from GliomaAILib import checks, samples, storage, volumes


@pytest.mark.parametrize("suffix", [".nrrd", ".nii.gz"])
@pytest.mark.parametrize("grid", list(samples.GRIDS))
def test_volume_file_round_trip(scene, tmp_path, grid, suffix):
    case = samples.sample_case(grid)
    checks.check_volume_file_round_trip(scene, case.images["t2w"], tmp_path / f"t2w{suffix}")
    checks.check_volume_file_round_trip(scene, case.labels, tmp_path / f"labels{suffix}", labelmap=True)


@pytest.mark.parametrize("grid", ["anisotropic", "flipped-xy", "oblique"])
def test_segmentation_file_round_trip(scene, tmp_path, grid):
    checks.check_segmentation_file_round_trip(scene, samples.sample_case(grid), tmp_path / "labels.seg.nrrd")


def test_loaded_nodes_are_named_after_the_file(scene, tmp_path):
    image = samples.sample_case("identity").images["t1n"]
    path = storage.save_volume(volumes.add_volume_node(scene, image, "x"), tmp_path / "BraTS-0001-t1n.nii.gz")
    assert storage.load_volume(scene, path).GetName() == "BraTS-0001-t1n"


def test_file_errors_say_what_to_do(scene, tmp_path):
    image = samples.sample_case("identity").images["t1n"]
    node = volumes.add_volume_node(scene, image, "x")
    with pytest.raises(GliomaAIError, match="End it with"):
        storage.save_volume(node, tmp_path / "x.png")
    with pytest.raises(GliomaAIError, match="no such file"):
        storage.load_volume(scene, tmp_path / "absent.nrrd")
    (tmp_path / "broken.nrrd").write_text("not a nrrd")
    with pytest.raises(GliomaAIError, match="cannot be read"):
        storage.load_volume(scene, tmp_path / "broken.nrrd")
    with pytest.raises(GliomaAIError, match=".seg.nrrd"):
        storage.save_segmentation(scene.AddNewNodeByClass("vtkMRMLSegmentationNode"), tmp_path / "x.nrrd")
