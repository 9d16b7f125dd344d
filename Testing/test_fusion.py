import numpy as np
import pytest

from gliomaai.errors import GliomaAIError
from gliomaai.fusion import fuse
from gliomaai.labels import compose_regions
from gliomaai.labels import ET, NETC, SNFH, region_masks

from helpers import ball


def rater(shift: int, shape=(20, 24, 24)) -> np.ndarray:
    centre = (10, 12, 12 + shift)
    labels = np.zeros(shape, np.uint8)
    labels[ball(shape, centre, 8)] = SNFH
    labels[ball(shape, centre, 5)] = ET
    labels[ball(shape, centre, 3)] = NETC
    return labels


def test_vote_equals_a_region_wise_majority_counted_by_hand():
    raters = [rater(-1), rater(0), rater(2)]
    fused = fuse(raters, "vote")
    for region, mask in region_masks(fused).items():
        votes = sum(region_masks(r)[region].astype(int) for r in raters)
        assert np.array_equal(mask, votes >= 2), region


def test_a_voxel_split_between_two_sub_labels_still_counts_as_tumour():
    a, b, c = (np.array([[[value]]], np.uint8) for value in (NETC, ET, 0))
    # Two of three raters say tumour (WT) and tumour core (TC), though they disagree on which class.
    assert fuse([a, b, c], "vote").item() == NETC


def test_staple_agrees_with_the_vote_where_raters_agree_and_keeps_the_hierarchy():
    raters = [rater(0)] * 3 + [rater(1)]
    staple = fuse(raters, "staple")
    vote = fuse(raters, "vote")
    assert (staple == vote).mean() > 0.99
    masks = region_masks(staple)
    assert not (masks["ET"] & ~masks["TC"]).any() and not (masks["TC"] & ~masks["WT"]).any()


def test_staple_of_empty_segmentations_is_empty():
    empty = np.zeros((4, 4, 4), np.uint8)
    assert not fuse([empty, empty], "staple").any()


def test_compose_regions_forces_nesting():
    wt = np.array([True, True, False])
    tc = np.array([True, False, True])
    et = np.array([True, True, True])
    assert compose_regions(wt, tc, et).tolist() == [ET, SNFH, 0]


def test_bad_fusion_input():
    with pytest.raises(GliomaAIError, match="at least two"):
        fuse([rater(0)])
    with pytest.raises(GliomaAIError, match="different shapes"):
        fuse([rater(0), rater(0, shape=(20, 24, 25))])
    with pytest.raises(GliomaAIError, match="Unknown fusion method"):
        fuse([rater(0), rater(0)], "mean")
