import numpy as np
import pytest

from gliomaai import labels
from gliomaai.errors import GliomaAIError

CANONICAL = np.array([0, 1, 2, 3, 3, 2, 0])


@pytest.mark.parametrize("name, written", [
    ("brats2023", [0, 1, 2, 3, 3, 2, 0]),
    ("brats2021", [0, 1, 2, 4, 4, 2, 0]),
    ("brats2015", [0, 1, 2, 4, 4, 2, 0]),
    ("aurora", [0, 1, 2, 1, 1, 2, 0]),
    ("binary", [0, 1, 1, 1, 1, 1, 0]),
])
def test_writing_each_convention(name, written):
    assert labels.from_canonical(CANONICAL, name).tolist() == written


@pytest.mark.parametrize("name", ["brats2023", "brats2021", "brats2015"])
def test_round_trip_is_exact_where_the_convention_expresses_every_class(name):
    assert np.array_equal(labels.to_canonical(labels.from_canonical(CANONICAL, name), name), CANONICAL)


def test_brats2015_non_enhancing_is_tumour_core():
    canonical = labels.to_canonical(np.array([1, 2, 3, 4]), "brats2015")
    assert canonical.tolist() == [labels.NETC, labels.SNFH, labels.NETC, labels.ET]


def test_regions_are_nested_as_brats_defines_them():
    masks = labels.region_masks(labels.to_canonical(np.array([0, 1, 2, 4]), "brats2021"))
    assert masks["WT"].tolist() == [False, True, True, True]
    assert masks["TC"].tolist() == [False, True, False, True]
    assert masks["ET"].tolist() == [False, False, False, True]


def test_aurora_and_binary_cannot_express_every_region():
    assert labels.shared_regions("brats2021", "aurora") == ("WT", "TC")
    assert labels.shared_regions("binary", "brats2023") == ("WT",)


def test_labels_outside_the_convention_name_the_file_and_the_fitting_convention():
    with pytest.raises(GliomaAIError) as error:
        labels.to_canonical(np.array([0, 1, 2, 4]), "brats2023", "pred.nii.gz")
    assert "pred.nii.gz" in str(error.value) and "[4]" in str(error.value)
    assert "brats2021" in error.value.hint


def test_float_labels_are_accepted_when_integral_and_refused_otherwise():
    assert labels.to_canonical(np.array([0.0, 1.0, 4.0]), "brats2021").tolist() == [0, 1, 3]
    with pytest.raises(GliomaAIError, match="non-integer"):
        labels.to_canonical(np.array([0.0, 0.5]), "brats2021")
    with pytest.raises(GliomaAIError, match="NaN"):
        labels.to_canonical(np.array([0.0, np.nan]), "brats2021")


def test_unknown_convention_lists_the_known_ones():
    with pytest.raises(GliomaAIError, match="brats2021"):
        labels.get_convention("brats2019")
