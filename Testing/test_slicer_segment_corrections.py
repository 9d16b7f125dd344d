"""Corrections: an edited model segmentation saved from the scene as a record, and the record format itself."""

import json
import os

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai import corrections
from gliomaai.errors import GliomaAIError
from gliomaai.imageio import is_marked_synthetic
from gliomaai.phantom import make_phantom
from GliomaAILib import samples
from GliomaAILib.case_nodes import case_to_nodes
from GliomaAISegmentLib import checks, correction_nodes, segmentation_run




def test_edited_phantom_segmentation_is_saved_as_a_record(scene, tmp_path, tiny_model, engine):
    nodes = case_to_nodes(scene, make_phantom((32, 40, 40), seed=5))
    saved, again = checks.check_correction_saved(scene, nodes.volumes, tiny_model, tmp_path / "corrections", engine)
    assert saved.path.name.startswith("phantom-synthetic-") and again.path.name.startswith("phantom-synthetic-")
    assert saved.record["synthetic"] == ["t1c", "t1n", "t2f", "t2w"]
    assert saved.record["files"]["images"]["t1c"] == "images/t1c-synthetic.nii.gz"
    path = saved.path / "images" / "t1c-synthetic.nii.gz"
    assert is_marked_synthetic(sitk.ReadImage(str(path)), path.with_name("t1c.nii.gz"))  # the header says so too
    assert saved.comparison.GetAttribute(correction_nodes.RECORD_ATTRIBUTE) == str(saved.path)
    assert correction_nodes.comparison_summary(saved.record).startswith("Saved phantom-synthetic: WT Dice ")


def test_a_subset_of_sequences_is_stored_as_such(scene, tmp_path, tiny_model, engine):
    nodes = case_to_nodes(scene, samples.sample_case("mirrored-x", synthetic=()))
    chosen = {"t1c": nodes.volumes["t1c"], "t2f": nodes.volumes["t2f"]}
    saved, _ = checks.check_correction_saved(scene, chosen, checks.write_tiny_model(tmp_path / "m"), tmp_path / "c",
                                             engine)
    assert sorted(saved.record["files"]["images"]) == ["t1c", "t2f"] and saved.record["synthetic"] == []


def test_saving_needs_the_inputs_and_a_folder(scene, tmp_path, tiny_model, engine):
    nodes = case_to_nodes(scene, make_phantom((32, 40, 40)))
    run = segmentation_run.run_segmentation(scene, nodes.volumes, tiny_model, "cpu", engine=engine)
    with pytest.raises(GliomaAIError, match="No corrections folder"):
        correction_nodes.save_correction_from_scene(scene, run.segmentation, "")
    scene.RemoveNode(nodes.volumes["t2w"])
    with pytest.raises(GliomaAIError, match="t2w are no longer in the scene"):
        correction_nodes.save_correction_from_scene(scene, run.segmentation, tmp_path)
    assert not any(tmp_path.iterdir())


def _labels(seed=0, shape=(6, 7, 8)):
    return np.random.default_rng(seed).integers(0, 4, shape).astype(np.uint8)


def test_compare_agrees_with_a_direct_count():
    model, corrected = _labels(1), _labels(2)
    spacing = (0.5, 2.0, 3.0)  # x, y, z mm: 3 mm^3 = 0.003 mL per voxel
    figures = corrections.compare(model, corrected, spacing)
    for region, values in {"NETC": [1], "SNFH": [2], "ET": [3], "WT": [1, 2, 3], "TC": [1, 3]}.items():
        m, c = np.isin(model, values), np.isin(corrected, values)
        assert figures[region]["dice"] == pytest.approx(2 * (m & c).sum() / (m.sum() + c.sum()), abs=1e-6)
        assert figures[region]["added_ml"] == pytest.approx((c & ~m).sum() * 0.003)
        assert figures[region]["removed_ml"] == pytest.approx((m & ~c).sum() * 0.003)
        assert figures[region]["corrected_ml"] - figures[region]["model_ml"] == pytest.approx(
            figures[region]["added_ml"] - figures[region]["removed_ml"], abs=1e-9)
    assert figures["changed_voxels"] == int((model != corrected).sum())


def test_compare_of_empty_and_identical_labels():
    empty = np.zeros((4, 4, 4), dtype=np.uint8)
    figures = corrections.compare(empty, empty, (1, 1, 1))
    assert all(figures[r]["dice"] == 1.0 and figures[r]["added_ml"] == 0 for r in corrections.REGIONS)
    labels = _labels(3, (4, 4, 4))
    assert corrections.compare(labels, labels, (1, 1, 1))["changed_voxels"] == 0
    with pytest.raises(GliomaAIError, match="not canonical"):
        corrections.compare(labels * 2, labels, (1, 1, 1))
    with pytest.raises(GliomaAIError, match="differ in shape"):
        corrections.compare(labels, labels[:2], (1, 1, 1))


def _image(array, grid="oblique"):
    return samples.image_on_grid(array, grid)


def test_records_are_never_overwritten(tmp_path):
    model = _image(_labels(4, (16, 20, 24)))
    corrected = _image(_labels(5, (16, 20, 24)))
    paths = [corrections.save_correction(tmp_path, "case 1/a", corrected, model, {"model": "m"}) for _ in range(3)]
    assert len(set(paths)) == 3 and all(p.parent == tmp_path for p in paths)
    assert paths[0].name.startswith("case_1_a-")  # a safe folder name
    assert corrections.list_corrections(tmp_path) == sorted(paths)
    assert corrections.list_corrections(paths[0]) == [paths[0]]


def test_a_changed_file_is_noticed(tmp_path):
    model, corrected = _image(_labels(6, (16, 20, 24))), _image(_labels(7, (16, 20, 24)))
    image = _image(np.ones((16, 20, 24), dtype=np.int16))
    path = corrections.save_correction(tmp_path, "c", corrected, model, {}, images={"t1c": image})
    record = corrections.read_correction(path)
    assert np.array_equal(sitk.GetArrayFromImage(record.corrected), sitk.GetArrayFromImage(corrected))
    case = corrections.correction_case(record)
    assert case.present == ("t1c",) and np.array_equal(case.label_array(), sitk.GetArrayFromImage(corrected))
    sitk.WriteImage(model, str(path / "corrected.nii.gz"))
    with pytest.raises(GliomaAIError, match="changed since"):
        corrections.read_correction(path)


def test_a_half_written_record_is_ignored(tmp_path):
    (tmp_path / "interrupted").mkdir()
    (tmp_path / "interrupted" / "corrected.nii.gz").write_bytes(b"")
    assert corrections.list_corrections(tmp_path) == []
    with pytest.raises(GliomaAIError, match="not a folder"):
        corrections.list_corrections(tmp_path / "absent")


def test_labels_and_images_must_share_the_grid(tmp_path):
    labels = _labels(8, (16, 20, 24))
    with pytest.raises(GliomaAIError, match="not on one grid"):
        corrections.save_correction(tmp_path, "c", _image(labels, "oblique"), _image(labels, "identity"), {})
    with pytest.raises(GliomaAIError, match="t2f"):
        corrections.save_correction(tmp_path, "c", _image(labels), _image(labels), {},
                                    images={"t2f": _image(labels.astype(np.int16), "identity")})
    with pytest.raises(GliomaAIError, match="Unknown sequences"):
        corrections.save_correction(tmp_path, "c", _image(labels), _image(labels), {}, images={"dwi": _image(labels)})
    assert not any(tmp_path.iterdir()), "a refused record left a folder behind"


def test_record_json_says_what_it_holds(tmp_path):
    labels = _labels(9, (16, 20, 24))
    path = corrections.save_correction(tmp_path, "c", _image(labels), _image(labels), {"model": "m", "tta": False},
                                       note="checked by a neuroradiologist")
    record = json.loads((path / "record.json").read_text())
    assert record["format"] == corrections.FORMAT and record["note"] == "checked by a neuroradiologist"
    assert record["model"] == {"model": "m", "tta": False}
    assert record["comparison"]["WT"]["dice"] == 1.0 and record["comparison"]["changed_voxels"] == 0
    assert record["grid"]["spacing"] == list(samples.GRIDS["oblique"][0])
    assert sorted(os.listdir(path)) == ["corrected.nii.gz", "model.nii.gz", "record.json"]  # no images given
