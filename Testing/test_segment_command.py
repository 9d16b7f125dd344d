"""Segmenting end to end: model cards and weights, segment_case, and `gliomaai segment`."""

import copy
import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from gliomaai.cli import main
from gliomaai.errors import GliomaAIError
from gliomaai.inference.engine import InferenceEngine, default_engine
from gliomaai.imageio import image_from_array
from gliomaai.models.card import load_state_dict, read_card
from gliomaai.models.registry import load_segmenter
from gliomaai.phantom import make_phantom
from gliomaai.labels import region_masks
from gliomaai.segmentation.postprocess import disagreement_uncertainty
from gliomaai.segmentation.segmenter import segment_case, tuned

from helpers import make_model, write


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((32, 48, 48))


@pytest.fixture
def model(tmp_path):
    return make_model(tmp_path / "model")


def test_segment_case_gives_labels_uncertainty_and_volumes_on_the_case_grid(phantom, model):
    result = segment_case(phantom, model.parent)
    labels = result.labels_array()
    assert labels.shape == phantom.label_array().shape and set(np.unique(labels)) <= {0, 1, 2, 3}
    assert result.labels.GetSpacing() == phantom.reference.GetSpacing()
    uncertainty = sitk.GetArrayFromImage(result.uncertainty)
    assert uncertainty.min() >= 0 and uncertainty.max() <= 1
    voxel_ml = np.prod(phantom.reference.GetSpacing()) / 1000
    assert result.volumes_ml["WT"] == pytest.approx((labels > 0).sum() * voxel_ml, abs=1e-3)
    assert result.model == "tiny" and result.sequences == ("t1n", "t1c", "t2w", "t2f")


def test_test_time_augmentation_is_the_default_and_gives_an_uncertainty_from_disagreement(phantom, model):
    plain = segment_case(phantom, model, tta=False)
    augmented = segment_case(phantom, model)
    assert augmented.tta and not plain.tta
    assert not np.array_equal(sitk.GetArrayFromImage(plain.uncertainty), sitk.GetArrayFromImage(augmented.uncertainty))
    _, disagreement = load_segmenter(model).probabilities(phantom, default_engine(), tta=True)
    assert disagreement.max() > 0 and not disagreement[phantom.brain_mask_array() == 0].any()
    np.testing.assert_allclose(sitk.GetArrayFromImage(augmented.uncertainty), disagreement, atol=1e-5)


def test_the_passes_are_averaged_on_the_models_grid_as_on_the_cases(phantom, model):
    """Linear resampling commutes with the mean: one resampling of the mean gives what four would."""
    from gliomaai.segmentation.preprocess import model_input, to_case_grid
    from gliomaai.segmentation.segmenter import DEFAULT_WINDOW, sigmoid_passes

    segmenter, engine = load_segmenter(model), default_engine()
    probabilities, disagreement = segmenter.probabilities(phantom, engine, tta=True)
    coarse = model_input(phantom, segmenter.card.input.get("spacing_mm", 2.0))
    window = (segmenter.card.input.get("window", DEFAULT_WINDOW),) * 3
    passes = sigmoid_passes(engine, segmenter.network(engine), coarse.channels, window, tta=True)
    on_case = [to_case_grid(p, coarse, phantom.reference) * phantom.brain_mask_array() for p in passes]
    np.testing.assert_allclose(probabilities, np.mean(on_case, axis=0), atol=1e-5)
    assert disagreement.shape == probabilities.shape[1:]
    assert np.corrcoef(disagreement.ravel(), disagreement_uncertainty(np.stack(on_case)).ravel())[0, 1] > 0.9


def test_the_et_rule_draws_et_where_the_acquired_t1c_enhances_inside_the_core(phantom, model):
    acquired = phantom.with_images(dict(phantom.images))
    acquired.synthetic = set()  # as if scanned: the phantom is marked synthetic throughout
    everywhere = (0.0, 0.0, 0.0)  # the core is the whole brain's box: ET is then where T1c is bright
    result = segment_case(acquired, tuned(load_segmenter(model), everywhere, enhancing_zscore=1.0))
    masks = region_masks(result.labels_array())
    assert masks["ET"].any() and np.array_equal(masks["ET"], masks["TC"] & (acquired.normalized("t1c") > 1.0))
    assert any("enhance on T1c" in note for note in result.notes)

    # A synthetic T1c (imputed, or the phantom's) is no evidence of enhancement: the ET channel decides.
    result = segment_case(phantom, tuned(load_segmenter(model), everywhere, enhancing_zscore=1.0))
    channel = segment_case(phantom, tuned(load_segmenter(model), everywhere, enhancing_zscore=None))
    assert np.array_equal(result.labels_array(), channel.labels_array())
    assert not np.array_equal(result.labels_array(), segment_case(acquired, tuned(
        load_segmenter(model), everywhere, enhancing_zscore=1.0)).labels_array())
    assert any("no acquired T1c" in note for note in result.notes)


def test_labels_lie_only_in_the_brain_the_model_read(phantom, model):
    half = phantom.brain_mask_array().copy()
    half[:, :, : half.shape[2] // 2] = False
    case = phantom.with_images({})
    case.brain_mask = image_from_array(half.astype(np.uint8), phantom.reference)
    everywhere = (0.0, 0.0, 0.0)  # any probability above 0 is tumour
    result = segment_case(case, tuned(load_segmenter(model), everywhere, enhancing_zscore=None))
    wt = region_masks(result.labels_array())["WT"]
    assert np.array_equal(wt, half)
    assert not sitk.GetArrayFromImage(result.uncertainty)[~half].any()


def test_weights_that_do_not_match_the_card_are_refused(model):
    card = read_card(model)
    weights = card.weights_path
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(GliomaAIError, match="does not match the model card"):
        load_state_dict(card)


def test_weights_of_another_architecture_are_refused(tmp_path, phantom):
    card_path = make_model(tmp_path / "a", init_filters=8)
    other = make_model(tmp_path / "b", init_filters=16)
    card = json.loads(card_path.read_text())
    card["weights"] = "../b/model.pt"
    card["sha256"] = json.loads(other.read_text())["sha256"]
    card_path.write_text(json.dumps(card))
    with pytest.raises(GliomaAIError, match="do not fit its architecture"):
        segment_case(phantom, card_path)


def test_weights_are_loaded_without_running_pickled_code(model):
    state = load_state_dict(read_card(model))
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_unknown_model_says_what_exists():
    with pytest.raises(GliomaAIError, match="No model 'nonsense'"):
        load_segmenter("nonsense")


def test_a_sequence_the_model_needs_is_named(phantom, model):
    segmenter = load_segmenter(model)
    segmenter.required = ("t1n",)
    case = phantom.with_images({})
    case.images = {"t2f": phantom.images["t2f"]}
    with pytest.raises(GliomaAIError, match="needs t1n"):
        segment_case(case, segmenter)


def test_the_command_writes_its_files_and_never_overwrites(tmp_path, capsys, phantom, model):
    case = tmp_path / "case"
    for sequence in ("t1c", "t2f"):
        write(phantom.images[sequence], case / f"{sequence}.nii.gz")
    out = tmp_path / "out"
    assert main(["segment", str(case), "--out", str(out), "--model", str(model), "--convention", "brats2021"]) == 0
    assert {p.name for p in out.iterdir()} == {"segmentation.nii.gz", "uncertainty.nii.gz", "volumes.json",
                                               "segmentation.png"}
    summary = json.loads((out / "volumes.json").read_text())
    assert summary["sequences"] == ["t1c", "t2f"] and summary["convention"] == "brats2021" and summary["tta"]
    printed = capsys.readouterr().out
    assert all(f"  {note}\n" in printed for note in summary["notes"]) and "Sequences used: t1c, t2f" in printed
    assert sum(f["volume_ml"] for f in summary["foci"]) == pytest.approx(summary["volumes_ml"]["WT"], abs=0.01)
    assert set(np.unique(sitk.GetArrayFromImage(sitk.ReadImage(str(out / "segmentation.nii.gz"))))) <= {0, 1, 2, 4}
    before = (out / "segmentation.nii.gz").read_bytes()
    assert main(["segment", str(case), "--out", str(out), "--model", str(model)]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (out / "segmentation.nii.gz").read_bytes() == before
    assert main(["segment", str(case), "--out", str(tmp_path / "once"), "--model", str(model), "--no-tta"]) == 0
    assert not json.loads((tmp_path / "once" / "volumes.json").read_text())["tta"]


def test_with_sequences_missing_the_notes_say_what_the_model_scored_with_them(phantom, model):
    def summary(wt, tc, et):
        dice = {r: {"dice": {"mean": d, "median": d}} for r, d in zip(("WT", "TC", "ET"), (wt, tc, et))}
        return {**dice, "cases": 16}

    card = json.loads(model.read_text())
    card["scores"]["missing_sequences"] = {"by_sequences": {"t1n + t1c + t2w + t2f": summary(0.86, 0.70, 0.75),
                                                            "t1c + t2f": summary(0.791, 0.596, 0.703)}}
    model.write_text(json.dumps(card))
    acquired = phantom.with_images({})
    acquired.synthetic = set()  # as if scanned: the phantom is marked synthetic throughout

    def sequence_notes(case):
        return [n for n in segment_case(case, model).notes if "cross-validation" in n or "not scored" in n]

    assert sequence_notes(acquired.only(("t2f", "t1c"))) == [
        "In cross-validation with t1c + t2f alone, tiny 0.1 scored Dice WT / TC / ET 0.79 / 0.60 / 0.70 "
        "(all four sequences: 0.86 / 0.70 / 0.75)."]
    card["scores"]["missing_sequences"]["by_sequences"]["t1n + t1c"] = summary(0.374, 0.479, 0.569)
    card["scores"]["missing_sequences"]["by_sequences"]["t2w + t2f"] = summary(0.86, 0.545, 0.276)
    model.write_text(json.dumps(card))
    assert sequence_notes(acquired.only(("t1n", "t1c"))) == [
        "In cross-validation with t1n + t1c alone, tiny 0.1 scored Dice WT / TC / ET 0.37 / 0.48 / 0.57 "
        "(all four sequences: 0.86 / 0.70 / 0.75); the whole tumour's edema shows on T2 and FLAIR: load either if "
        "it was acquired."]
    assert sequence_notes(acquired.only(("t2w", "t2f")))[0].endswith(
        "; the core and enhancing tumour show on T1c: load it if it was acquired.")
    assert sequence_notes(acquired) == [], "all four given: nothing to warn of"
    assert sequence_notes(acquired.only(("t1c",))) == ["tiny 0.1 was not scored with t1c alone: its accuracy here "
                                                      "is unknown."]
    assert sequence_notes(phantom.only(("t1c", "t2f"))) == [], "measured without synthetic inputs: no figure for them"
    with pytest.raises(GliomaAIError, match="has no t1c"):
        acquired.only(("t2f",)).only(("t1c",))


def test_the_whole_tumour_is_also_read_from_the_sequences_the_card_names(phantom, model):
    acquired = phantom.with_images({})
    acquired.synthetic = set()  # as if scanned: the phantom is marked synthetic throughout
    once = load_segmenter(model)
    twice = copy.copy(once)
    twice.whole_tumour_also_from = ("t2w", "t2f")
    assert twice.whole_tumour_view(acquired) == ("t2w", "t2f")
    assert twice.whole_tumour_view(acquired.only(("t1c", "t2f"))) == ("t2f",)
    assert twice.whole_tumour_view(acquired.only(("t2w", "t2f"))) == (), "the view is the case itself: read once"
    assert twice.whole_tumour_view(acquired.only(("t1n", "t1c"))) == ()
    assert twice.whole_tumour_view(phantom) == (), "a synthetic FLAIR or T2 is not read on its own"

    engine = InferenceEngine("cpu")
    full, _ = once.probabilities(acquired, engine)
    alone = acquired.only(("t2w", "t2f"))
    alone.brain_mask = image_from_array(acquired.brain_mask_array().astype(np.uint8), acquired.reference)
    view, _ = once.probabilities(alone, engine)
    assert not np.allclose(full[0], view[0]), "the view reads the case differently"
    mixed, disagreement = twice.probabilities(acquired, engine, tta=True)
    full_tta, _ = once.probabilities(acquired, engine, tta=True)
    view_tta, _ = once.probabilities(alone, engine, tta=True)
    np.testing.assert_allclose(mixed[0], (full_tta[0] + view_tta[0]) / 2, atol=1e-6)
    np.testing.assert_allclose(mixed[1:], full_tta[1:], atol=1e-6)
    assert disagreement.shape == mixed.shape[1:], "the TTA passes' disagreement is the uncertainty"
    # A card's output field of that name sets it.
    card = json.loads(model.read_text())
    card["output"]["whole_tumour_also_from"] = ["t2w", "t2f"]
    model.write_text(json.dumps(card))
    assert load_segmenter(model).whole_tumour_also_from == ("t2w", "t2f")
    # Cross-validation reads each fold's model so, or as its card says, or once.
    from gliomaai.training.crossval import reading

    assert reading(model).whole_tumour_also_from == ("t2w", "t2f")
    assert reading(model, []).whole_tumour_also_from == ()
    assert reading(model, ["t2f"]).whole_tumour_also_from == ("t2f",)
    assert load_segmenter(model).whole_tumour_also_from == ("t2w", "t2f"), "reading() changed the loaded model"
    # A fold's weights scored as the shipped model reads and labels.
    from gliomaai.training.crossval import as_shipped

    rules = tuned(twice, (0.1, 0.2, 0.3), 0.5)
    scored = as_shipped(model, rules)
    assert (scored.thresholds, scored.enhancing_zscore, scored.whole_tumour_also_from) == \
        ((0.1, 0.2, 0.3), 0.5, ("t2w", "t2f"))
