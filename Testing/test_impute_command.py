"""`gliomaai impute` and `gliomaai segment --impute-missing` end to end, and the shipped imputer on real cases."""

import json

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai.case import load_case
from gliomaai.cli import main
from gliomaai.imageio import is_marked_synthetic
from gliomaai.imputation.imputer import impute_case
from gliomaai.models.untrained import write_untrained_imputer
from gliomaai.normalize import unit_range
from gliomaai.phantom import make_phantom

from helpers import SHARED_DATA, make_model, write


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((24, 40, 40), seed=5)


@pytest.fixture(scope="module")
def imputer(tmp_path_factory):
    return write_untrained_imputer(tmp_path_factory.mktemp("imputer"))


def _case_folder(folder, phantom, sequences):
    """The phantom's sequences as files that pass for real scans (the phantom's own synthetic mark left out)."""
    for sequence in sequences:
        source = phantom.images[sequence]
        unmarked = sitk.GetImageFromArray(sitk.GetArrayFromImage(source))
        unmarked.CopyInformation(source)
        write(unmarked, folder / f"{sequence}.nii.gz")
    return folder


def test_impute_writes_marked_files_for_the_missing_sequences_and_never_overwrites(tmp_path, capsys, phantom, imputer):
    case = _case_folder(tmp_path / "case", phantom, ("t1c", "t2f"))
    out = tmp_path / "out"
    assert main(["impute", str(case), "--out", str(out), "--model", str(imputer)]) == 0
    assert {p.name for p in out.iterdir()} == {"t1n-synthetic.nii.gz", "t2w-synthetic.nii.gz", "imputation.json",
                                               "imputation.png"}
    for sequence in ("t1n", "t2w"):
        image = sitk.ReadImage(str(out / f"{sequence}-synthetic.nii.gz"))
        assert is_marked_synthetic(image, "renamed.nii.gz")  # the header says so even if the file is renamed
        assert image.GetSize() == phantom.reference.GetSize()
    summary = json.loads((out / "imputation.json").read_text())
    assert summary["sources"] == ["t1c", "t2f"] and "never for diagnostic reading" in summary["warning"]
    reloaded = load_case(out)
    assert reloaded.synthetic == {"t1n", "t2w"}
    before = (out / "t1n-synthetic.nii.gz").read_bytes()
    assert main(["impute", str(case), "--out", str(out), "--model", str(imputer)]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (out / "t1n-synthetic.nii.gz").read_bytes() == before


def test_a_named_present_sequence_is_scored_against_the_real_one(tmp_path, capsys, phantom, imputer):
    case = _case_folder(tmp_path / "case", phantom, ("t1n", "t1c", "t2w", "t2f"))
    assert main(["impute", str(case), "--out", str(tmp_path / "out"), "--sequences", "t1c",
                 "--model", str(imputer)]) == 0
    assert "t1c against the real one: PSNR" in capsys.readouterr().out
    quality = json.loads((tmp_path / "out" / "imputation.json").read_text())["quality_against_real"]
    assert set(quality) == {"t1c"} and quality["t1c"]["mae"] > 0


def test_bad_sequence_names_and_full_cases_are_errors_that_say_what_to_do(tmp_path, capsys, phantom, imputer):
    case = _case_folder(tmp_path / "case", phantom, ("t1n", "t1c", "t2w", "t2f"))
    assert main(["impute", str(case), "--out", str(tmp_path / "a"), "--sequences", "t1c,pd", "--model", str(imputer)]) == 2
    assert "pd" in capsys.readouterr().err
    assert main(["impute", str(case), "--out", str(tmp_path / "b"), "--model", str(imputer)]) == 2
    assert "nothing is missing" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_segment_with_impute_missing_fills_the_gaps_first(tmp_path, phantom):
    case = _case_folder(tmp_path / "case", phantom, ("t1c", "t2f"))
    model = make_model(tmp_path / "model")
    out = tmp_path / "out"
    assert main(["segment", str(case), "--out", str(out), "--model", str(model), "--impute-missing"]) == 0
    summary = json.loads((out / "volumes.json").read_text())
    assert summary["sequences"] == ["t1n", "t1c", "t2w", "t2f"]
    assert any("Synthetic inputs: t1n, t2w" in note for note in summary["notes"])


def test_segment_with_impute_missing_leaves_a_missing_t1c_out(tmp_path, phantom):
    """Imputed T1c segmented worse than no T1c in cross-validation: it is not imputed for segmenting."""
    case = _case_folder(tmp_path / "case", phantom, ("t1n", "t2f"))
    out = tmp_path / "out"
    assert main(["segment", str(case), "--out", str(out), "--model", str(make_model(tmp_path / "model")),
                 "--impute-missing"]) == 0
    summary = json.loads((out / "volumes.json").read_text())
    assert summary["sequences"] == ["t1n", "t2w", "t2f"]
    assert any("t1c missing and left out" in note for note in summary["notes"])


def test_segment_with_impute_missing_imputes_nothing_without_an_acquired_t2_or_flair(tmp_path, phantom):
    """From T1-weighted images alone, imputed T2 and FLAIR segmented worse than none in cross-validation."""
    model = make_model(tmp_path / "model")
    for given in (("t1n", "t1c"), ("t1c",)):
        case = _case_folder(tmp_path / "-".join(given), phantom, given)
        out = tmp_path / ("out-" + "-".join(given))
        assert main(["segment", str(case), "--out", str(out), "--model", str(model), "--impute-missing"]) == 0
        summary = json.loads((out / "volumes.json").read_text())
        assert summary["sequences"] == list(given)
        assert any("with neither T2 nor FLAIR acquired" in note for note in summary["notes"])
        assert not any("Synthetic inputs" in note for note in summary["notes"])


needs_data = pytest.mark.skipif(not SHARED_DATA.exists(), reason=f"real cases not available: {SHARED_DATA} is absent")


@needs_data
def test_the_shipped_imputer_fills_a_real_two_sequence_case_inside_its_brain():
    case = load_case(SHARED_DATA / "brats2013-pat0003")  # FLAIR and T1c only, as scanned
    result = impute_case(case)
    brain = case.brain_mask_array()
    assert sorted(result.images) == ["t1n", "t2w"]
    for image in result.images.values():
        array = sitk.GetArrayFromImage(image)
        assert array[~brain].max() == 0 and array[brain].std() > 0.05


@needs_data
@pytest.mark.parametrize("sequence", ["t1n", "t1c"])
def test_the_shipped_imputer_beats_the_case_own_mean_on_a_case_it_never_saw(sequence):
    """glioma-gan-example (GPL) never trains a model: the imputer must be closer than a constant at the case's own mean."""
    case = load_case(SHARED_DATA / "glioma-gan-example")
    brain = case.brain_mask_array()
    real = unit_range(case.array(sequence), brain)
    made = sitk.GetArrayFromImage(impute_case(case, [sequence]).images[sequence])
    assert np.abs(made - real)[brain].mean() < 0.8 * np.abs(real[brain].mean() - real)[brain].mean()
