"""A Case into the MRML scene and back, exactly, on awkward grids and on real cases."""

import numpy as np
import pytest

from gliomaai.errors import GliomaAIError
from GliomaAILib import case_nodes, checks, samples, volumes


@pytest.mark.parametrize("grid", list(samples.GRIDS))
def test_case_round_trip_is_exact(scene, grid):
    checks.check_case_round_trip(scene, samples.sample_case(grid))


def test_case_without_labels_or_mask(scene):
    case = samples.sample_case("anisotropic", with_mask=False)
    case.labels = None
    nodes = checks.check_case_round_trip(scene, case)
    assert nodes.segmentation is None and nodes.brain_mask is None


def test_ras_geometry_of_a_flipped_header(scene):
    """BraTS-METS headers have -1 on x and y in LPS: that is the identity in Slicer's RAS."""
    case = samples.sample_case("flipped-xy")
    node = case_nodes.case_to_nodes(scene, case).volumes["t1c"]
    import vtk

    matrix = vtk.vtkMatrix4x4()
    node.GetIJKToRASDirectionMatrix(matrix)
    assert [[matrix.GetElement(r, c) for c in range(3)] for r in range(3)] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    origin = case.images["t1c"].GetOrigin()
    assert node.GetOrigin() == (-origin[0], -origin[1], origin[2])


def test_nodes_are_named_and_marked(scene):
    case = samples.sample_case("identity", synthetic=("t1c", "t2f"), name="P7")
    nodes = case_nodes.case_to_nodes(scene, case)
    assert {s: n.GetName() for s, n in nodes.volumes.items()} == {
        "t1n": "P7 t1n", "t1c": "P7 t1c synthetic", "t2w": "P7 t2w", "t2f": "P7 t2f synthetic"}
    assert nodes.volumes["t1c"].GetAttribute("GliomaAI.Synthetic") == "1"
    assert nodes.volumes["t1n"].GetAttribute("GliomaAI.Synthetic") is None
    assert "SYNTHETIC" in nodes.volumes["t2f"].GetDescription()
    assert case_nodes.case_names(scene) == ["P7"]
    assert case_nodes.case_of_node(nodes.segmentation) == "P7"
    assert nodes.reference is nodes.volumes["t1n"]


def test_missing_sequences_stay_missing(scene):
    case = samples.sample_case("oblique")
    del case.images["t2w"]
    back = case_nodes.nodes_to_case(case_nodes.find_case_nodes(scene, case_nodes.case_to_nodes(scene, case).name))
    assert back.present == ("t1n", "t1c", "t2f") and back.missing == ("t2w",)


def test_unknown_case_is_an_error_that_says_what_to_do(scene):
    with pytest.raises(GliomaAIError, match="Load the case first"):
        case_nodes.find_case_nodes(scene, "nobody")


def test_volume_of_any_voxel_type(scene):
    for dtype in (np.uint8, np.int16, np.uint16, np.int32, np.float32, np.float64):
        image = samples.image_on_grid((np.arange(16 * 20 * 24).reshape(16, 20, 24) % 251).astype(dtype), "oblique")
        node = volumes.add_volume_node(scene, image, f"type {np.dtype(dtype).name}")
        checks.assert_same_image(volumes.node_to_image(node), image, np.dtype(dtype).name)


@pytest.mark.parametrize("folder", ["brats18-cbica-abm-1", "brats-met-00110-000"])
def test_real_case_round_trip_is_exact(scene, shared_data, folder):
    from gliomaai.case import load_case

    path = shared_data / folder
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    case = load_case(path)
    checks.check_case_round_trip(scene, case)


def test_load_case_nodes_from_a_folder(scene, tmp_path):
    import SimpleITK as sitk

    case = samples.sample_case("flipped-xy", synthetic=())
    for sequence, image in case.images.items():
        sitk.WriteImage(image, str(tmp_path / f"P9-{sequence}.nrrd"))
    sitk.WriteImage(case.labels, str(tmp_path / "P9-seg.nrrd"))
    nodes = case_nodes.load_case_nodes(scene, tmp_path, name="P9")
    assert list(nodes.volumes) == ["t1n", "t1c", "t2w", "t2f"] and nodes.segmentation is not None
    back = case_nodes.nodes_to_case(nodes)
    for sequence in case.present:
        checks.assert_same_image(back.images[sequence], case.images[sequence], sequence, tolerance=1e-9)
    assert np.array_equal(back.label_array(), case.label_array())


def test_the_chosen_volumes_bring_their_case_brain_mask(scene):
    case = samples.sample_case("anisotropic")
    nodes = case_nodes.case_to_nodes(scene, case)
    chosen = case_nodes.case_from_volumes({"t2f": nodes.volumes["t2f"], "t1c": nodes.volumes["t1c"]})
    assert np.array_equal(chosen.brain_mask_array(), case.brain_mask_array())
    assert chosen.sources["brain mask"] == f"scene node {nodes.brain_mask.GetName()}"
    scene.RemoveNode(nodes.brain_mask)
    assert case_nodes.case_from_volumes({"t2f": nodes.volumes["t2f"]}).brain_mask is None
