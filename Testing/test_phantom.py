import numpy as np

from gliomaai.labels import ET, NETC, SNFH
from gliomaai.phantom import make_phantom
from gliomaai.sequences import SEQUENCES


def test_the_phantom_is_deterministic_and_any_size():
    a, b = make_phantom((20, 28, 24), seed=1), make_phantom((20, 28, 24), seed=1)
    assert all(np.array_equal(a.array(s), b.array(s)) for s in SEQUENCES)
    assert a.array("t1c").shape == (20, 28, 24) and a.label_array().shape == (20, 28, 24)
    # Same field of view at every size: the tumour takes the same share of the brain.
    small, large = make_phantom((31, 48, 48)), make_phantom((62, 96, 96))
    share = [np.count_nonzero(c.label_array()) / np.count_nonzero(c.brain_mask_array()) for c in (small, large)]
    assert abs(share[0] - share[1]) < 0.2 * share[1]


def test_every_class_is_present_and_has_the_contrast_of_a_glioma():
    case = make_phantom((48, 64, 64))
    labels = case.label_array()
    assert {NETC, SNFH, ET} <= set(np.unique(labels))
    mean = {s: {c: case.array(s)[labels == c].mean() for c in (NETC, SNFH, ET)} for s in SEQUENCES}
    white_matter = {s: np.median(case.array(s)[(labels == 0) & case.brain_mask_array()]) for s in SEQUENCES}
    assert mean["t1c"][ET] > 1.3 * mean["t1n"][ET]  # enhancement after contrast
    assert mean["t2f"][SNFH] > 1.5 * white_matter["t2f"]  # edema bright on FLAIR
    assert mean["t1c"][NETC] < 0.5 * mean["t1c"][ET]  # dark necrotic core


def test_the_phantom_is_marked_synthetic():
    case = make_phantom((16, 16, 16))
    assert case.synthetic == set(SEQUENCES)
    assert "synthetic" in case.name
    assert all("SYNTHETIC" in image.GetMetaData("ITK_FileNotes") for image in case.images.values())
