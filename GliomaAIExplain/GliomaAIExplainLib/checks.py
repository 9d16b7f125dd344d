"""Checks of GliomaAIExplain's logic, shared by pytest and the Slicer self-test (see GliomaAILib.checks)."""

import numpy as np
import SimpleITK as sitk
import vtk
from slicer.util import arrayFromVolume

from gliomaai.explain.catalogue import DEFAULT_METHOD
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
    """A sample map on `grid`: heat blended where the map is high, plain background elsewhere."""
    background_image, map_image = sample_map(grid)
    background = add_volume_node(scene, background_image, f"overlay background {grid}")
    saliency = add_volume_node(scene, map_image, f"saliency {grid}")
    return check_overlay_pixels(scene, slice_logic, background, saliency, threshold, opacity)


def _through_voxel(slice_logic, volume, ijk) -> None:
    """Put the axial slice through the centre of voxel `ijk` of `volume` (not between two slices)."""
    ijk_to_ras = vtk.vtkMatrix4x4()
    volume.GetIJKToRASMatrix(ijk_to_ras)
    slice_logic.SetSliceOffset(ijk_to_ras.MultiplyPoint(list(ijk) + [1])[2])


def check_overlay_pixels(scene, slice_logic, background, saliency, threshold: float, opacity: float, show=None,
                         window=None):
    """Render the axial slice through the map's strongest voxel: every pixel whose map voxel is at or
    over `threshold` is the heat colour blended with `opacity`, every other pixel plain background.
    The heat colours span `window` (default: the threshold to the map's maximum).

    `show(scene, background, saliency, threshold, opacity, slice_logics)` puts the overlay up
    (default: show_overlay without interpolation, so each pixel shows one voxel)."""
    array = np.asarray(arrayFromVolume(saliency))
    slice_node = slice_logic.GetSliceNode()
    slice_node.SetOrientation("Axial")
    composite = slice_logic.GetSliceCompositeNode()
    composite.SetBackgroundVolumeID(background.GetID())
    composite.SetForegroundVolumeID(None)
    slice_logic.FitSliceToBackground()
    k = int(np.argmax(array.sum(axis=(1, 2))))  # the slice that holds most of the map
    j, i = np.unravel_index(int(np.argmax(array[k])), array[k].shape)
    _through_voxel(slice_logic, saliency, (i, j, k))
    plain = blended_slice(slice_logic)

    show = show or (lambda *args, **kwargs: show_overlay(*args, interpolate=False, **kwargs))
    show(scene, background, saliency, threshold, opacity, slice_logics=[slice_logic])
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
    i, j, k = (nearest[..., n][inside] for n in range(3))
    values[inside] = array[k, j, i]
    high = inside & clear & (values >= threshold)
    low = inside & clear & (values < threshold)
    assert high.sum() > 20 and low.sum() > 20, f"the slice misses the map ({high.sum()} high, {low.sum()} low pixels)"

    assert np.array_equal(shown[low], plain[low]), \
        f"{int(np.any(shown[low] != plain[low], axis=-1).sum())} pixels under the threshold are not plain background"
    low_end, high_end = window if window is not None else (threshold, float(array.max()))
    level = np.clip((values[high] - low_end) / max(high_end - low_end, 1e-6), 0, 1)
    colours = np.array([heat_color(t) for t in level]) * 255
    expected = (1 - opacity) * plain[high][:, :3].astype(float) + opacity * colours
    error = np.abs(shown[high][:, :3].astype(float) - expected).max()
    assert error <= 3.0, f"high-map pixels are off the heat blend by {error:.1f} grey levels"
    if opacity > 0:
        assert np.all(shown[high][:, 0] >= shown[high][:, 2]), "high-map pixels are not heat-coloured"
    else:
        assert np.array_equal(shown, plain), "an invisible overlay changed the slice"
    return shown


def check_explanation(scene, slice_logic, volumes_by_sequence: dict, engine, methods=(DEFAULT_METHOD, "saliency")):
    """Explaining into the scene: one map node per method on the inputs' grid, named and marked as a
    saliency map, trust and importance tables, the bar chart; inputs untouched; the map renders
    over the case where it is high and nowhere else; a second run adds nodes beside the first."""
    from GliomaAILib.volumes import node_geometry
    from GliomaAILib.tables import table_rows

    from .explanation_nodes import SALIENCY_ATTRIBUTE, TRUST_ATTRIBUTE, TRUST_REFERENCE, run_explanation, show_saliency

    before = {s: np.array(arrayFromVolume(n), copy=True) for s, n in volumes_by_sequence.items()}
    made = run_explanation(scene, volumes_by_sequence, methods, "WT", trust=True, engine=engine)
    reference = next(iter(volumes_by_sequence.values()))
    assert sorted(made.maps) == sorted(methods), sorted(made.maps)
    for method, node in made.maps.items():
        assert node.GetName().endswith(f"saliency {method} WT"), node.GetName()
        assert f'"method": "{method}"' in node.GetAttribute(SALIENCY_ATTRIBUTE)
        assert "verdict" in node.GetAttribute(TRUST_ATTRIBUTE) and "does not show tumour" in node.GetDescription()
        assert node_geometry(node) == node_geometry(reference), f"{node.GetName()} is not on the inputs' grid"
        values = np.asarray(arrayFromVolume(node))
        assert values.min() >= 0 and values.max() <= 1 and values.max() > 0.5, f"{method}: {values.max()}"
    rows = table_rows(made.trust)
    assert len(rows) == len(methods) and all(len(r) == 7 for r in rows.values()), rows
    assert list(table_rows(made.importance)) == list(volumes_by_sequence)
    assert made.chart.GetNumberOfPlotSeriesNodes() == 3
    assert all(n.GetNodeReference(TRUST_REFERENCE) is made.trust for n in made.maps.values())
    for sequence, node in volumes_by_sequence.items():
        assert np.array_equal(arrayFromVolume(node), before[sequence]), f"the input {sequence} was changed"

    for node in made.maps.values():  # show_saliency's colours span [threshold, 1], whatever the map's maximum
        check_overlay_pixels(scene, slice_logic, reference, node, 0.3, 0.6, window=(0.3, 1.0),
                             show=lambda *args, **kwargs: show_saliency(*args, interpolate=False, **kwargs))
    shown = made.maps[methods[0]]
    again = run_explanation(scene, volumes_by_sequence, methods[:1], "WT", trust=False, engine=engine)
    assert again.maps[methods[0]] is not shown and scene.IsNodePresent(shown), "an earlier map was replaced"
    return made


def check_explanation_refusals(scene, volumes_by_sequence: dict, engine):
    """An empty drawn region, one outside the brain and a cancelled run: clear errors, nothing added."""
    from gliomaai.errors import GliomaAIError
    from gliomaai.inference.engine import Cancelled
    from GliomaAILib.volumes import node_to_image

    from .explanation_nodes import BackgroundExplanation, prepare_explanation

    reference = node_to_image(next(iter(volumes_by_sequence.values())))
    empty = sitk.Image(reference.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(reference)
    corner = sitk.Image(empty)
    corner[0, 0, 0] = 1
    for roi, expected in ((empty, "empty"), (corner, "outside the brain")):
        try:
            prepare_explanation(volumes_by_sequence, ("saliency",), "WT", roi=roi, engine=engine)
        except GliomaAIError as error:
            assert expected in error.problem, error.problem
        else:
            raise AssertionError(f"a region of interest that is {expected} was accepted")
    nodes_before = scene.GetNumberOfNodes()
    job = BackgroundExplanation(prepare_explanation(volumes_by_sequence, ("smoothgrad",), "WT", engine=engine))
    job.cancel()
    job.start().job.wait(120)
    try:
        job.finish(scene)
    except Cancelled:
        pass
    else:
        raise AssertionError("a cancelled explanation finished")
    assert scene.GetNumberOfNodes() == nodes_before, "a cancelled explanation added nodes"


def check_volume_rendering(volume_rendering_logic, map_node, threshold: float = 0.3):
    """The map in 3D: transparent under the threshold, opaque and yellow at 1."""
    from .explanation_nodes import hide_in_3d, show_in_3d

    display = show_in_3d(volume_rendering_logic, map_node, threshold)
    assert display.GetVisibility()
    volume_property = display.GetVolumePropertyNode().GetVolumeProperty()
    opacity = volume_property.GetScalarOpacity()
    assert opacity.GetValue(threshold / 2) == 0 and opacity.GetValue(1.0) > 0.5
    assert np.allclose(volume_property.GetRGBTransferFunction().GetColor(1.0), heat_color(1.0), atol=1e-3)
    hide_in_3d(map_node)
    assert not display.GetVisibility()
    return display


def run_all(scene, slice_logic, log=print) -> None:
    """Every check above: the overlay on every sample grid, then (where PyTorch is installed) the
    built-in segmenter explained on a small phantom case."""
    check_heat_table(scene)
    for grid in samples.GRIDS:
        log(f"GliomaAIExplain overlay check on the '{grid}' grid")
        check_overlay(scene, slice_logic, grid)
    try:
        import torch  # noqa: F401 - the explanation checks run a model
    except ImportError:
        log("Saliency checks skipped: PyTorch is not installed (GliomaAI installs it at first use).")
        return
    from gliomaai.inference.engine import InferenceEngine
    from GliomaAILib.case_nodes import case_to_nodes

    log("GliomaAIExplain saliency checks on a phantom case")
    nodes = case_to_nodes(scene, small_phantom())
    engine = InferenceEngine("cpu")
    check_explanation(scene, slice_logic, nodes.volumes, engine)
    check_explanation_refusals(scene, nodes.volumes, engine)


def small_phantom():
    """A phantom case small enough to explain in seconds, with every region the model finds."""
    from gliomaai.phantom import make_phantom

    return make_phantom((40, 56, 56), spacing=(2.5, 2.5, 2.5))
