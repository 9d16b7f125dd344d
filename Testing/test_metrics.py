"""Metrics checked against MONAI, scikit-image, brute force and hand-computed cases."""

import itertools
import json
import math

import numpy as np
import pytest
import torch
from monai.metrics import (compute_confusion_matrix_metric, compute_dice, compute_hausdorff_distance,
                           get_confusion_matrix)
from scipy import ndimage
from scipy.spatial.distance import cdist
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from gliomaai.errors import GliomaAIError
from gliomaai.metrics import (BRATS_MAX_HD95, LESIONWISE_MAX_HD95, METRIC_KEYS, auc, classification_metrics,
                              dice, fnr, fpr, hd95, jaccard, lesionwise_metrics, precision,
                              segmentation_metrics, sensitivity, specificity, surface_distances, synthesis_metrics,
                              synthesis_metrics_by_region, volume_difference_ml, volume_ml)

# MONAI warns about its own deprecated argument when computing Hausdorff distances.
pytestmark = pytest.mark.filterwarnings("ignore:.*always_return_as_numpy:FutureWarning")

SPACING_XYZ = (0.8, 1.0, 2.5)  # as image.GetSpacing() gives it; arrays are (z, y, x)


def blob(seed, shape=(40, 40, 40), fraction=0.15):
    """A random smooth blob mask."""
    noise = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), 3)
    return noise > np.quantile(noise, 1 - fraction)


def box(shape, z, y, x):
    """Mask with True on the slices z, y, x (each a (start, stop) pair)."""
    mask = np.zeros(shape, dtype=bool)
    mask[slice(*z), slice(*y), slice(*x)] = True
    return mask


def monai_tensor(mask):
    return torch.from_numpy(np.asarray(mask, dtype=np.float32))[None, None]


def brute_force_hd95(pred, ref, spacing_zyx):
    """Independent HD95: surface voxels found by shifting a zero-padded mask, all pairwise distances."""
    def surface_points(mask):
        padded = np.pad(mask, 1)
        inner = padded[1:-1, 1:-1, 1:-1]
        all_neighbours_in = np.ones_like(mask)
        for axis, step in itertools.product(range(3), (-1, 1)):
            all_neighbours_in &= np.roll(padded, step, axis=axis)[1:-1, 1:-1, 1:-1]
        return np.argwhere(inner & ~all_neighbours_in) * np.asarray(spacing_zyx)

    distances = cdist(surface_points(pred), surface_points(ref))
    return max(np.percentile(distances.min(axis=1), 95), np.percentile(distances.min(axis=0), 95))


# ---- segmentation: independent implementations ----

@pytest.mark.parametrize("seed", range(4))
def test_overlap_and_distance_match_monai(seed):
    pred, ref = blob(seed), blob(seed + 100)
    spacing_zyx = SPACING_XYZ[::-1]
    p, r = monai_tensor(pred), monai_tensor(ref)
    assert dice(pred, ref) == pytest.approx(compute_dice(p, r, include_background=True).item(), abs=1e-6)
    # MONAI takes spacing in array-axis order; ours takes SimpleITK (x, y, z) order.
    # Both take surfaces as mask XOR its 6-connected erosion, so they agree up to float32 rounding.
    expected_hd = compute_hausdorff_distance(p, r, include_background=True, percentile=95, spacing=spacing_zyx)
    assert hd95(pred, ref, SPACING_XYZ) == pytest.approx(expected_hd.item(), abs=1e-3)
    confusion = get_confusion_matrix(p, r, include_background=True)
    for name, ours in (("sensitivity", sensitivity), ("specificity", specificity), ("precision", precision),
                       ("fall out", fpr), ("miss rate", fnr), ("threat score", jaccard)):
        expected = compute_confusion_matrix_metric(name, confusion).item()
        assert ours(pred, ref) == pytest.approx(expected, abs=1e-6), name


def test_hd95_matches_brute_force_pairwise_distances():
    pred, ref = blob(7, shape=(24, 24, 24)), blob(8, shape=(24, 24, 24))
    assert hd95(pred, ref, SPACING_XYZ) == pytest.approx(brute_force_hd95(pred, ref, SPACING_XYZ[::-1]), abs=1e-9)


# ---- segmentation: hand-computed cases ----

def test_offset_cubes_dice_jaccard_and_hausdorff():
    a, k = 10, 3
    ref = box((20, 20, 20), (5, 5 + a), (5, 5 + a), (2, 2 + a))
    pred = box((20, 20, 20), (5, 5 + a), (5, 5 + a), (2 + k, 2 + k + a))  # shifted k voxels along x
    assert dice(pred, ref) == pytest.approx((a - k) / a)
    assert jaccard(pred, ref) == pytest.approx((a - k) / (a + k))
    # The farthest surface voxels are on the leading faces, k voxels (k * x spacing) from the other
    # cube's face: that is the full Hausdorff distance, and HD95 cannot exceed it.
    spacing = (0.5, 1.0, 2.0)
    to_ref, to_pred = surface_distances(pred, ref, spacing)
    assert max(to_ref.max(), to_pred.max()) == pytest.approx(k * 0.5)
    assert 0 < hd95(pred, ref, spacing) <= k * 0.5


def test_spacing_is_taken_in_simpleitk_xyz_order():
    shape = (20, 20, 20)
    ref = box(shape, (4, 5), (4, 5), (4, 5))
    along_z = box(shape, (9, 10), (4, 5), (4, 5))  # 5 voxels along array axis 0 = z
    along_x = box(shape, (4, 5), (4, 5), (9, 10))  # 5 voxels along array axis 2 = x
    spacing = (0.5, 1.0, 2.0)  # x, y, z
    assert hd95(along_z, ref, spacing) == pytest.approx(5 * 2.0)
    assert hd95(along_x, ref, spacing) == pytest.approx(5 * 0.5)


def test_hd95_voxel_inside_cube_is_the_corner_distance():
    # Reference: a 3x3x3 cube, 26 surface voxels; prediction: its centre voxel. Of the 26 distances
    # back to the centre 8 are corners, so the 95th percentile is the corner distance.
    ref = box((9, 9, 9), (3, 6), (3, 6), (3, 6))
    pred = box((9, 9, 9), (4, 5), (4, 5), (4, 5))
    spacing = (0.5, 1.0, 2.0)
    assert hd95(pred, ref, spacing) == pytest.approx(math.sqrt(0.25 + 1 + 4))


def test_volumes_in_ml():
    spacing = (0.5, 1.0, 2.0)  # 1 mm^3 voxels
    ref = box((30, 30, 30), (0, 4), (0, 6), (0, 10))  # 240 voxels
    pred = box((30, 30, 30), (0, 10), (0, 10), (0, 10))  # 1000 voxels
    assert volume_ml(ref, spacing) == pytest.approx(0.24)
    assert volume_ml(pred, (1.0, 1.0, 3.0)) == pytest.approx(3.0)
    assert volume_difference_ml(pred, ref, spacing) == pytest.approx(1.0 - 0.24)


def test_empty_mask_conventions():
    empty = np.zeros((10, 10, 10), dtype=bool)
    full = box((10, 10, 10), (2, 5), (2, 5), (2, 5))
    spacing = (1.0, 1.0, 1.0)
    assert (dice(empty, empty), jaccard(empty, empty), hd95(empty, empty, spacing)) == (1.0, 1.0, 0.0)
    assert (sensitivity(empty, empty), precision(empty, empty), specificity(empty, empty)) == (1.0, 1.0, 1.0)
    # Missed everything.
    assert (dice(empty, full), jaccard(empty, full), hd95(empty, full, spacing)) == (0.0, 0.0, BRATS_MAX_HD95)
    assert (sensitivity(empty, full), precision(empty, full), fnr(empty, full)) == (0.0, 0.0, 1.0)
    # Found something where nothing is.
    assert (dice(full, empty), hd95(full, empty, spacing)) == (0.0, BRATS_MAX_HD95)
    assert (sensitivity(full, empty), precision(full, empty)) == (0.0, 0.0)
    assert fpr(full, empty) == pytest.approx(27 / 1000)
    assert BRATS_MAX_HD95 == pytest.approx(math.sqrt(240 ** 2 + 240 ** 2 + 155 ** 2), abs=0.01)


def test_segmentation_metrics_per_region():
    rng = np.random.default_rng(3)
    ref = np.zeros((40, 40, 40), dtype=np.uint8)
    ref[blob(1)] = 2
    ref[blob(1, fraction=0.06)] = 1
    ref[blob(1, fraction=0.03)] = 3
    pred = np.where(rng.random(ref.shape) < 0.05, rng.integers(0, 4, ref.shape), ref).astype(np.uint8)
    result = segmentation_metrics(pred, ref, SPACING_XYZ)
    assert set(result) == {"WT", "TC", "ET"}
    json.dumps(result)  # plain floats
    for region, labels in (("WT", (1, 2, 3)), ("TC", (1, 3)), ("ET", (3,))):
        assert tuple(result[region]) == METRIC_KEYS
        assert all(type(v) is float for v in result[region].values())
        p, r = np.isin(pred, labels), np.isin(ref, labels)
        expected = compute_dice(monai_tensor(p), monai_tensor(r), include_background=True).item()
        assert result[region]["dice"] == pytest.approx(expected, abs=1e-6)
        voxel_ml = np.prod(SPACING_XYZ) / 1000
        assert result[region]["volume_ref_ml"] == pytest.approx(r.sum() * voxel_ml)
    assert set(segmentation_metrics(pred, ref, SPACING_XYZ, regions=("WT",))) == {"WT"}


def test_segmentation_metrics_rejects_bad_input():
    ref = np.zeros((10, 10, 10), dtype=np.uint8)
    with pytest.raises(GliomaAIError, match="Resample"):
        segmentation_metrics(np.zeros((10, 10, 9), dtype=np.uint8), ref, (1, 1, 1))
    with pytest.raises(GliomaAIError, match="to_canonical"):
        segmentation_metrics(np.full_like(ref, 4), ref, (1, 1, 1))
    with pytest.raises(GliomaAIError, match="spacing"):
        segmentation_metrics(ref, ref, (1, 1))


# ---- lesion-wise ----

SHAPE = (48, 48, 48)


def test_lesionwise_hit_miss_false_positive_and_small_lesion():
    lesion_a = box(SHAPE, (5, 11), (5, 11), (5, 11))  # 216 voxels
    lesion_b = box(SHAPE, (30, 35), (30, 35), (30, 35))  # 125 voxels, missed
    small = box(SHAPE, (5, 8), (35, 38), (35, 38))  # 27 voxels: not scored
    ref = lesion_a | lesion_b | small
    hit = box(SHAPE, (5, 11), (5, 11), (6, 12))  # lesion a shifted one voxel along x
    false_positive = box(SHAPE, (35, 39), (5, 9), (5, 9))
    on_small = box(SHAPE, (5, 8), (35, 38), (36, 39))  # matched to the small lesion: not a false positive
    pred = hit | false_positive | on_small
    et = lesionwise_metrics(pred.astype(np.uint8) * 3, ref.astype(np.uint8) * 3, (1, 1, 1), regions=("ET",))
    result = et["ET"]

    hit_hd = compute_hausdorff_distance(monai_tensor(hit), monai_tensor(lesion_a), include_background=True,
                                        percentile=95).item()
    assert result["lesion_dice"] == pytest.approx((5 / 6 + 0 + 0) / 3)
    assert result["lesion_hd95"] == pytest.approx((hit_hd + 2 * LESIONWISE_MAX_HD95) / 3, abs=1e-3)
    assert (result["n_ref_lesions"], result["n_pred_lesions"]) == (2, 3)
    assert (result["n_false_positive"], result["n_false_negative"]) == (1, 1)


def test_lesionwise_merges_lesions_whose_dilations_touch():
    near = box(SHAPE, (10, 16), (10, 16), (10, 16)) | box(SHAPE, (10, 16), (10, 16), (18, 24))  # 2-voxel gap
    far = box(SHAPE, (10, 16), (10, 16), (10, 16)) | box(SHAPE, (10, 16), (10, 16), (30, 36))  # 14-voxel gap
    for ref, n_lesions in ((near, 1), (far, 2)):
        result = lesionwise_metrics(ref.astype(np.uint8), ref.astype(np.uint8), (1, 1, 1), regions=("WT",))["WT"]
        assert result["n_ref_lesions"] == n_lesions
        assert (result["lesion_dice"], result["lesion_hd95"]) == (1.0, 0.0)


def test_lesionwise_threshold_is_a_volume_in_mm3():
    ref = box(SHAPE, (10, 14), (10, 14), (10, 14)).astype(np.uint8)  # 64 voxels
    assert lesionwise_metrics(ref, ref, (1, 1, 1), ("WT",))["WT"]["n_ref_lesions"] == 1
    assert lesionwise_metrics(ref, ref, (0.5, 0.5, 1), ("WT",))["WT"]["n_ref_lesions"] == 0  # 16 mm^3


def test_lesionwise_empty_cases():
    empty = np.zeros(SHAPE, dtype=np.uint8)
    both = lesionwise_metrics(empty, empty, (1, 1, 1))
    assert all((r["lesion_dice"], r["lesion_hd95"]) == (1.0, 0.0) for r in both.values())
    pred = box(SHAPE, (10, 14), (10, 14), (10, 14)).astype(np.uint8) * 3
    only_pred = lesionwise_metrics(pred, empty, (1, 1, 1))["ET"]
    assert (only_pred["lesion_dice"], only_pred["lesion_hd95"], only_pred["n_false_positive"]) == (0.0, 374.0, 1)
    json.dumps(only_pred)


# ---- synthesis ----

def brain_and_images(seed=0, shape=(40, 40, 40)):
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.indices(shape)
    brain = (zz - 20) ** 2 + (yy - 20) ** 2 + (xx - 20) ** 2 < 16 ** 2
    ref = np.where(brain, 500 + 300 * ndimage.gaussian_filter(rng.random(shape), 2) + rng.normal(0, 20, shape), 0)
    pred = np.where(brain, ref + rng.normal(0, 40, shape), 0)
    return brain, ref, pred


def normalise_independently(image, ref, mask):
    low, high = np.percentile(ref[mask], [0.5, 99.5])
    return (np.clip(image, low, high) - low) / (high - low)


def test_synthesis_matches_skimage_on_normalised_images():
    brain, ref, pred = brain_and_images()
    ref_n, pred_n = normalise_independently(ref, ref, brain), normalise_independently(pred, ref, brain)
    _, ssim_map = structural_similarity(ref_n, pred_n, data_range=1.0, full=True)
    result = synthesis_metrics(pred, ref)  # default mask: the non-zero reference
    assert result["ssim"] == pytest.approx(ssim_map[brain].mean(), abs=1e-9)
    assert result["psnr"] == pytest.approx(peak_signal_noise_ratio(ref_n[brain], pred_n[brain], data_range=1.0))
    assert result["mse"] == pytest.approx(mean_squared_error(ref_n[brain], pred_n[brain]))
    assert result["mae"] == pytest.approx(np.abs(ref_n[brain] - pred_n[brain]).mean())


def test_ssim_over_interior_equals_skimage_mean_ssim():
    # skimage's scalar SSIM averages the map without a 3-voxel border: the same as our mean over that interior.
    _, ref, pred = brain_and_images(1)
    interior = np.zeros(ref.shape, dtype=bool)
    interior[3:-3, 3:-3, 3:-3] = True
    ref_n, pred_n = normalise_independently(ref, ref, interior), normalise_independently(pred, ref, interior)
    expected = structural_similarity(ref_n, pred_n, data_range=1.0)
    assert synthesis_metrics(pred, ref, mask=interior)["ssim"] == pytest.approx(expected, abs=1e-9)


def test_synthesis_identical_images_and_hand_computed_errors():
    brain, ref, _ = brain_and_images()
    same = synthesis_metrics(ref, ref)
    assert (same["mse"], same["mae"], same["psnr"]) == (0.0, 0.0, math.inf)
    assert same["ssim"] == pytest.approx(1.0)
    # No normalisation when a data range is given: a constant error of 0.1 gives MAE 0.1, MSE 0.01, PSNR 20 dB.
    ref = np.where(brain, 0.5, 0.0)
    result = synthesis_metrics(ref + 0.1 * brain, ref, data_range=1.0)
    assert result["mae"] == pytest.approx(0.1)
    assert result["mse"] == pytest.approx(0.01)
    assert result["psnr"] == pytest.approx(20.0)


def test_synthesis_is_invariant_to_a_common_linear_intensity_change():
    brain, ref, pred = brain_and_images(2)
    before = synthesis_metrics(pred, ref, mask=brain)
    after = synthesis_metrics(3 * pred + 100, 3 * ref + 100, mask=brain)
    for key in before:
        assert after[key] == pytest.approx(before[key], rel=1e-9)


def test_synthesis_by_region_shares_the_brain_normalisation():
    brain, ref, pred = brain_and_images(3)
    tumour = np.zeros_like(brain)
    tumour[15:25, 15:25, 15:25] = True
    result = synthesis_metrics_by_region(pred, ref, brain, tumour)
    ref_n, pred_n = normalise_independently(ref, ref, brain), normalise_independently(pred, ref, brain)
    assert result["tumour"]["mae"] == pytest.approx(np.abs(ref_n[tumour] - pred_n[tumour]).mean())
    assert result["brain"] == pytest.approx(synthesis_metrics(pred, ref, mask=brain))
    assert set(synthesis_metrics_by_region(pred, ref, brain, np.zeros_like(brain))) == {"brain"}


def test_synthesis_rejects_bad_input():
    brain, ref, pred = brain_and_images()
    with pytest.raises(GliomaAIError, match="empty"):
        synthesis_metrics(pred, ref, mask=np.zeros_like(brain))
    with pytest.raises(GliomaAIError, match="shape"):
        synthesis_metrics(pred[:-1], ref)


# ---- classification ----

def brute_force_auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_auc_matches_pairwise_count_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.random(200) * 0.6 + 0.3 * y, 1)  # coarse rounding makes many ties
    assert auc(y, s) == pytest.approx(brute_force_auc(y, s))


def test_classification_hand_computed():
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    result = classification_metrics(y, s)
    assert result == pytest.approx({"accuracy": 0.75, "sensitivity": 0.5, "specificity": 1.0,
                                    "precision": 1.0, "f1": 2 / 3, "auc": 0.75})
    assert classification_metrics([0, 1], [0.5, 0.5])["auc"] == 0.5
    assert classification_metrics([True, False], [0.9, 0.2], threshold=0.95)["sensitivity"] == 0.0


def test_classification_undefined_cases_and_errors():
    one_class = classification_metrics([1, 1, 1], [0.2, 0.6, 0.9])
    assert math.isnan(one_class["auc"]) and math.isnan(one_class["specificity"])
    assert one_class["sensitivity"] == pytest.approx(2 / 3)
    with pytest.raises(GliomaAIError, match="binary"):
        classification_metrics([0, 2], [0.1, 0.2])
    with pytest.raises(GliomaAIError, match="one score per case"):
        classification_metrics([0, 1], [0.1])
