"""Imputation: the network's input, the per-slice network, the imputer, its marks, the baselines, training."""

import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from gliomaai.errors import GliomaAIError
from gliomaai.imageio import is_marked_synthetic
from gliomaai.imputation.baselines import KnnRegression, mean_substitution
from gliomaai.imputation.imputer import impute_case, keep_only
from gliomaai.imputation.preprocess import CONTEXT, imputation_input, input_channels, network_input
from gliomaai.models.network import DEFAULT_IMPUTER, build_network
from gliomaai.models.untrained import SMALL_IMPUTER, write_untrained_imputer
from gliomaai.normalize import unit_range
from gliomaai.phantom import make_phantom
from gliomaai.sequences import SEQUENCES
from gliomaai.training.imputation_data import ImputationCase
from gliomaai.training.train_imputer import (ImputerConfig, imputation_loss, imputation_sample, random_availability,
                                             train_imputer)

from helpers import write


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((24, 48, 40), seed=3)


@pytest.fixture(scope="module")
def imputer(tmp_path_factory):
    return write_untrained_imputer(tmp_path_factory.mktemp("imputer"))


def test_unit_range_maps_the_brain_percentiles_to_0_1_and_zeroes_the_rest():
    array = np.arange(1000, dtype=np.float32).reshape(10, 10, 10)
    mask = np.zeros_like(array, dtype=bool)
    mask[2:8, 2:8, 2:8] = True
    out = unit_range(array, mask)
    assert out[~mask].max() == 0 and out.dtype == np.float32
    assert out[mask].min() == 0 and out[mask].max() == 1
    inside = array[mask]
    low, high = np.percentile(inside, (0.5, 99.5))
    assert np.allclose(out[mask], np.clip((inside - low) / (high - low), 0, 1))


def test_network_input_stacks_neighbour_slices_and_flags_presence():
    channels = np.random.default_rng(0).random((4, 5, 6, 7)).astype(np.float32)
    available = [True, False, True, True]
    x = network_input(channels, available)
    width = 2 * CONTEXT + 1
    assert x.shape == (input_channels(), 5, 6, 7)
    t1n = x[:width]
    assert np.array_equal(t1n[CONTEXT], channels[0])
    assert np.array_equal(t1n[CONTEXT + 1][:-1], channels[0][1:])  # the next slice
    assert np.array_equal(t1n[CONTEXT + 1][-1], channels[0][-1])  # repeated at the edge
    assert not x[width:2 * width].any()  # T1c missing: zero, whatever the array held
    assert [x[4 * width + i].min() for i in range(4)] == [1, 0, 1, 1]


def test_the_per_slice_network_is_the_2d_network_on_each_slice():
    torch.manual_seed(0)
    network = build_network(SMALL_IMPUTER).eval()
    volume = torch.rand(2, input_channels(), 3, 16, 24)
    with torch.no_grad():
        out = network(volume)
        direct = network.network(volume[1, :, 2][None])[0]
    assert out.shape == (2, 4, 3, 16, 24)
    assert torch.allclose(out[1, :, 2], direct, atol=1e-5)
    assert DEFAULT_IMPUTER["params"]["in_channels"] == input_channels()


def test_impute_case_makes_the_missing_sequences_marked_synthetic_on_the_case_grid(phantom, imputer, engine):
    case = keep_only(phantom, ("t1n", "t2f"))
    result = impute_case(case, model=imputer, engine=engine)
    assert sorted(result.images) == ["t1c", "t2w"] and result.sources == ("t1n", "t2f")
    brain = case.brain_mask_array()
    for sequence, image in result.images.items():
        assert is_marked_synthetic(image, "no-name-hint.nii.gz")
        assert image.GetSize() == case.reference.GetSize() and image.GetOrigin() == case.reference.GetOrigin()
        array = sitk.GetArrayFromImage(image)
        assert array[~brain].max() == 0 and 0 <= array.min() and array.max() <= 1 and array[brain].std() > 0
    imputed = result.case_with_imputed(case)
    assert imputed.synthetic == case.synthetic | {"t1c", "t2w"} and imputed.present == SEQUENCES
    assert "t1c" not in case.images  # the input case is left as it was


def test_a_present_sequence_named_is_made_from_the_others_only(phantom, imputer, engine):
    """The synthesis of T1c must not depend on the real T1c it stands in for."""
    result = impute_case(phantom, ["t1c"], imputer, engine)
    changed = phantom.with_images({"t1c": sitk.Image(phantom.images["t1c"]) * 0 + 7})
    again = impute_case(changed, ["t1c"], imputer, engine)
    assert result.sources == ("t1n", "t2w", "t2f")
    assert np.array_equal(sitk.GetArrayFromImage(result.images["t1c"]), sitk.GetArrayFromImage(again.images["t1c"]))


def test_impute_refuses_what_it_cannot_do(phantom, imputer, engine):
    with pytest.raises(GliomaAIError, match="nothing is missing"):
        impute_case(phantom, model=imputer, engine=engine)
    with pytest.raises(GliomaAIError, match="Unknown sequence"):
        impute_case(phantom, ["t3"], imputer, engine)
    with pytest.raises(GliomaAIError, match="no sequence left"):
        impute_case(keep_only(phantom, ("t1c",)), ["t1c"], imputer, engine)
    segmenter_card = json.loads(imputer.read_text())
    segmenter_card["task"] = "segmentation"
    wrong = imputer.parent / "wrong.json"
    wrong.write_text(json.dumps(segmenter_card))
    with pytest.raises(GliomaAIError, match="segmentation model"):
        impute_case(keep_only(phantom, ("t1n",)), model=wrong, engine=engine)


def test_impute_stops_when_cancelled(phantom, imputer, engine):
    from gliomaai.inference.engine import Cancelled

    with pytest.raises(Cancelled):
        impute_case(keep_only(phantom, ("t2f",)), model=imputer, engine=engine, cancel=lambda: True)


def _cases(count=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for index in range(count):
        brain = np.zeros((12, 20, 20), dtype=bool)
        brain[1:11, 3:17, 3:17] = True
        t1n = rng.random(brain.shape).astype(np.float32) * brain
        channels = np.stack([t1n, (1 - t1n) * brain, 0.5 * t1n, t1n ** 2]).astype(np.float32)
        out.append(ImputationCase(f"c{index}", channels, brain))
    return out


def test_knn_regression_learns_a_voxelwise_relation_and_mean_substitution_is_the_training_mean():
    training, test = _cases(3), _cases(1, seed=9)[0]
    available = np.array([True, False, False, False])
    knn = KnnRegression(k=3, samples_per_case=2000).fit(training, available, "t1c")
    predicted = knn.predict(test.channels * available[:, None, None, None], test.brain)
    assert np.abs(predicted - test.channels[1])[test.brain].mean() < 0.03  # T1c = 1 - T1 here
    assert predicted[~test.brain].max() == 0
    mean = mean_substitution(training, "t1c", test.brain)
    expected = np.mean([c.channels[1][c.brain].mean() for c in training])
    assert np.allclose(mean[test.brain], expected) and mean[~test.brain].max() == 0


def test_training_samples_hide_a_random_subset_and_weigh_only_the_hidden_brain():
    case = _cases(1)[0]
    rng = np.random.default_rng(1)
    patterns = {tuple(random_availability(rng)) for _ in range(300)}
    assert len(patterns) == 14  # every pattern with at least one present and one missing
    x, y, weight = imputation_sample(case, rng, 16)
    present = x[4 * (2 * CONTEXT + 1):, 0, 0, 0] == 1
    assert x.shape == (input_channels(), 1, 16, 16) and y.shape == weight.shape == (4, 1, 16, 16)
    assert not weight[present].any() and weight[~present].any()
    for index in np.flatnonzero(~present):
        assert not x[index * 3:(index + 1) * 3].any()


def test_the_loss_counts_only_where_weighted():
    target = torch.rand(2, 4, 1, 16, 16)
    weight = torch.zeros_like(target)
    weight[:, 1] = 1
    prediction = target.clone()
    prediction[:, 0] += 0.5  # wrong on a present sequence only
    from monai.losses import SSIMLoss

    ssim = SSIMLoss(spatial_dims=2, data_range=1.0)
    assert imputation_loss(prediction, target, weight, 0.5, ssim).item() < 1e-4
    prediction[:, 1] += 0.25
    assert imputation_loss(prediction, target, weight, 0.0, ssim).item() == pytest.approx(0.25, abs=1e-5)
    assert imputation_loss(prediction, target, weight, 0.5, ssim).item() > 0.25  # SSIM sees the change too


@pytest.fixture
def four_sequence_data(tmp_path, monkeypatch):
    monkeypatch.setenv("GLIOMAAI_CACHE", str(tmp_path / "cache"))
    manifest = {"cases": {}}
    for index in range(2):
        name = f"brats18-phantom-{index}"
        case = make_phantom((16, 40, 40), seed=index)
        for sequence in case.present:
            write(case.images[sequence], tmp_path / "data" / name / f"{sequence}.nii.gz")
        manifest["cases"][name] = {"sequences": {s: f"{s}.nii.gz" for s in case.present}, "labels": {}}
    (tmp_path / "data" / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path / "data"


def test_imputer_training_resumes_exactly_and_ends_in_a_card(four_sequence_data, tmp_path):
    torch.set_num_threads(1)
    common = dict(data=str(four_sequence_data), batch=2, patch=32, architecture=SMALL_IMPUTER, steps=4, warmup=2,
                  checkpoint_every=1)
    straight = train_imputer(ImputerConfig(out=str(tmp_path / "straight"), **common), progress=False)
    assert train_imputer(ImputerConfig(out=str(tmp_path / "resumed"), **common), progress=False, until=2) is None
    resumed = train_imputer(ImputerConfig(out=str(tmp_path / "resumed"), **common), progress=False)
    a, b = (torch.load(p.parent / "model.pt", weights_only=True) for p in (straight, resumed))
    assert all(torch.equal(a[k], b[k]) for k in a)
    card = json.loads(straight.read_text())
    assert card["task"] == "imputation" and card["training"]["steps"] == 4
    assert len((tmp_path / "resumed" / "log.csv").read_text().splitlines()) == 5  # header and four steps


def test_scoring_a_case_covers_every_pattern_method_and_segmentation_way(tmp_path, engine):
    from gliomaai.models.card import read_card
    from gliomaai.training.imputation_scores import (PATTERNS, fitted_baselines, markdown_tables, pattern_name,
                                                     score_case, summarise)

    from helpers import make_model

    case = make_phantom((24, 48, 40), seed=4)
    training = [ImputationCase("train", imputation_input(make_phantom((24, 48, 40), seed=6)).channels,
                               imputation_input(make_phantom((24, 48, 40), seed=6)).brain)]
    imputer_card = read_card(write_untrained_imputer(tmp_path / "imputer"))
    row = score_case(case, imputer_card, make_model(tmp_path / "segmenter").parent, training,
                     fitted_baselines(training), engine)
    for missing in PATTERNS:
        name = pattern_name(missing)
        assert set(row["synthesis"][name]) == set(missing)
        for target in missing:
            for method in ("model", "mean", "knn"):
                scores = row["synthesis"][name][target][method]
                assert set(scores) == {"brain", "tumour"} and 0 <= scores["brain"]["mae"] <= 1
        assert set(row["segmentation"][name]) == {"imputed", "absent"}
    mean_ssim = row["synthesis"]["t1c"]["t1c"]["mean"]["brain"]["ssim"]
    knn_ssim = row["synthesis"]["t1c"]["t1c"]["knn"]["brain"]["ssim"]
    assert knn_ssim > mean_ssim  # a constant has no structure; the phantom's sequences share theirs
    summary = summarise([row, row])
    assert summary["cases"] == 2 and summary["segmentation"]["real"] == row["segmentation"]["real"]
    assert "| t1n+t2w | t2w | knn |" in markdown_tables(summary)
