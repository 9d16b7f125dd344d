"""GliomaAIExplain: a saliency map over the case in the slice views, rendered without OpenGL."""

import numpy as np
import pytest

from gliomaai.errors import GliomaAIError
from GliomaAIExplainLib import checks, heat, overlay, slices
from GliomaAILib import samples, volumes


def test_heat_table(scene):
    checks.check_heat_table(scene)


@pytest.mark.parametrize("grid", list(samples.GRIDS))
def test_overlay_shows_heat_where_the_map_is_high(scene, slice_logic, grid):
    checks.check_overlay(scene, slice_logic, grid)


@pytest.mark.parametrize("opacity", [0.0, 0.3, 1.0])
def test_overlay_opacity(scene, slice_logic, opacity):
    shown = checks.check_overlay(scene, slice_logic, "anisotropic", opacity=opacity)
    assert shown.shape[-1] == 4


def test_display_settings(scene, slice_logic):
    background_image, map_image = checks.sample_map("identity")
    background = volumes.add_volume_node(scene, background_image, "bg")
    saliency = volumes.add_volume_node(scene, map_image, "map")
    display = overlay.show_overlay(scene, background, saliency, 0.4, 0.5)  # every slice view of the scene
    assert (display.GetLowerThreshold(), display.GetUpperThreshold()) == pytest.approx((0.4, 1.0))
    assert display.GetApplyThreshold() and not display.GetAutoWindowLevel()
    assert (display.GetWindowLevelMin(), display.GetWindowLevelMax()) == pytest.approx((0.4, 1.0))
    composite = slice_logic.GetSliceCompositeNode()
    assert (composite.GetBackgroundVolumeID(), composite.GetForegroundVolumeID()) == (background.GetID(), saliency.GetID())
    assert composite.GetForegroundOpacity() == pytest.approx(0.5)
    overlay.hide_overlay(scene)
    assert composite.GetForegroundVolumeID() is None


def test_threshold_above_the_map_shows_only_the_background(scene, slice_logic):
    background_image, map_image = checks.sample_map("identity")
    background = volumes.add_volume_node(scene, background_image, "bg")
    saliency = volumes.add_volume_node(scene, map_image, "map")
    slice_logic.GetSliceCompositeNode().SetBackgroundVolumeID(background.GetID())
    slice_logic.FitSliceToBackground()
    plain = slices.blended_slice(slice_logic)
    overlay.show_overlay(scene, background, saliency, 5.0, 1.0, slice_logics=[slice_logic])
    assert np.array_equal(slices.blended_slice(slice_logic), plain)


def test_bad_inputs_say_what_to_do(scene, slice_logic):
    background_image, map_image = checks.sample_map("identity")
    background = volumes.add_volume_node(scene, background_image, "bg")
    saliency = volumes.add_volume_node(scene, map_image, "map")
    with pytest.raises(GliomaAIError, match="between 0 and 1"):
        overlay.show_overlay(scene, background, saliency, 0.5, 1.5)
    with pytest.raises(GliomaAIError, match="finite"):
        overlay.show_overlay(scene, background, saliency, float("nan"), 0.5)
    with pytest.raises(GliomaAIError, match="background"):
        overlay.show_overlay(scene, None, saliency, 0.5, 0.5)


def test_heat_ramp_is_monotonic():
    colours = np.array([heat.heat_color(t) for t in np.linspace(0, 1, 50)])
    assert np.all(np.diff(colours[:, 0]) >= 0) and np.all(np.diff(colours[:, 1]) >= 0)
    assert np.all(colours[:, 2] == 0)
