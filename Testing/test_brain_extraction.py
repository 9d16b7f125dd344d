"""A scan that is not skull-stripped: its brain is found before any model reads it."""

import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai.brain_extraction import MAX_BRAIN_ML, OPENING_RADIUS_MM, without_fat, without_thin_parts
from gliomaai.case import Case, load_case
from gliomaai.errors import GliomaAIError
from gliomaai.phantom import make_phantom

from helpers import SHARED_DATA, ball, image

NATIVE = SHARED_DATA / "tcga-fg-6692" / "native"
needs_real_cases = pytest.mark.skipif(not NATIVE.exists(), reason="real cases not present (../shared/data)")


@pytest.fixture(scope="module")
def phantom():
    return make_phantom((40, 48, 48))


def with_noisy_background(array, brain, seed=0):
    """The phantom as a raw scanner gives it: noise, not zero, around the brain."""
    noise = np.abs(np.random.default_rng(seed).normal(0, 0.02 * array[brain].mean(), array.shape))
    return np.where(brain, array, noise).astype(np.float32)


def test_a_skull_stripped_scan_keeps_the_brain_it_shows(phantom):
    brain = phantom.brain_mask_array()
    case = Case("stripped", {s: image(np.where(brain, phantom.array(s), 0), phantom.reference.GetSpacing())
                             for s in phantom.present})
    assert np.array_equal(case.brain_mask_array(), brain) and case.brain_note == ""


@pytest.mark.parametrize("sequences, synthetic", [(("t2f",), set()), (("t1n", "t2f"), {"t1n"})])
def test_a_head_scan_without_an_acquired_t1_asks_for_a_brain_mask(phantom, sequences, synthetic):
    brain = phantom.brain_mask_array()
    spacing = phantom.reference.GetSpacing()
    case = Case("head", {s: image(with_noisy_background(phantom.array(s), brain), spacing) for s in sequences},
                synthetic=synthetic)
    assert case.images["t2f"].GetNumberOfPixels() * np.prod(spacing) / 1000 > MAX_BRAIN_ML  # a head's field of view
    with pytest.raises(GliomaAIError) as error:
        case.brain_mask_array()
    assert "not skull-stripped" in str(error.value) and "brain mask" in error.value.hint


def test_a_given_brain_mask_is_used_as_it_is_even_for_a_head(phantom):
    brain = phantom.brain_mask_array()
    case = Case("head", {"t2f": image(with_noisy_background(phantom.array("t2f"), brain), phantom.reference.GetSpacing())},
                brain_mask=phantom.brain_mask)
    assert np.array_equal(case.brain_mask_array(), brain) and case.brain_note == ""


def test_a_head_s_brain_is_found_once_for_the_case_and_its_copies_with_synthetic_sequences(phantom, monkeypatch):
    """Imputing then segmenting a head scan reads its brain from the acquired images once (deepbet takes seconds)."""
    import gliomaai.case
    from gliomaai.imputation.imputer import keep_only

    brain, calls = phantom.brain_mask_array(), []

    def found_on_the_t1(images, synthetic):  # the extraction itself is tested on a real head below
        calls.append(sorted(images))
        return brain.copy(), "brain extracted"

    monkeypatch.setattr(gliomaai.case, "brain_of_head", found_on_the_t1)
    spacing = phantom.reference.GetSpacing()
    case = Case("head", {s: image(with_noisy_background(phantom.array(s), brain, seed=i), spacing)
                         for i, s in enumerate(("t1n", "t2w", "t2f"))})
    sources = keep_only(case, case.present)  # what the imputer reads
    assert np.array_equal(sources.brain_mask_array(), brain) and sources.brain_note == "brain extracted"
    with_synthetic = case.with_images({"t1c": image(np.where(brain, 0.5, 0).astype(np.float32), spacing)})
    with_synthetic.synthetic.add("t1c")
    assert with_synthetic.brain_mask_array() is sources.brain_mask_array()
    assert with_synthetic.brain_note == "brain extracted" and len(calls) == 1
    # A copy whose acquired image was replaced (aligned, say) finds its brain again.
    realigned = case.with_images({"t1n": image(with_noisy_background(phantom.array("t1n"), brain, seed=9), spacing)})
    realigned.brain_mask_array()
    assert len(calls) == 2


def test_what_is_as_bright_as_fat_on_the_t1_leaves_the_brain_with_what_it_cut_off():
    shape = (30, 60, 60)
    brain = ball(shape, (15, 30, 30), 14)
    x = np.indices(shape)[2]
    fat = brain & (x >= 38) & (x <= 39)  # a layer through the brain's edge, as orbital fat lies in thick slices
    cap = brain & (x > 39)  # what lies beyond it: a fragment once the fat goes
    t1n = np.where(brain, 100.0, 0.0) + np.where(fat, 200.0, 0.0)
    kept = without_fat(brain, t1n)
    assert np.array_equal(kept, brain & ~fat & ~cap)


def test_an_orbit_joined_to_the_brain_by_a_thin_part_is_set_aside_and_the_brain_kept_whole():
    """Thick slices (5.5 mm, 0.9 mm in plane): a 60 mm brain, and an 'orbit' (a 12 mm ball) joined to it by a
    6 mm wide stalk, as deepbet's brain takes them in."""
    spacing_zyx = (5.5, 0.9, 0.9)
    z, y, x = (axis * step for axis, step in zip(np.indices((24, 200, 200)), spacing_zyx))
    brain = (z - 66) ** 2 + (y - 90) ** 2 + (x - 90) ** 2 <= 60 ** 2
    orbit = (z - 66) ** 2 + (y - 90) ** 2 + (x - 165) ** 2 <= 12 ** 2
    stalk = ((z - 66) ** 2 + (y - 90) ** 2 <= 3 ** 2) & (x > 140) & (x < 160)
    kept = without_thin_parts(brain | orbit | stalk, spacing_zyx)
    assert not (kept & orbit).any() and not (kept & stalk & (x > 152)).any()  # voxels cut the stalk within 2 mm
    assert (kept & brain).sum() > 0.999 * brain.sum()  # the ball reaches all of it but its poles' last voxels
    lone = ball((10, 20, 20), (5, 10, 10), 3)  # nothing as thick as the ball: kept, not emptied
    assert 2 * 3 < 2 * OPENING_RADIUS_MM and np.array_equal(without_thin_parts(lone, (1, 1, 1)), lone)


@needs_real_cases
def test_the_brain_of_a_raw_head_scan_is_found_on_its_t1():
    case = load_case(NATIVE, align=True)
    brain = case.brain_mask_array()
    voxel_ml = np.prod(case.reference.GetSpacing()) / 1000
    # The same patient's brain mask made by the BraTS pipeline (another grid, same anatomy).
    reference = sitk.GetArrayFromImage(sitk.ReadImage(str(SHARED_DATA / "tcga-fg-6692" / "brainmask.nii.gz"))) > 0
    assert abs(brain.sum() * voxel_ml - reference.sum() / 1000) < 0.15 * reference.sum() / 1000
    head = case.array("t1n") > 0.1 * np.percentile(case.array("t1n"), 99)
    assert (brain & head).sum() > 0.95 * brain.sum()  # in the head, not beside it: orientation kept
    assert "deepbet" in case.brain_note and "t1n" in case.brain_note


@needs_real_cases
def test_a_raw_head_scan_segments_the_tumour_not_the_scalp():
    from gliomaai.labels import region_masks
    from gliomaai.segmentation.segmenter import segment_case

    case = load_case(NATIVE, align=True)
    result = segment_case(case)
    # Five BraTS algorithms' segmentations of the same patient (registered to SRI24: volumes compare).
    silver = [sitk.GetArrayFromImage(sitk.ReadImage(str(path))) > 0
              for path in sorted((SHARED_DATA / "tcga-fg-6692").glob("seg-*-model.nii.gz"))]
    consensus_ml = (np.mean(silver, axis=0) > 0.5).sum() / 1000
    wt_ml = region_masks(result.labels_array())["WT"].sum() * np.prod(case.reference.GetSpacing()) / 1000
    # Unstripped, the scalp and orbits made it 600 mL; with the orbits in the brain, 50 mL.
    assert 0.7 * consensus_ml < wt_ml < 1.4 * consensus_ml
    assert case.brain_note in result.notes


@needs_real_cases
def test_a_brain_found_larger_than_any_brain_is_refused_not_segmented():
    """A T1c alone in 6.5 mm slices (TCGA-02-0003): the brain found takes in scalp."""
    case = load_case(SHARED_DATA / "pyradiomics-brain1")
    with pytest.raises(GliomaAIError) as error:
        case.brain_mask_array()
    assert "larger than any brain" in str(error.value) and "brain mask" in error.value.hint
