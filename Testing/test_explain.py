"""Saliency methods and their checks, on models whose answer is known, and on the built-in segmenter."""

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from gliomaai.errors import GliomaAIError
from gliomaai.explain.catalogue import DEFAULT_LAYERS, METHODS, default_layer
from gliomaai.explain.explainer import CaseExplainer
from gliomaai.explain.methods import attribute, check_layer, guided_relus, unit_map
from gliomaai.explain.occlusion import occlusion_passes
from gliomaai.explain.sequence_importance import sequence_importance
from gliomaai.explain.targets import ClassScore, RegionScore, Watched
from gliomaai.explain.trust import curves, randomised, rank_correlation, ranking
from gliomaai.inference.engine import Cancelled
from gliomaai.models.network import SEGMENTERS, build_network
from gliomaai.phantom import make_phantom

from helpers import ball

SHAPE = (32, 32, 32)
FLAIR = 3  # the channel the known model reads


class FlairOnly(torch.nn.Module):
    """A segmenter whose three outputs see only channel 3 (FLAIR), through a ReLU: the truth is known."""

    def __init__(self):
        super().__init__()
        self.first = torch.nn.Conv3d(4, 4, 3, padding=1)
        self.act = torch.nn.ReLU(inplace=True)
        self.last = torch.nn.Conv3d(4, 3, 3, padding=1)
        with torch.no_grad():
            generator = torch.Generator().manual_seed(0)
            self.first.weight.zero_()
            self.first.weight[:, FLAIR] = torch.rand((4, 3, 3, 3), generator=generator) / 27
            self.first.bias.fill_(-0.5)
            self.last.weight.copy_(torch.rand(self.last.weight.shape, generator=generator) / 27)
            self.last.bias.fill_(-1.0)

    def forward(self, x):
        return self.last(self.act(self.first(x)))


@pytest.fixture(scope="module")
def known():
    """The known model, an input with a bright FLAIR ball and noise elsewhere, and the ball as target."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.3, (1, 4, *SHAPE)).astype(np.float32)
    blob = ball(SHAPE, (16, 12, 20), 5)
    x[0, FLAIR][blob] += 4.0
    network = FlairOnly().eval()
    return network, torch.from_numpy(x), blob, np.ones(SHAPE, dtype=bool)


def _inside_outside(values, blob):
    near = np.zeros_like(blob)
    near[tuple(slice(max(0, w.min() - 2), w.max() + 3) for w in np.nonzero(blob))] = True
    return values[blob].mean(), values[~near].mean()


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_points_at_what_drives_the_known_model(known, method):
    network, x, blob, brain = known
    values, shares = attribute(method, RegionScore(network, 0, blob), x, "first" if METHODS[method].uses_layer else None,
                               brain)
    assert values.shape == SHAPE and np.all(values >= 0) and np.isfinite(values).all()
    inside, outside = _inside_outside(values, blob)
    assert inside > 5 * outside, f"{method}: {inside:.3g} inside the target, {outside:.3g} away from it"
    if shares is not None:  # gradient methods: the share of each sequence
        assert shares[FLAIR] > 0.99 and sum(abs(s) for s in shares) == pytest.approx(1.0, abs=1e-6), shares


def test_gradcam_is_not_inverted(known):
    """MONAI's default post-processing maps high to 0; the project's maps keep high high."""
    network, x, blob, brain = known
    values, _ = attribute("gradcam", RegionScore(network, 0, blob), x, "act", brain)
    assert np.unravel_index(values.argmax(), SHAPE) in set(zip(*np.nonzero(ball(SHAPE, (16, 12, 20), 7))))


def test_guided_backpropagation_reaches_relus_of_any_name():
    """MONAI's GuidedBackpropGrad only swaps modules named 'relu'; SegResNet's are named 'act'."""
    from monai.networks.nets import SegResNet

    torch.manual_seed(0)
    network = SegResNet(spatial_dims=3, in_channels=4, out_channels=3, init_filters=8).eval()
    relus = [m for m in network.modules() if isinstance(m, torch.nn.ReLU)]
    assert relus and not any("relu" in n for n, m in network.named_modules() if isinstance(m, torch.nn.ReLU))
    x = torch.randn(1, 4, 16, 16, 16)
    score = RegionScore(network, 0, np.ones((16, 16, 16), dtype=bool))
    plain, _ = attribute("saliency", score, x)
    guided, _ = attribute("guided", score, x)
    assert not np.allclose(plain, guided)
    assert all(m.inplace for m in relus) and not any(m._backward_hooks for m in relus), "the model was left changed"
    with guided_relus(network):
        assert not any(m.inplace for m in relus)


def test_guided_backpropagation_reaches_the_parametric_relus_of_a_unet():
    """MONAI's UNet rectifies with PReLU: guided backpropagation must not fall back to the plain gradient."""
    torch.manual_seed(0)
    network = build_network(SEGMENTERS["unet"]).eval()
    assert any(isinstance(m, torch.nn.PReLU) for m in network.modules())
    x = torch.randn(1, 4, 16, 16, 16)
    score = RegionScore(network, 0, np.ones((16, 16, 16), dtype=bool))
    plain, _ = attribute("saliency", score, x)
    guided, _ = attribute("guided", score, x)
    assert not np.allclose(plain, guided)


def test_integrated_gradients_add_up_to_the_score_change(known):
    """Completeness: the attributions sum to score(x) - score(0), with the sequences' shares among them."""
    network, x, blob, brain = known
    from captum.attr import IntegratedGradients

    score = RegionScore(network, 0, blob)
    attributions, delta = IntegratedGradients(score).attribute(x, baselines=torch.zeros_like(x), target=0, n_steps=64,
                                                              return_convergence_delta=True)
    change = float(score(x) - score(torch.zeros_like(x)))
    assert float(attributions.sum()) == pytest.approx(change, rel=0.05)


def test_occlusion_makes_the_passes_it_announces(known):
    network, x, blob, brain = known
    watched = Watched(RegionScore(network, 0, blob), 1)
    from gliomaai.explain.occlusion import occlusion_map

    with torch.no_grad():
        values = occlusion_map(watched, x, brain)
    assert watched.calls == occlusion_passes(brain)
    assert values[blob].max() == values.max() > 0


@pytest.mark.parametrize("method", ["saliency", "ig", "gradcam"])
def test_the_model_stays_in_eval_mode(known, method):
    """MONAI's explainers put back the mode of the module they are given; dropout must never come on."""
    network, x, blob, brain = known
    with_dropout = torch.nn.Sequential(network, torch.nn.Dropout3d(0.5)).eval()
    attribute(method, RegionScore(with_dropout, 0, blob), x, "0.first" if method == "gradcam" else None, brain)
    assert not any(m.training for m in with_dropout.modules())


@pytest.mark.parametrize("method", ["gradcam", "gradcampp"])
def test_a_background_job_can_follow_every_method(known, method):
    """The panels pass progress and cancel of a BackgroundJob, which holds a lock; the CAM methods
    copy the watched model, and the copy must share those callbacks, not try to copy the lock."""
    from GliomaAILib.worker import BackgroundJob

    network, x, blob, brain = known
    job = BackgroundJob(lambda progress, cancel: attribute(method, RegionScore(network, 0, blob), x, "first", brain,
                                                           progress, cancel)).start()
    assert job.wait(60)
    values, _ = job.result()
    assert values.shape == brain.shape and job.progress[0] == 1.0


def test_a_cancelled_explanation_stops_at_the_next_pass(known):
    network, x, blob, brain = known
    with pytest.raises(Cancelled):
        attribute("smoothgrad", RegionScore(network, 0, blob), x, cancel=lambda: True)


def test_deletion_and_insertion_tell_a_good_ordering_from_a_bad_one(known):
    network, x, blob, brain = known
    score = RegionScore(network, 0, blob)
    truth = ball(SHAPE, (16, 12, 20), 6).astype(np.float32)
    good = curves(score.probability, x, ranking(truth, brain), steps=10)
    bad = curves(score.probability, x, ranking(-truth, brain), steps=10)
    random = curves(score.probability, x, ranking(np.zeros(SHAPE), brain, seed=3), steps=10)
    assert good["deletion_auc"] < random["deletion_auc"] < bad["deletion_auc"]
    assert good["insertion_auc"] > random["insertion_auc"] > bad["insertion_auc"]
    assert good["deletion"][0] == pytest.approx(good["insertion"][-1], abs=1e-5)  # both ends are the input itself


def test_randomisation_changes_the_weights_not_the_model(known):
    network = known[0]
    before = [p.clone() for p in network.parameters()]
    copy = randomised(network, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(before, network.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(network.parameters(), copy.parameters()))
    rng = np.random.default_rng(0)
    brain = np.ones((8, 8, 8), dtype=bool)
    values = rng.random((8, 8, 8))
    assert rank_correlation(values, values, brain) == pytest.approx(1.0)
    assert abs(rank_correlation(values, rng.random((8, 8, 8)), brain)) < 0.2


def test_sequence_importance_finds_the_only_sequence_the_model_reads(known):
    network, x, blob, brain = known
    importance = sequence_importance(network, x, ("t1n", "t1c", "t2w", "t2f"))
    assert importance["t2f"]["WT"]["importance"] > 0.5
    for sequence in ("t1n", "t1c", "t2w"):
        assert importance[sequence]["WT"]["importance"] == 0.0


def test_a_class_score_of_a_classifier_is_explained_too():
    """Classification: class 1 fires on bright voxels of channel 0; its saliency lies on them."""
    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = torch.nn.Sequential(torch.nn.Conv3d(2, 2, 1), torch.nn.ReLU())
            with torch.no_grad():
                self.features[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 0.0]]).reshape(2, 2, 1, 1, 1))
                self.features[0].bias.copy_(torch.tensor([-1.0, 0.0]))

        def forward(self, x):
            pooled = self.features(x).mean(dim=(2, 3, 4))
            return torch.stack([-pooled[:, 0], pooled[:, 0]], dim=1)

    x = torch.zeros(1, 2, *SHAPE)
    spot = ball(SHAPE, (20, 12, 20), 3)
    x[0, 0][torch.from_numpy(spot)] = 3.0
    for method in ("saliency", "ig", "occlusion"):
        values, _ = attribute(method, ClassScore(Classifier().eval(), 1), x, brain=np.ones(SHAPE, dtype=bool))
        inside, outside = _inside_outside(values, spot)
        assert inside > 5 * outside, method


def test_unit_map_scales_to_the_brain_and_ignores_a_few_hot_voxels():
    values = np.ones((20, 20, 20), dtype=np.float32)
    values[0, 0, 0] = 1000
    scaled = unit_map(values, np.ones_like(values, dtype=bool))
    assert scaled.max() == 1 and np.median(scaled) == pytest.approx(1.0)
    assert not unit_map(np.zeros((4, 4, 4))).any()


# The built-in segmenter on a phantom case: the whole path from a Case to a map on its grid.

# Small enough to explain in seconds, at life size (4 mm voxels over a 240 mm head): the model was
# trained on real heads, and a head drawn smaller than life is not a case it should be judged on.
PHANTOM = dict(shape=(40, 56, 56))


@pytest.fixture(scope="module")
def phantom():
    return make_phantom(**PHANTOM)


@pytest.fixture(scope="module")
def explainer(phantom):
    return CaseExplainer(phantom, "WT")


def test_a_case_map_lies_on_the_case_grid_over_the_tumour(phantom, explainer):
    explanation = explainer.explain("saliency", trust=False)
    saliency = explanation.saliency
    assert saliency.GetSize() == phantom.reference.GetSize() and saliency.GetOrigin() == phantom.reference.GetOrigin()
    values = sitk.GetArrayFromImage(saliency)
    assert values.min() >= 0 and values.max() <= 1 and values.max() > 0.5
    tumour = phantom.label_array() > 0
    assert values[tumour].mean() > 3 * values[~tumour].mean()
    assert set(explanation.channel_shares) == {"t1n", "t1c", "t2w", "t2f"}


def test_trust_figures_come_with_every_checked_map(explainer):
    explanation = explainer.explain("gradcam", trust=True)
    trust = explanation.trust
    assert -1 <= trust["randomisation_spearman"] <= 1
    for key in ("deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc"):
        assert 0 <= trust[key] <= 1
    assert len(trust["curves"]["deletion"]) == len(trust["curves"]["fractions"]) == 21
    # Both curves end on the input itself: equal only if no dropout was left on between passes.
    assert trust["curves"]["deletion"][0] == pytest.approx(trust["curves"]["insertion"][-1], abs=1e-4)
    assert not explainer.network.training
    assert trust["verdict"]
    assert explanation.layer == DEFAULT_LAYERS[explainer.segmenter.card.architecture["class"]]
    assert not any(m._forward_hooks or m._backward_hooks for m in explainer.network.modules()), "hooks left behind"


@pytest.mark.parametrize("name", sorted(SEGMENTERS))
def test_every_network_on_offer_has_a_grad_cam_layer_of_coarse_features(name):
    network = build_network(SEGMENTERS[name])
    layer = check_layer(network, default_layer(SEGMENTERS[name]))
    shapes = {}
    hook = dict(network.named_modules())[layer].register_forward_hook(lambda m, i, o: shapes.update(out=o.shape))
    network.eval()(torch.zeros(1, 4, 32, 32, 32))
    hook.remove()
    channels, *grid = shapes["out"][1:]
    assert channels > 3 and max(grid) <= 16, "Grad-CAM needs a feature map coarser than the input, not the output"


def test_bad_targets_get_clear_errors(phantom, explainer):
    with pytest.raises(GliomaAIError, match="Unknown target"):
        CaseExplainer(phantom, "NETC")
    empty = sitk.Image(phantom.reference.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(phantom.reference)
    with pytest.raises(GliomaAIError, match="region of interest is empty"):
        CaseExplainer(phantom, "WT", roi=empty)
    outside = sitk.Image(empty)
    outside[0, 0, 0] = 1  # a corner: outside the brain the model looks at
    with pytest.raises(GliomaAIError, match="outside the brain"):
        CaseExplainer(phantom, "WT", roi=outside)
    with pytest.raises(GliomaAIError, match="no layer 'nowhere'"):
        explainer.explain("gradcam", layer="nowhere", trust=False)
    with pytest.raises(GliomaAIError, match="Unknown saliency method"):
        explainer.explain("lime", trust=False)


def test_a_region_the_model_does_not_find_is_refused(phantom):
    no_tumour = make_phantom(**PHANTOM)
    # Every sequence one value inside the brain: no contrast, so no tumour for any model to find. (Flattening
    # only the tumour left the phantom's synthetic tissue, where segmenter 2.1 finds a voxel of ET.)
    for sequence, image in no_tumour.images.items():
        array = sitk.GetArrayFromImage(image)
        array[array > 0] = np.median(array[array > 0])
        flat = sitk.GetImageFromArray(array)
        flat.CopyInformation(image)
        no_tumour.images[sequence] = flat
    with pytest.raises(GliomaAIError, match="finds no ET"):
        CaseExplainer(no_tumour, "ET")


def test_a_drawn_region_replaces_the_predicted_one(phantom):
    tumour = phantom.label_array() > 0
    roi_array = tumour.astype(np.uint8)
    roi_array[: int(np.median(np.nonzero(tumour)[0]))] = 0  # the upper half of the tumour
    roi = sitk.GetImageFromArray(roi_array)
    roi.CopyInformation(phantom.reference)
    explainer = CaseExplainer(phantom, "WT", roi=roi)
    predicted = CaseExplainer(phantom, "WT")
    assert 0 < explainer.mask.sum() < predicted.mask.sum()
