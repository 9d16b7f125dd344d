"""SimpleITK images <-> volume nodes, with exact geometry.

ITK (and so SimpleITK and the NIfTI/NRRD readers of the core library) states geometry in LPS,
Slicer in RAS: the first two axes change sign, in the origin and in the rows of the direction
matrix. Spacing, origin and directions are set on the node separately (never as one IJK-to-RAS
matrix, whose decomposition back into spacing and directions would round), and negation is
exact, so an image goes into the scene and comes back bit for bit.
"""

import numpy as np
import SimpleITK as sitk
import vtk
from slicer.util import arrayFromVolume, updateVolumeFromArray

from gliomaai.errors import GliomaAIError

_LPS_RAS = (-1.0, -1.0, 1.0)  # diagonal of the LPS <-> RAS change of axes (its own inverse)


def set_node_geometry(node, image: sitk.Image) -> None:
    """Give the volume node the spacing, origin and axes of the SimpleITK image."""
    if image.GetDimension() != 3:
        raise GliomaAIError(f"Only 3D images go into the scene (this one is {image.GetDimension()}D).",
                            "Give a 3D volume.")
    node.SetSpacing(*image.GetSpacing())
    node.SetOrigin(*(sign * value for sign, value in zip(_LPS_RAS, image.GetOrigin())))
    direction = image.GetDirection()
    matrix = vtk.vtkMatrix4x4()
    for row in range(3):
        for column in range(3):
            matrix.SetElement(row, column, _LPS_RAS[row] * direction[3 * row + column])
    node.SetIJKToRASDirectionMatrix(matrix)


def node_geometry(node) -> tuple:
    """(spacing, origin, direction) of the volume node in SimpleITK's (LPS) terms."""
    matrix = vtk.vtkMatrix4x4()
    node.GetIJKToRASDirectionMatrix(matrix)
    direction = tuple(_LPS_RAS[row] * matrix.GetElement(row, column) for row in range(3) for column in range(3))
    origin = tuple(sign * value for sign, value in zip(_LPS_RAS, node.GetOrigin()))
    return tuple(node.GetSpacing()), origin, direction


def add_volume_node(scene, image: sitk.Image, name: str, labelmap: bool = False, node=None):
    """A scalar (or labelmap) volume node holding `image`, voxels and geometry unchanged.

    With `node`, that node is filled instead of a new one (its name is left as it is).
    """
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise GliomaAIError(f"{name}: {image.GetNumberOfComponentsPerPixel()} components per voxel.",
                            "Only single-channel volumes go into the scene.")
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode" if labelmap else "vtkMRMLScalarVolumeNode", name)
    updateVolumeFromArray(node, sitk.GetArrayViewFromImage(image))
    set_node_geometry(node, image)
    if node.GetDisplayNode() is None:
        node.CreateDefaultDisplayNodes()
    return node


def node_to_image(node) -> sitk.Image:
    """A SimpleITK image (a copy) of the volume node's voxels, on its grid."""
    if node is None or node.GetImageData() is None:
        name = node.GetName() if node is not None else "volume"
        raise GliomaAIError(f"{name}: the node holds no image data.", "Load or compute the volume first.")
    image = sitk.GetImageFromArray(np.array(arrayFromVolume(node), copy=True))
    spacing, origin, direction = node_geometry(node)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection(direction)
    return image


def same_grid(node_a, node_b, tolerance_mm: float = 1e-3) -> bool:
    """Whether two volume nodes share one voxel grid (size, spacing, origin, axes)."""
    if node_a.GetImageData() is None or node_b.GetImageData() is None:
        return False
    if tuple(node_a.GetImageData().GetDimensions()) != tuple(node_b.GetImageData().GetDimensions()):
        return False
    a, b = node_geometry(node_a), node_geometry(node_b)
    return (np.allclose(a[0], b[0], atol=1e-4) and np.allclose(a[1], b[1], atol=tolerance_mm)
            and np.allclose(a[2], b[2], atol=1e-4))
