"""Checks of GliomaAIExplain's logic, shared by pytest and the Slicer self-test (see GliomaAILib.checks)."""

import numpy as np
import SimpleITK as sitk
import vtk

from GliomaAILib import samples
from GliomaAILib.volumes import add_volume_node

from .heat import HEAT_COLORS, heat_color, heat_color_node
from .overlay import show_overlay
from .slices import blended_slice, slice_pixels_in_volume


def check_heat_table(scene):
    """One heat table per scene, dark red to yellow, opaque."""
    node = heat_color_node(scene)
    assert heat_color_node(scene) is node, "a second heat table was made"
    assert node.GetNumberOfColors() == HEAT_COLORS
    rgba = [0.0] * 4
    node.GetColor(0, rgba)
    assert np.allclose(rgba, (0.5, 0.0, 0.0, 1.0), atol=1 / 255), f"first colour {rgba}"
    node.GetColor(HEAT_COLORS - 1, rgba)
    assert np.allclose(rgba, (1.0, 1.0, 0.0, 1.0), atol=1 / 255), f"last colour {rgba}"
    return node


def sample_map(grid: str) -> tuple:
    """(background image, saliency map) on `grid`: a gradient, and 1.0 in a box over 0.2 elsewhere."""
    size = samples.SIZE
    z, y, x = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in reversed(size)], indexing="ij")
    background = samples.image_on_grid((300 + 20 * x + 10 * y + 5 * z).astype(np.int16), grid)
    saliency = np.full(x.shape, 0.2, dtype=np.float32)
    saliency[:, size[1] // 4: 3 * size[1] // 4, size[0] // 4: 3 * size[0] // 4] = 1.0
    return background, samples.image_on_grid(saliency, grid)


def check_overlay(scene, slice_logic, grid: str = "oblique", threshold: float = 0.5, opacity: float = 0.6):
    """Render a slice through the middle of a map: heat blended where the map is high, plain background elsewhere."""
    background_image, map_image = sample_map(grid)
    background = add_volume_node(scene, background_image, f"overlay background {grid}")
    saliency = add_volume_node(scene, map_image, f"saliency {grid}")
    slice_node = slice_logic.GetSliceNode()
    slice_node.SetOrientation("Axial")
    composite = slice_logic.GetSliceCompositeNode()
    composite.SetBackgroundVolumeID(background.GetID())
    composite.SetForegroundVolumeID(None)
    slice_logic.FitSliceToBackground()
    ijk_to_ras = vtk.vtkMatrix4x4()
    background.GetIJKToRASMatrix(ijk_to_ras)
    centre = ijk_to_ras.MultiplyPoint([n // 2 for n in background.GetImageData().GetDimensions()] + [1])
    slice_logic.SetSliceOffset(centre[2])  # through a voxel centre, not between two slices
    plain = blended_slice(slice_logic)

    show_overlay(scene, background, saliency, threshold, opacity, slice_logics=[slice_logic], interpolate=False)
    assert composite.GetForegroundVolumeID() == saliency.GetID()
    assert saliency.GetDisplayNode().GetColorNodeID() == heat_color_node(scene).GetID()
    shown = blended_slice(slice_logic)
    assert shown.shape == plain.shape, f"slice size changed: {shown.shape} != {plain.shape}"

    # Which voxel of the map each pixel shows; pixels near a voxel border are left out.
    ijk = slice_pixels_in_volume(slice_logic, saliency)
    nearest = np.rint(ijk).astype(int)
    dims = np.array(saliency.GetImageData().GetDimensions())
    inside = np.all((nearest >= 0) & (nearest < dims), axis=-1)
    clear = np.all(np.abs(np.abs(ijk - nearest) - 0.5) > 0.05, axis=-1)
    values = np.full(inside.shape, np.nan)
    array = sitk.GetArrayViewFromImage(map_image)
    i, j, k = (nearest[..., n][inside] for n in range(3))
    values[inside] = array[k, j, i]
    high = inside & clear & (values >= threshold)
    low = inside & clear & (values < threshold)
    assert high.sum() > 20 and low.sum() > 20, f"the slice misses the map ({high.sum()} high, {low.sum()} low pixels)"

    assert np.array_equal(shown[low], plain[low]), \
        f"{int(np.any(shown[low] != plain[low], axis=-1).sum())} pixels under the threshold are not plain background"
    top = np.array(heat_color(1.0)) * 255
    expected = (1 - opacity) * plain[high][:, :3].astype(float) + opacity * top
    error = np.abs(shown[high][:, :3].astype(float) - expected).max()
    assert error <= 2.0, f"high-map pixels are off the heat blend by {error:.1f} grey levels"
    if opacity > 0:
        assert np.all(shown[high][:, 0] > shown[high][:, 2]), "high-map pixels are not heat-coloured"
    else:
        assert np.array_equal(shown, plain), "an invisible overlay changed the slice"
    return shown


def run_all(scene, slice_logic, log=print) -> None:
    """Every check above on every sample grid: what the Slicer self-test runs."""
    check_heat_table(scene)
    for grid in samples.GRIDS:
        log(f"GliomaAIExplain overlay check on the '{grid}' grid")
        check_overlay(scene, slice_logic, grid)
