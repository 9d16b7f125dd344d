"""MONAI bundles (brats_mri_segmentation format) as segmenters, and fetching them.

Every bundle here is built in tmp_path: the real network configuration with random weights,
and configs shaped like the model zoo's. The phantom is small and the window small, so each
forward pass takes a fraction of a second on one thread.
"""

import json
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from gliomaai.errors import GliomaAIError
from gliomaai.inference.engine import InferenceEngine
from gliomaai.labels import ET, NETC, SNFH, region_masks
from gliomaai.models.card import sha256_of
from gliomaai.models.monai_bundle import BundleSegmenter, fetch_bundle
from gliomaai.models.registry import load_segmenter
from gliomaai.phantom import make_phantom
from gliomaai.segmentation.segmenter import segment_case

ROI = (48, 48, 32)  # (x, y, z), the phantom's whole grid
NETWORK = {"_target_": "SegResNet", "blocks_down": [1, 2, 2, 4], "blocks_up": [1, 1, 1], "init_filters": 16,
           "in_channels": 4, "out_channels": 3, "dropout_prob": 0.2}


def make_bundle(folder, final_bias=None, init_filters=16, network_def=None):
    """A bundle folder: metadata.json, inference.json, models/model.pt (a state dict of random weights)."""
    from monai.networks.nets import SegResNet

    torch.manual_seed(0)
    arguments = {k: v for k, v in NETWORK.items() if k != "_target_"}
    state = SegResNet(**{**arguments, "init_filters": init_filters}).state_dict()
    if final_bias is not None:  # the output is then exactly this bias at every voxel
        state["conv_final.2.conv.weight"].zero_()
        state["conv_final.2.conv.bias"].copy_(torch.tensor(final_bias, dtype=torch.float32))
    (folder / "configs").mkdir(parents=True)
    (folder / "models").mkdir()
    torch.save(state, folder / "models" / "model.pt")
    image = {"type": "image", "modality": "MR", "num_channels": 4, "spatial_shape": ["8*n"] * 3, "dtype": "float32",
             "channel_def": {"0": "T1c", "1": "T1", "2": "T2", "3": "FLAIR"}}
    pred = {"type": "image", "format": "segmentation", "num_channels": 3, "spatial_shape": ["8*n"] * 3,
            "dtype": "float32", "value_range": [0, 1],
            "channel_def": {"0": "Tumor core", "1": "Whole tumor", "2": "Enhancing tumor"}}
    metadata = {"version": "0.5.2", "task": "Multimodal Brain Tumor segmentation",
                "image_classes": "4 channel data, T1c, T1, T2, FLAIR at 1x1x1 mm",
                "network_data_format": {"inputs": {"image": image}, "outputs": {"pred": pred}}}
    inference = {
        "imports": ["$import glob"],
        "bundle_root": ".",
        "device": "$torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')",
        "network_def": network_def or NETWORK,
        "network": "$@network_def.to(@device)",
        "preprocessing": {"_target_": "Compose", "transforms": [
            {"_target_": "LoadImaged", "keys": "image"},
            {"_target_": "NormalizeIntensityd", "keys": "image", "nonzero": True, "channel_wise": True}]},
        "inferer": {"_target_": "SlidingWindowInferer", "roi_size": [240, 240, 160], "sw_batch_size": 1,
                    "overlap": 0.5},
        "postprocessing": {"_target_": "Compose", "transforms": [
            {"_target_": "Activationsd", "keys": "pred", "sigmoid": True},
            {"_target_": "AsDiscreted", "keys": "pred", "threshold": 0.5}]},
    }
    (folder / "configs" / "metadata.json").write_text(json.dumps(metadata, indent=2))
    (folder / "configs" / "inference.json").write_text(json.dumps(inference, indent=2))
    return folder


def small(segmenter):
    """The phantom's grid as it is (no resampling to 1 mm) and a window that covers it."""
    segmenter.roi_size, segmenter.spacing_mm = ROI, None
    return segmenter


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((32, 48, 48))


@pytest.fixture(scope="module")
def engine():
    return InferenceEngine("cpu", threads=1)


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(tmp_path / "brats_mri_segmentation")


class RecordingEngine(InferenceEngine):
    """An engine that keeps what each sliding window was given."""

    def __init__(self):
        super().__init__("cpu", threads=1)
        self.inputs = []

    def sliding_window(self, network, array, roi_size, *args, **kwargs):
        self.inputs.append((np.array(array), tuple(roi_size)))
        return super().sliding_window(network, array, roi_size, *args, **kwargs)


def test_registry_loads_a_bundle_and_it_segments_onto_the_case_grid(bundle, phantom, engine):
    segmenter = load_segmenter(bundle)
    assert isinstance(segmenter, BundleSegmenter)
    assert segmenter.inputs == ("t1c", "t1n", "t2w", "t2f") and segmenter.outputs == ("TC", "WT", "ET")
    assert set(segmenter.required) == {"t1n", "t1c", "t2w", "t2f"}
    assert segmenter.roi_size == (240, 240, 160) and segmenter.overlap == 0.5 and segmenter.version == "0.5.2"

    result = segment_case(phantom, small(segmenter), engine=engine)
    reference = phantom.reference
    for image in (result.labels, result.uncertainty):
        assert image.GetSize() == reference.GetSize() and image.GetSpacing() == reference.GetSpacing()
        assert image.GetOrigin() == reference.GetOrigin() and image.GetDirection() == reference.GetDirection()
    labels = sitk.GetArrayFromImage(result.labels)
    assert set(np.unique(labels)) <= {0, NETC, SNFH, ET}
    masks = region_masks(labels)
    assert not (masks["ET"] & ~masks["TC"]).any() and not (masks["TC"] & ~masks["WT"]).any()
    uncertainty = sitk.GetArrayFromImage(result.uncertainty)
    assert uncertainty.min() >= 0 and uncertainty.max() <= 1
    assert result.model == "brats_mri_segmentation" and result.model_version == "0.5.2"


@pytest.mark.parametrize("bundle_channel, our_channel", [(0, 1), (1, 0), (2, 2)])  # TC, WT, ET -> WT, TC, ET
def test_bundle_outputs_tc_wt_et_come_back_as_wt_tc_et(tmp_path, phantom, engine, bundle_channel, our_channel):
    bias = [-20.0, -20.0, -20.0]
    bias[bundle_channel] = 20.0
    segmenter = small(BundleSegmenter(make_bundle(tmp_path / "b", final_bias=bias)))
    probabilities, disagreement = segmenter.probabilities(phantom, engine)
    assert disagreement is None and probabilities.dtype == np.float32
    assert probabilities.shape == (3, *sitk.GetArrayViewFromImage(phantom.reference).shape)
    assert probabilities[our_channel].min() > 0.99
    assert np.delete(probabilities, our_channel, axis=0).max() < 0.01


def test_a_bundle_predicting_whole_tumour_only_labels_everything_edema(tmp_path, phantom, engine):
    segmenter = small(BundleSegmenter(make_bundle(tmp_path / "b", final_bias=[-20.0, 20.0, -20.0])))
    labels = sitk.GetArrayFromImage(segment_case(phantom, segmenter, engine=engine).labels)
    assert (labels == SNFH).all()


def test_the_network_sees_the_bundle_layout_and_normalisation(bundle, phantom):
    engine = RecordingEngine()
    small(BundleSegmenter(bundle)).probabilities(phantom, engine)
    (array, roi), = engine.inputs
    assert roi == ROI and array.shape == (4, 48, 48, 32)  # (channel, x, y, z) as LoadImage lays out a NIfTI file
    for channel, sequence in enumerate(("t1c", "t1n", "t2w", "t2f")):
        raw = phantom.array(sequence).transpose(2, 1, 0).astype(np.float64)
        nonzero = raw != 0
        expected = np.zeros_like(raw)
        expected[nonzero] = (raw[nonzero] - raw[nonzero].mean()) / raw[nonzero].std()
        np.testing.assert_allclose(array[channel], expected, atol=1e-4)


def test_the_grid_is_padded_to_a_multiple_of_eight_and_cropped_back(bundle, engine):
    case = make_phantom((30, 44, 42))
    engine = RecordingEngine()
    segmenter = BundleSegmenter(bundle, roi_size=(48, 48, 32), spacing_mm=None)
    probabilities, _ = segmenter.probabilities(case, engine)
    assert engine.inputs[0][0].shape == (4, 48, 48, 32)
    assert probabilities.shape == (3, 30, 44, 42)


def test_a_case_on_other_axes_gets_the_same_answer(bundle, phantom, engine):
    segmenter = small(BundleSegmenter(bundle))
    expected, _ = segmenter.probabilities(phantom, engine)
    turned = replace(phantom, images={s: sitk.DICOMOrient(i, "ASR") for s, i in phantom.images.items()},
                     brain_mask=None, labels=None)
    probabilities, _ = segmenter.probabilities(turned, engine)
    back = []
    for channel in probabilities:
        image = sitk.GetImageFromArray(channel)
        image.CopyInformation(turned.reference)
        back.append(sitk.GetArrayFromImage(sitk.DICOMOrient(image, "LPS")))
    np.testing.assert_allclose(np.stack(back), expected, atol=1e-4)


def test_other_spacings_are_resampled_for_the_network_and_back(bundle, phantom):
    engine = RecordingEngine()
    segmenter = BundleSegmenter(bundle, roi_size=ROI, spacing_mm=10.0)
    probabilities, _ = segmenter.probabilities(phantom, engine)
    assert engine.inputs[0][0].shape == (4, 24, 24, 16)  # 240 x 240 x 155 mm at 10 mm, padded to 8
    assert probabilities.shape == (3, 32, 48, 48)


def test_test_time_flips_give_their_mean_and_disagreement_on_the_case_grid(bundle, phantom, engine):
    segmenter = small(BundleSegmenter(bundle))
    probabilities, disagreement = segmenter.probabilities(phantom, engine, tta=True)
    once, _ = segmenter.probabilities(phantom, engine)
    assert probabilities.shape == (3, 32, 48, 48) and disagreement.shape == (32, 48, 48)
    assert 0 < disagreement.max() <= 1 and not np.allclose(probabilities, once)  # random weights: mirrors disagree


def test_a_wrong_sha256_is_refused_and_the_right_one_accepted(bundle, phantom, engine):
    with pytest.raises(GliomaAIError, match="sha256"):
        small(BundleSegmenter(bundle, sha256="0" * 64)).probabilities(phantom, engine)
    good = BundleSegmenter(bundle, sha256=sha256_of(bundle / "models" / "model.pt").upper())
    assert isinstance(good.network(engine), torch.nn.Module)


def test_a_case_lacking_a_sequence_is_refused_naming_it(bundle, phantom, engine):
    case = replace(phantom, images={s: i for s, i in phantom.images.items() if s != "t2f"})
    segmenter = small(load_segmenter(bundle))
    with pytest.raises(GliomaAIError, match="t2f"):
        segment_case(case, segmenter, engine=engine)
    with pytest.raises(GliomaAIError, match="t2f"):
        segmenter.probabilities(case, engine)


def test_corrupt_missing_or_mismatched_weights_give_clear_errors(tmp_path, phantom, engine):
    corrupt = make_bundle(tmp_path / "corrupt")
    (corrupt / "models" / "model.pt").write_bytes(b"not a torch file")
    with pytest.raises(GliomaAIError, match="cannot be loaded as weights"):
        small(BundleSegmenter(corrupt)).probabilities(phantom, engine)
    other = make_bundle(tmp_path / "other", init_filters=8)
    with pytest.raises(GliomaAIError, match="do not fit"):
        small(BundleSegmenter(other)).probabilities(phantom, engine)
    missing = make_bundle(tmp_path / "missing")
    (missing / "models" / "model.pt").unlink()
    with pytest.raises(GliomaAIError, match="missing"):
        small(BundleSegmenter(missing)).probabilities(phantom, engine)


@pytest.mark.parametrize("network_def", [
    {"_target_": "os.system", "command": "echo hello"},
    {**NETWORK, "init_filters": "$__import__('os').getpid()"},
    {**NETWORK, "_mode_": "debug"},
])
def test_code_in_the_network_config_is_never_run(tmp_path, phantom, engine, network_def):
    segmenter = small(BundleSegmenter(make_bundle(tmp_path / "b", network_def=network_def)))
    with pytest.raises(GliomaAIError, match="does not run code"):
        segmenter.probabilities(phantom, engine)


def test_a_window_that_is_not_a_multiple_of_eight_is_refused(bundle, phantom, engine):
    segmenter = BundleSegmenter(bundle, roi_size=(50, 48, 32), spacing_mm=None)
    with pytest.raises(GliomaAIError, match="multiple of 8"):
        segmenter.probabilities(phantom, engine)


def test_fetch_from_a_folder_checks_the_weights(bundle, tmp_path):
    with pytest.raises(GliomaAIError, match="sha256"):
        fetch_bundle(bundle, tmp_path / "wrong", sha256="1" * 64)
    assert not (tmp_path / "wrong").exists()
    dest = fetch_bundle(bundle, tmp_path / "copy", sha256=sha256_of(bundle / "models" / "model.pt"))
    assert isinstance(load_segmenter(dest), BundleSegmenter)
    with pytest.raises(GliomaAIError, match="not an empty folder"):
        fetch_bundle(bundle, dest)


@pytest.fixture
def bundle_zip(bundle, tmp_path):
    """The bundle zipped as the model zoo publishes it: one top folder named after the bundle."""
    archive = tmp_path / "brats_mri_segmentation_v0.5.2.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        for path in sorted(bundle.rglob("*")):
            opened.write(path, path.relative_to(bundle.parent))
    return archive


def test_fetch_from_a_zip_and_from_an_address_checks_the_archive(bundle_zip, tmp_path):
    digest = sha256_of(bundle_zip)
    with pytest.raises(GliomaAIError, match="sha256"):
        fetch_bundle(bundle_zip, tmp_path / "wrong", sha256="2" * 64)
    assert not (tmp_path / "wrong").exists()
    dest = fetch_bundle(bundle_zip, tmp_path / "unzipped", sha256=digest)
    assert (dest / "configs" / "inference.json").exists() and (dest / "models" / "model.pt").exists()
    downloaded = fetch_bundle(bundle_zip.as_uri(), tmp_path / "downloaded", sha256=digest)
    assert load_segmenter(downloaded).version == "0.5.2"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
    with pytest.raises(GliomaAIError, match="No sha256"):
        fetch_bundle(bundle_zip.as_uri(), tmp_path / "unchecked")
    with pytest.raises(GliomaAIError, match="sha256"):
        fetch_bundle(bundle_zip.as_uri(), tmp_path / "tampered", sha256="3" * 64)


def test_fetch_errors_say_what_went_wrong(tmp_path):
    with pytest.raises(GliomaAIError, match="Cannot download"):
        fetch_bundle("http://127.0.0.1:9/brats_mri_segmentation.zip", tmp_path / "b", sha256="0" * 64)
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"this is no zip")
    with pytest.raises(GliomaAIError, match="not a readable zip"):
        fetch_bundle(garbage, tmp_path / "b")
    with pytest.raises(GliomaAIError, match="no such file"):
        fetch_bundle(tmp_path / "absent.zip", tmp_path / "b")
    with pytest.raises(GliomaAIError, match="no MONAI bundle"):
        fetch_bundle(tmp_path, tmp_path / "b")
    assert not (tmp_path / "b").exists()
