"""The core library on the real cases of ../shared/data (skipped where that folder is absent)."""

import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch
from monai.metrics import compute_dice

from gliomaai.case import load_case
from gliomaai.commands.evaluate import evaluate_segmentation
from gliomaai.commands.fuse import fuse_files
from gliomaai.geometry import Grid, align_onto
from gliomaai.labels import region_masks, to_canonical

from helpers import SHARED_DATA

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "manifest.json").exists(),
                                reason="real cases not present (../shared/data)")


def manifest():
    return json.loads((SHARED_DATA / "manifest.json").read_text())["cases"] if SHARED_DATA.exists() else {}


@pytest.mark.parametrize("name", [n for n, c in manifest().items() if "unknown" not in c["sequences"]])
def test_sequences_are_detected_as_the_manifest_says(name):
    entry = manifest()[name]
    labels = [v["file"] for v in entry["labels"].values()]
    case = load_case(SHARED_DATA / name, labels=SHARED_DATA / name / labels[0] if labels else None,
                     label_convention=next(iter(entry["labels"].values()))["convention"] if labels else None)
    assert set(case.present) == set(entry["sequences"])
    assert {s: case.sources[s] for s in case.present} == {s: str(SHARED_DATA / name / f) for s, f in entry["sequences"].items()}
    if labels:
        assert case.labels is not None and case.label_array().any()


def test_publisher_z_scored_case_keeps_its_brain_mask_and_labels():
    case = load_case(SHARED_DATA / "brats2013-pat0003")
    assert case.missing == ("t1n", "t2w") and case.label_convention == "brats2015"
    brain = case.brain_mask_array()
    assert case.array("t2f")[~brain].max() < -2  # the background is negative, not 0
    assert brain[case.label_array() > 0].mean() > 0.99  # labels lie inside the brain (a few voxels stray)


@pytest.mark.parametrize("case_name", ["tcga-du-7294", "tcga-fg-6692"])
def test_an_algorithm_against_the_fusion_of_the_other_four(case_name, tmp_path):
    files = sorted((SHARED_DATA / case_name).glob("seg-*-model.nii.gz"))
    assert len(files) == 5
    held_out, others = files[0], files[1:]
    fused = fuse_files(others, "vote", "brats2021", progress=False)
    fused_path = tmp_path / "fused.nii.gz"
    sitk.WriteImage(fused, str(fused_path))
    result = evaluate_segmentation(held_out, fused_path, "brats2021", "brats2021")
    pred = to_canonical(sitk.GetArrayFromImage(sitk.ReadImage(str(held_out))), "brats2021")
    ref = to_canonical(sitk.GetArrayFromImage(fused), "brats2021")
    for region in ("WT", "TC", "ET"):
        p, r = region_masks(pred)[region], region_masks(ref)[region]
        # MONAI without ignore_empty follows the same empty-mask conventions (an LGG has no ET).
        expected = compute_dice(torch.from_numpy(p)[None, None], torch.from_numpy(r)[None, None],
                                ignore_empty=False).item()
        assert result[region]["dice"] == pytest.approx(expected, abs=1e-6)
        assert result[region]["volume_ref_ml"] == pytest.approx(r.sum() / 1000, rel=1e-6)  # 1 mm voxels
    # Published BraTS 2020 algorithms agree with a consensus of their peers on the whole tumour.
    assert result["WT"]["dice"] > 0.6 and result["TC"]["dice"] > 0.6


def _mutual_information(fixed: sitk.Image, moving: sitk.Image) -> float:
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(32)
    method.SetInitialTransform(sitk.Transform())
    method.SetInterpolator(sitk.sitkLinear)
    return -method.MetricEvaluate(sitk.Cast(fixed, sitk.sitkFloat32), sitk.Cast(moving, sitk.sitkFloat32))


def test_the_raw_unregistered_study_is_aligned_onto_one_grid():
    native = SHARED_DATA / "tcga-fg-6692" / "native"
    case = load_case(native, align=True)
    assert all(Grid.of(image).matches(case.grid) for image in case.images.values())
    assert sum("rigidly registered" in note for note in case.notes) == 3
    raw = load_case({"t1c": native / "t1c.nii.gz"}).images["t1c"], sitk.ReadImage(str(native / "flair.nii.gz"))
    header_only, _ = align_onto({"t1c": raw[0], "t2f": raw[1]}, "t1c", register=False)
    assert _mutual_information(case.images["t1c"], case.images["t2f"]) > _mutual_information(case.images["t1c"], header_only["t2f"])


def test_the_built_in_model_on_a_real_case_draws_et_where_its_t1c_enhances():
    from gliomaai.models.registry import load_segmenter
    from gliomaai.segmentation.segmenter import segment_case

    case = load_case(SHARED_DATA / "brats18-cbica-aqn-1")
    model = load_segmenter("default")
    masks = region_masks(segment_case(case, model).labels_array())
    assert masks["ET"].any() and not (masks["ET"] & ~masks["TC"]).any()
    if model.enhancing_zscore is not None:  # the card's ET rule, at full resolution
        assert np.array_equal(masks["ET"], masks["TC"] & (case.normalized("t1c") > model.enhancing_zscore))
