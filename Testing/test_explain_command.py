"""`gliomaai explain CASE --out DIR --method M --target T`: files, figures, refusals."""

import json

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai.cli import main
from gliomaai.commands.demo import write_case
from gliomaai.explain.catalogue import DEFAULT_METHOD
from gliomaai.phantom import make_phantom

from helpers import SHARED_DATA


@pytest.fixture(scope="module")
def case_folder(tmp_path_factory):
    return write_case(make_phantom((40, 56, 56), spacing=(2.5, 2.5, 2.5)), tmp_path_factory.mktemp("phantom") / "case")


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_maps_pictures_and_figures_are_written(tmp_path, capsys, case_folder):
    out = tmp_path / "out"
    code, printed, _ = run(capsys, "explain", case_folder, "--out", out, "--method", "gradcampp,saliency")
    assert code == 0
    reference = sitk.ReadImage(str(case_folder / "t1c-synthetic.nii.gz"))
    for method in ("gradcampp", "saliency"):
        image = sitk.ReadImage(str(out / f"saliency-{method}-WT.nii.gz"))
        assert image.GetSize() == reference.GetSize() and np.allclose(image.GetSpacing(), reference.GetSpacing())
        values = sitk.GetArrayFromImage(image)
        assert 0 <= values.min() and values.max() <= 1 and values.max() > 0.5
        assert (out / f"saliency-{method}-WT.png").stat().st_size > 10_000
    summary = json.loads((out / "explain-WT.json").read_text())
    assert [m["method"] for m in summary["methods"]] == ["gradcampp", "saliency"]
    for method in summary["methods"]:
        assert {"randomisation_spearman", "deletion_auc", "insertion_auc", "random_deletion_auc",
                "random_insertion_auc", "verdict", "curves"} <= set(method["trust"])
    assert set(summary["sequence_importance"]) == {"t1n", "t1c", "t2w", "t2f"}
    assert (out / "faithfulness-WT.png").exists() and (out / "sequence-importance-WT.png").exists()
    assert "gradcampp" in printed and "random order" in printed and "Removing one sequence" in printed


def test_nothing_is_overwritten(tmp_path, capsys, case_folder):
    """Also: without --method, Grad-CAM++ (the method that passed the faithfulness checks on held-out cases)."""
    out = tmp_path / "out"
    assert run(capsys, "explain", case_folder, "--out", out, "--no-trust")[0] == 0
    assert sorted(p.name for p in out.glob("saliency-*.nii.gz")) == ["saliency-gradcampp-WT.nii.gz"]
    before = (out / "saliency-gradcampp-WT.nii.gz").read_bytes()
    code, _, err = run(capsys, "explain", case_folder, "--out", out, "--no-trust")
    assert code == 2 and "never overwrites" in err
    assert (out / "saliency-gradcampp-WT.nii.gz").read_bytes() == before
    assert not (out / "faithfulness-WT.png").exists()  # --no-trust: no curves to draw


@pytest.mark.parametrize("arguments, message", [
    (("--method", "lime"), "Unknown method"),
    (("--threshold", "2"), "outside 0..1"),
    (("--layer", "nowhere"), "no layer 'nowhere'"),
])
def test_bad_requests_get_clear_errors(tmp_path, capsys, case_folder, arguments, message):
    code, _, err = run(capsys, "explain", case_folder, "--out", tmp_path / "out", "--no-trust", *arguments)
    assert code == 2 and message in err and "what to do" in err


def test_a_region_of_interest_outside_the_image_is_refused(tmp_path, capsys, case_folder):
    reference = sitk.ReadImage(str(case_folder / "t1c-synthetic.nii.gz"))
    far = sitk.Image(16, 16, 16, sitk.sitkUInt8)
    far.SetOrigin([o + 1000 for o in reference.GetOrigin()])
    far[8, 8, 8] = 1
    sitk.WriteImage(far, str(tmp_path / "roi.nii.gz"))
    code, _, err = run(capsys, "explain", case_folder, "--out", tmp_path / "out", "--roi", tmp_path / "roi.nii.gz")
    assert code == 2 and "outside the case's images" in err


@pytest.mark.skipif(not (SHARED_DATA / "brats2013-pat0003").exists(), reason="../shared/data is absent")
def test_a_real_two_sequence_case(tmp_path, capsys):
    """FLAIR and T1c only (BraTS 2013): the map lies on the tumour the model finds, figures are printed."""
    out = tmp_path / "out"
    code, printed, _ = run(capsys, "explain", SHARED_DATA / "brats2013-pat0003", "--out", out, "--method", "saliency")
    assert code == 0
    summary = json.loads((out / "explain-WT.json").read_text())
    assert summary["sequences"] == ["t1c", "t2f"] and set(summary["sequence_importance"]) == {"t1c", "t2f"}
    trust = summary["methods"][0]["trust"]
    assert trust["deletion_auc"] < trust["random_deletion_auc"], "the map is no better than a random order"


def test_every_method_runs_through_the_command(tmp_path, capsys, case_folder):
    """--method all (the module logic runs all of them on a real case, test_slicer_explain.py)."""
    out = tmp_path / "all"
    code, printed, _ = run(capsys, "explain", case_folder, "--out", out, "--method", "all", "--no-trust")
    assert code == 0
    notes = {m["method"]: m["note"] for m in json.loads((out / "explain-WT.json").read_text())["methods"]}
    for method in ("gradcam", "gradcampp", "saliency", "guided", "ig", "smoothgrad", "occlusion"):
        values = sitk.GetArrayFromImage(sitk.ReadImage(str(out / f"saliency-{method}-WT.nii.gz")))
        assert method in printed and (values > 0.3).mean() < 0.2, f"{method}: the map is everywhere"
        if values.max() == 0:  # Grad-CAM can find nothing that raises the score at its layer: it must say so
            assert "map is empty" in notes[method] and notes[method] in printed, f"{method}: an empty map, unexplained"
        else:
            assert values.max() > 0.5 and notes[method] == "", f"{method}: {values.max()}, {notes[method]!r}"
    assert notes[DEFAULT_METHOD] == "", "the default method's map is empty"
