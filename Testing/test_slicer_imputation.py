"""GliomaAI imputation in the scene, with real MRML nodes (slicer-core) and a small random imputer.

The checks are GliomaAILib.checks, the ones the Slicer self-test runs; here they also run on a
phantom put into the scene with case_to_nodes, with the panel's quality figures and slots.
"""

import numpy as np
import pytest

from gliomaai.errors import GliomaAIError
from gliomaai.models.untrained import write_untrained_imputer
from gliomaai.phantom import make_phantom
from GliomaAILib import checks, samples
from GliomaAILib.case_nodes import case_to_nodes
from GliomaAILib.imputation_nodes import run_imputation, sequence_slots


@pytest.fixture(scope="module")
def imputer(tmp_path_factory):
    return write_untrained_imputer(tmp_path_factory.mktemp("imputer"))


@pytest.fixture
def phantom_nodes(scene):
    case = make_phantom((24, 40, 40), seed=3)
    case.synthetic = set()  # stands in for a real scan here
    return case_to_nodes(scene, case)


@pytest.mark.parametrize("grid", sorted(samples.GRIDS))
def test_imputation_on_every_sample_grid(scene, grid, imputer, engine):
    nodes = case_to_nodes(scene, samples.sample_case(grid, synthetic=()))
    checks.check_imputation(scene, nodes.volumes, imputer, engine, missing=("t1c", "t2w"))


def test_cancel_adds_nothing(scene, phantom_nodes, imputer, engine):
    checks.check_imputation_cancel(scene, phantom_nodes.volumes, imputer, engine)


def test_slots_say_what_is_present_synthetic_and_missing(scene, phantom_nodes, imputer, engine):
    inputs = {s: n for s, n in phantom_nodes.volumes.items() if s != "t2f"}
    assert sequence_slots(inputs) == {"t1n": "present", "t1c": "present", "t2w": "present", "t2f": "missing"}
    made = run_imputation(scene, inputs, model=imputer, engine=engine)
    assert sequence_slots({**inputs, **made.volumes})["t2f"] == "synthetic"
    assert made.quality == {}  # no real FLAIR to compare with
    assert any("not for reading" in note for note in made.notes)


def test_a_present_sequence_imputed_as_a_check_gets_quality_figures(scene, phantom_nodes, imputer, engine):
    made = run_imputation(scene, phantom_nodes.volumes, sequences=["t1c"], model=imputer, engine=engine)
    quality = made.quality["t1c"]
    assert set(quality) == {"psnr", "ssim", "mae", "mse"}
    assert np.isfinite(quality["psnr"]) and -1 <= quality["ssim"] <= 1 and quality["mae"] > 0
    assert phantom_nodes.volumes["t1c"].GetAttribute("GliomaAI.Synthetic") is None  # the real one stays real


def test_no_volume_chosen_is_an_error_that_says_what_to_do(scene, imputer, engine):
    with pytest.raises(GliomaAIError, match="Choose at least one"):
        run_imputation(scene, {"t1c": None}, model=imputer, engine=engine)
