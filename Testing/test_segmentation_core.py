"""Model input, post-processing and the inference engine, on the phantom and made arrays."""

import copy

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from gliomaai.errors import GliomaAIError
from gliomaai.imageio import image_from_array
from gliomaai.inference.engine import Cancelled, InferenceEngine, _window_count, choose_device
from gliomaai.labels import ET, NETC, SNFH, region_masks
from gliomaai.phantom import make_phantom
from gliomaai.segmentation.foci import foci_note, tumour_foci
from gliomaai.segmentation.postprocess import (disagreement_uncertainty, entropy_uncertainty,
                                               probabilities_to_labels, remove_small_components)
from gliomaai.segmentation.preprocess import keep_sequences, model_input, region_targets, to_case_grid

from helpers import ball


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((48, 64, 64))


def test_model_input_is_zscored_cropped_and_zero_where_a_sequence_is_missing(phantom):
    model = model_input(phantom, spacing_mm=4.0)
    assert model.channels.shape[0] == 4 and model.present == ("t1n", "t1c", "t2w", "t2f")
    brain = np.any(model.channels != 0, axis=0)
    assert abs(model.channels[1][brain].mean()) < 0.3
    partial = phantom.with_images({})
    partial.images = {s: phantom.images[s] for s in ("t1c", "t2f")}
    channels = model_input(partial, spacing_mm=4.0).channels
    assert not channels[0].any() and not channels[2].any() and channels[1].any() and channels[3].any()


def test_keeping_some_sequences_is_the_input_of_the_case_with_only_those_and_the_same_brain(phantom):
    full = model_input(phantom, spacing_mm=4.0)
    alone = phantom.only(("t2w", "t2f"))
    alone.brain_mask = image_from_array(phantom.brain_mask_array().astype(np.uint8), phantom.reference)
    expected = model_input(alone, spacing_mm=4.0)
    kept = keep_sequences(full, ("t2f", "t2w"))
    assert kept.present == expected.present == ("t2w", "t2f") and kept.box == expected.box
    np.testing.assert_array_equal(kept.channels, expected.channels)
    assert full.channels[:2].any(), "the full input is left as it was"


def test_targets_go_back_to_the_case_grid_where_they_came_from(phantom):
    model = model_input(phantom, spacing_mm=2.0)
    targets = region_targets(phantom, model).astype(np.float32)
    back = to_case_grid(targets, model, phantom.reference) > 0.5
    for index, region in enumerate(("WT", "TC", "ET")):
        truth = region_masks(phantom.label_array())[region]
        dice = 2 * (back[index] & truth).sum() / (back[index].sum() + truth.sum())
        assert dice > 0.85, region  # 2 mm and back again on 3.75 mm voxels loses only the border


@pytest.mark.parametrize("tilted", [False, True])
def test_going_back_to_the_case_grid_resamples_only_the_crop_and_loses_nothing(phantom, tilted):
    import SimpleITK as sitk

    case = phantom
    if tilted:  # an oblique acquisition: the grids' axes are not the patient's
        direction = sitk.VersorTransform((0.2, 0.3, 1.0), 0.4).GetMatrix()
        case = copy.copy(phantom)
        case.images = {s: sitk.Image(i) for s, i in phantom.images.items()}
        case.labels, case.brain_mask = sitk.Image(phantom.labels), None
        for image in [*case.images.values(), case.labels]:
            image.SetDirection(direction)
    model = model_input(case, spacing_mm=3.0)
    coarse = np.random.default_rng(1).random((2,) + model.channels.shape[1:]).astype(np.float32)
    whole = np.zeros((2,) + sitk.GetArrayViewFromImage(model.grid).shape, np.float32)  # the whole coarse grid
    z0, z1, y0, y1, x0, x1 = model.box
    whole[:, z0:z1, y0:y1, x0:x1] = coarse
    expected = []
    for channel in whole:
        image = sitk.GetImageFromArray(channel)
        image.CopyInformation(model.grid)
        expected.append(sitk.GetArrayFromImage(sitk.Resample(image, case.reference, sitk.Transform(), sitk.sitkLinear)))
    np.testing.assert_allclose(to_case_grid(coarse, model, case.reference), np.stack(expected), atol=1e-6)


def test_an_empty_case_is_refused(phantom):
    empty = phantom.with_images({})
    empty.images = {}
    with pytest.raises(GliomaAIError, match="no sequence"):
        model_input(empty)


def test_labels_are_nested_and_specks_removed():
    shape = (30, 30, 30)
    probabilities = np.zeros((3, *shape), np.float32)
    probabilities[0][ball(shape, (15, 15, 15), 8)] = 0.9
    probabilities[1][ball(shape, (15, 15, 15), 5)] = 0.9
    probabilities[2][ball(shape, (15, 15, 18), 5)] = 0.9  # pokes out of TC: must be cut
    probabilities[0][2:4, 2:4, 2:4] = 0.9  # an 8-voxel speck
    labels = probabilities_to_labels(probabilities, voxel_ml=0.001, min_component_ml=0.05)
    masks = region_masks(labels)
    assert not masks["WT"][2:4, 2:4, 2:4].any()
    assert not (masks["ET"] & ~masks["TC"]).any() and not (masks["TC"] & ~masks["WT"]).any()
    assert {NETC, SNFH, ET} <= set(np.unique(labels))


def test_with_enhancing_voxels_et_is_the_enhancing_part_of_the_core():
    shape = (30, 30, 30)
    probabilities = np.zeros((3, *shape), np.float32)
    probabilities[0][ball(shape, (15, 15, 15), 8)] = 0.9
    probabilities[1][ball(shape, (15, 15, 15), 5)] = 0.9  # the ET channel says nothing
    rim = ball(shape, (15, 15, 15), 5) & ~ball(shape, (15, 15, 15), 3)
    enhancing = rim | ball(shape, (15, 15, 24), 3)  # and a bright spot outside the core: not tumour
    labels = probabilities_to_labels(probabilities, voxel_ml=0.001, enhancing=enhancing)
    masks = region_masks(labels)
    assert np.array_equal(masks["ET"], rim)
    assert np.array_equal(masks["TC"], probabilities[1] > 0.5)  # the core as the network drew it


def test_what_an_enhancing_rim_encloses_is_tumour_core_even_through_a_gap():
    shape, centre = (40, 40, 40), (20, 20, 20)
    rim = ball(shape, centre, 10) & ~ball(shape, centre, 7)
    rim[:, 20, :] = False  # a one-voxel gap right through the ring
    probabilities = np.zeros((3, *shape), np.float32)
    probabilities[0][ball(shape, centre, 13)] = 0.9
    probabilities[1][rim] = 0.9  # the network saw the rim as core, not what it encloses
    bright = rim | ball(shape, centre, 2)  # and an enhancing nodule inside
    masks = region_masks(probabilities_to_labels(probabilities, voxel_ml=0.001, enhancing=bright))
    assert masks["TC"][ball(shape, centre, 7)].all() and not (masks["TC"] & ~ball(shape, centre, 10)).any()
    assert np.array_equal(masks["ET"], bright)  # ET: the core's voxels that enhance, the nodule too
    plain = region_masks(probabilities_to_labels(probabilities, voxel_ml=0.001))  # without a T1c: as drawn
    assert np.array_equal(plain["TC"], rim)


def test_a_whole_tumour_seed_keeps_the_parts_the_model_is_sure_of_somewhere():
    shape = (40, 40, 40)
    probabilities = np.zeros((3, *shape), np.float32)
    tumour, border = ball(shape, (12, 20, 20), 5), ball(shape, (12, 20, 20), 7)
    island, speckled, satellite = ball(shape, (32, 20, 20), 4), ball(shape, (20, 32, 32), 4), ball(shape, (32, 8, 8), 4)
    probabilities[0][border] = 0.4  # a faint rim around a sure tumour: kept, as the lower threshold draws it
    probabilities[0][tumour] = 0.9
    probabilities[0][island | speckled | satellite] = 0.45  # far away and faint: dropped...
    probabilities[0][ball(shape, (20, 32, 32), 1)] = 0.7  # ...even with a sure speck (7 voxels, under 0.1 mL)
    probabilities[0][ball(shape, (32, 8, 8), 3)] = 0.7  # sure at its centre (123 voxels): a second focus, kept
    wt = region_masks(probabilities_to_labels(probabilities, 0.001, (0.3, 0.5, 0.5), whole_tumour_seed=0.5))["WT"]
    assert np.array_equal(wt, border | satellite)
    unseeded = region_masks(probabilities_to_labels(probabilities, 0.001, (0.3, 0.5, 0.5)))["WT"]
    assert np.array_equal(unseeded, border | satellite | island | speckled)


def test_remove_small_components_keeps_the_large_ones():
    mask = np.zeros((10, 10, 10), bool)
    mask[1:6, 1:6, 1:6] = True
    mask[8, 8, 8] = True
    kept = remove_small_components(mask, 2)
    assert kept.sum() == 125 and not kept[8, 8, 8]


def test_the_tumours_separate_parts_are_listed_largest_first_with_their_core_and_centre():
    labels = np.zeros((10, 20, 20), np.uint8)  # z, y, x
    labels[2:5, 2:5, 2:5] = NETC
    labels[3, 3, 3] = ET  # a 27-voxel focus with its core
    labels[6:8, 14:16, 14:16] = SNFH  # an 8-voxel island of edema only, apart from it
    reference = sitk.Image(20, 20, 10, sitk.sitkUInt8)
    reference.SetSpacing((1.0, 1.0, 2.0))
    reference.SetOrigin((10.0, 20.0, 30.0))
    foci = tumour_foci(labels, reference)
    voxel_ml = 0.002
    assert [f["volume_ml"] for f in foci] == pytest.approx([27 * voxel_ml, 8 * voxel_ml])
    assert foci[0]["core_ml"] == pytest.approx(27 * voxel_ml) and foci[0]["enhancing_ml"] == pytest.approx(voxel_ml)
    assert foci[1]["core_ml"] == 0 and foci[1]["enhancing_ml"] == 0
    # Centre of the first at index (x, y, z) = (3, 3, 3): LPS (13, 23, 36) mm, so RAS (-13, -23, 36).
    assert foci[0]["centre_ras_mm"] == pytest.approx([-13.0, -23.0, 36.0])
    assert foci[1]["centre_ras_mm"] == pytest.approx([-24.5, -34.5, 43.0])
    # Nearest voxels (x, y, z) = (4, 4, 4) and (14, 14, 6): 10, 10 and 2 x 2 mm apart.
    assert foci[0]["distance_mm"] == 0 and foci[1]["distance_mm"] == pytest.approx(np.sqrt(10 ** 2 + 10 ** 2 + 4 ** 2), abs=0.05)
    assert "2 separate parts" in foci_note(foci) and foci_note(foci[:1]) == ""
    assert tumour_foci(np.zeros_like(labels), reference) == []


def test_uncertainty_is_highest_where_the_model_is_undecided():
    probabilities = np.stack([np.array([0.01, 0.5, 0.99])] * 3)[:, :, None, None]
    entropy = entropy_uncertainty(probabilities)
    assert entropy[1] == pytest.approx(1.0) and entropy[0] < 0.1 and entropy[2] < 0.1
    samples = np.stack([probabilities, 1 - probabilities])
    assert disagreement_uncertainty(samples)[1] == pytest.approx(0.0, abs=1e-6)
    assert disagreement_uncertainty(samples)[0] > 0.9


def test_uncertainty_is_the_largest_region_entropy_and_zero_outside():
    probabilities = np.random.default_rng(0).random((3, 6, 7, 8)).astype(np.float32)
    probabilities[:, 0] = 0  # outside the brain
    inside = probabilities[:, 1:].astype(np.float64)
    direct = np.max([-(p * np.log2(p) + (1 - p) * np.log2(1 - p)) for p in inside], axis=0)
    entropy = entropy_uncertainty(probabilities)
    assert entropy.dtype == np.float32 and np.all(entropy[0] == 0)
    assert np.abs(entropy[1:] - direct).max() <= 0.5 / 1024 + 1e-6


def test_device_choice():
    assert choose_device("auto") in ("cpu", "cuda", "mps")
    assert choose_device("cpu") == "cpu"
    with pytest.raises(GliomaAIError, match="Unknown device"):
        choose_device("tpu")


class CountingNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0
        self.scale = torch.nn.Parameter(torch.tensor(2.0))

    def forward(self, x):
        self.calls += x.shape[0]
        return x[:, :1] * self.scale


def test_the_engine_caches_models_reports_progress_and_counts_windows_as_monai_does():
    engine = InferenceEngine("cpu")
    built = []
    net = engine.model("net", lambda: built.append(1) or CountingNet())
    assert engine.model("net", lambda: built.append(1) or CountingNet()) is net and built == [1]
    array = np.random.rand(2, 40, 36, 20).astype(np.float32)
    fractions = []
    out = engine.sliding_window(net, array, (16, 16, 16), overlap=0.25, batch_size=1,
                                progress=lambda f, m: fractions.append(f))
    assert np.allclose(out[0], 2 * array[0], atol=1e-5)
    assert net.calls == _window_count(array.shape[1:], (16, 16, 16), 0.25)
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_the_engine_stops_between_windows_when_cancelled():
    engine = InferenceEngine("cpu")
    net = CountingNet()
    calls = []
    with pytest.raises(Cancelled):
        engine.sliding_window(net, np.zeros((1, 40, 40, 40), np.float32), (16, 16, 16), batch_size=1,
                              cancel=lambda: calls.append(1) or len(calls) > 2)
    assert net.calls == 2


def test_out_of_gpu_memory_falls_back_to_the_cpu_and_says_so(monkeypatch, caplog):
    """No GPU here: the GPU pass is replaced by one that runs out of memory, as a full GPU does."""
    engine = InferenceEngine("cpu")
    net = CountingNet()
    engine._models["net"] = net
    engine.device = "cuda"
    real = InferenceEngine._sliding_window

    def gpu_then_cpu(self, *args):
        if self.device != "cpu":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(self, *args)

    monkeypatch.setattr(InferenceEngine, "_sliding_window", gpu_then_cpu)
    out = engine.sliding_window(net, np.ones((1, 16, 16, 16), np.float32), (16, 16, 16))
    assert engine.device == "cpu" and np.allclose(out, 2.0)
    assert "ran out of GPU memory" in caplog.text


def test_other_errors_are_not_taken_for_memory():
    engine = InferenceEngine("cpu")

    class Broken(torch.nn.Module):
        def forward(self, x):
            raise RuntimeError("shapes do not match")

    with pytest.raises(RuntimeError, match="shapes"):
        engine.sliding_window(Broken(), np.ones((1, 16, 16, 16), np.float32), (16, 16, 16))
