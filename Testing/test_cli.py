"""The `gliomaai` command as a user runs it: real files in, printed results and files out."""

import json

import numpy as np
import pytest
import SimpleITK as sitk
from monai.metrics import compute_dice
import torch

from gliomaai.cli import main
from gliomaai.labels import from_canonical, region_masks
from gliomaai.phantom import make_phantom

from helpers import write


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((32, 40, 40))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_demo_writes_the_phantom_case_its_montage_and_report(tmp_path, capsys):
    code, out, _ = run(capsys, "demo", "--out", tmp_path, "--size", 24, 32, 32)
    assert code == 0
    files = {p.name for p in (tmp_path / "phantom-synthetic").iterdir()}
    assert {"t1n-synthetic.nii.gz", "t1c-synthetic.nii.gz", "t2w-synthetic.nii.gz", "t2f-synthetic.nii.gz",
            "seg.nii.gz", "brainmask.nii.gz"} <= files
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["synthetic"] == ["t1c", "t1n", "t2f", "t2w"] and report["missing"] == []
    assert (tmp_path / "phantom-synthetic-montage.png").stat().st_size > 10_000
    assert "SYNTHETIC" in (tmp_path / "report.md").read_text()
    imputation = json.loads((tmp_path / "imputation" / "imputation.json").read_text())
    assert imputation["synthetic"] == {"t1c": "t1c-synthetic.nii.gz"} and "t1c" in imputation["quality_against_real"]
    assert "## Imputation" in (tmp_path / "report.md").read_text()
    assert "## Saliency" in (tmp_path / "report.md").read_text()


def test_info_prints_sequences_and_what_is_missing(tmp_path, capsys, phantom):
    write(phantom.images["t1c"], tmp_path / "case" / "t1ce.nii.gz")
    write(phantom.images["t2f"], tmp_path / "case" / "flair.nii.gz")
    code, out, _ = run(capsys, "info", tmp_path / "case", "--json")
    summary = json.loads(out)
    assert code == 0 and list(summary["sequences"]) == ["t1c", "t2f"] and summary["missing"] == ["t1n", "t2w"]


def test_info_errors_name_the_problem_and_say_what_to_do(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "info", tmp_path / "empty")
    assert code == 2 and "no MRI sequence recognised" in err and "what to do:" in err


def test_evaluate_json_has_the_promised_keys_and_matches_monai(tmp_path, capsys, phantom):
    reference = phantom.label_array()
    predicted = np.roll(reference, 2, axis=2)
    ref_path = write(sitk.Cast(phantom.labels, sitk.sitkUInt8), tmp_path / "ref.nii.gz")
    pred_image = sitk.GetImageFromArray(from_canonical(predicted, "brats2021"))
    pred_image.CopyInformation(phantom.labels)
    pred_path = write(pred_image, tmp_path / "pred.nii.gz")
    code, out, _ = run(capsys, "evaluate", "--pred", pred_path, "--ref", ref_path,
                       "--pred-convention", "brats2021", "--ref-convention", "brats2023", "--json")
    result = json.loads(out)
    assert code == 0 and set(result) == {"WT", "TC", "ET"}
    for region in result:
        assert {"dice", "hd95", "sensitivity", "specificity", "precision", "fpr", "fnr",
                "volume_pred_ml", "volume_ref_ml"} <= set(result[region])
        p, r = region_masks(predicted)[region], region_masks(reference)[region]
        expected = compute_dice(torch.from_numpy(p)[None, None], torch.from_numpy(r)[None, None]).item()
        assert result[region]["dice"] == pytest.approx(expected, abs=1e-6)


def test_evaluate_refuses_labels_of_another_convention(tmp_path, capsys, phantom):
    ref_path = write(sitk.Cast(phantom.labels, sitk.sitkUInt8), tmp_path / "ref.nii.gz")
    code, _, err = run(capsys, "evaluate", "--pred", ref_path, "--ref", ref_path, "--pred-convention", "aurora")
    assert code == 2 and "ref.nii.gz" in err and "brats2023" in err


def test_evaluate_refuses_two_grids(tmp_path, capsys, phantom):
    a = write(phantom.labels, tmp_path / "a.nii.gz")
    moved = sitk.Image(phantom.labels)
    moved.SetSpacing([s * 2 for s in moved.GetSpacing()])
    b = write(moved, tmp_path / "b.nii.gz")
    code, _, err = run(capsys, "evaluate", "--pred", a, "--ref", b)
    assert code == 2 and "not on one grid" in err


def test_evaluate_synthesis(tmp_path, capsys, phantom):
    ref = write(phantom.images["t2f"], tmp_path / "ref.nii.gz")
    noisy = sitk.Cast(phantom.images["t2f"], sitk.sitkFloat32) * 1.0
    noisy = sitk.AdditiveGaussianNoise(noisy, 40.0, 0.0, 1)
    pred = write(noisy, tmp_path / "pred.nii.gz")
    code, out, _ = run(capsys, "evaluate-synthesis", "--pred", pred, "--ref", ref, "--json")
    result = json.loads(out)
    assert code == 0 and set(result) == {"mse", "mae", "psnr", "ssim"}
    assert 0 < result["ssim"] < 1 and result["mse"] > 0
    _, out, _ = run(capsys, "evaluate-synthesis", "--pred", ref, "--ref", ref, "--json")
    assert json.loads(out)["psnr"] is None  # identical: infinite PSNR, written as null in strict JSON


def test_fuse_writes_the_consensus_and_never_overwrites(tmp_path, capsys, phantom):
    labels = from_canonical(phantom.label_array(), "brats2021")
    paths = []
    for shift in (-1, 0, 1):
        image = sitk.GetImageFromArray(np.roll(labels, shift, axis=1))
        image.CopyInformation(phantom.labels)
        paths.append(write(image, tmp_path / f"seg-{shift}.nii.gz"))
    out = tmp_path / "fused.nii.gz"
    code, _, _ = run(capsys, "fuse", *paths, "--method", "vote", "--out", out)
    fused = sitk.GetArrayFromImage(sitk.ReadImage(str(out)))
    assert code == 0 and set(np.unique(fused)) <= {0, 1, 2, 4}
    assert (fused > 0).sum() == pytest.approx((labels > 0).sum(), rel=0.05)
    before = out.read_bytes()
    code, _, err = run(capsys, "fuse", *paths, "--out", out)
    assert code == 2 and "exists already" in err and out.read_bytes() == before
