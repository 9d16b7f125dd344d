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


def _ijk_to_ras(node) -> np.ndarray:
    matrix = vtk.vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    return np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])


def voxel_correspondence(from_node, to_node, tolerance_voxels: float = 1e-3):
    """How the voxels of `from_node` lie on `to_node`'s grid, if both grids hold the same voxel centres.

    Returns, for each axis (i, j, k) of `to_node`, the axis of `from_node` it runs along and
    whether it runs backwards; None if the grids differ. Slicer's reader reverses the slice
    order of left-handed (mirrored) frames, so a file written and read back can hold the same
    voxels in another order: this finds that order, with no interpolation.
    """
    dims_from = from_node.GetImageData().GetDimensions()
    dims_to = to_node.GetImageData().GetDimensions()
    transform = np.linalg.inv(_ijk_to_ras(to_node)) @ _ijk_to_ras(from_node)  # IJK(from) -> IJK(to)
    rotation, shift = transform[:3, :3], transform[:3, 3]
    signed_permutation = np.rint(rotation)
    if (not np.allclose(rotation, signed_permutation, atol=1e-4)
            or not np.array_equal(np.abs(signed_permutation).sum(axis=0), [1, 1, 1])
            or not np.array_equal(np.abs(signed_permutation).sum(axis=1), [1, 1, 1])):
        return None
    mapping = []
    for to_axis in range(3):
        from_axis = int(np.argmax(np.abs(signed_permutation[to_axis])))
        backwards = signed_permutation[to_axis, from_axis] < 0
        expected_shift = dims_from[from_axis] - 1 if backwards else 0
        if dims_to[to_axis] != dims_from[from_axis] or abs(shift[to_axis] - expected_shift) > tolerance_voxels:
            return None
        mapping.append((from_axis, bool(backwards)))
    return tuple(mapping)


def array_on_grid_of(array: np.ndarray, from_node, to_node) -> np.ndarray:
    """`array` (z, y, x) of `from_node`'s grid, reordered onto `to_node`'s grid; an error if the grids differ."""
    mapping = voxel_correspondence(from_node, to_node)
    if mapping is None:
        raise GliomaAIError(f"{from_node.GetName()} and {to_node.GetName()} are not on one voxel grid.",
                            f"Give data made on {to_node.GetName()} (same size, spacing, origin and axes).")
    # numpy axes are (k, j, i): axis a of IJK is numpy axis 2 - a.
    reordered = np.transpose(array, [2 - mapping[2 - n][0] for n in range(3)])
    flips = [n for n in range(3) if mapping[2 - n][1]]
    return np.flip(reordered, axis=flips) if flips else reordered


def free_name(scene, name: str) -> str:
    """`name`, or "name (2)", "name (3)"... the first that no node of the scene has: nothing is replaced."""
    counter = 1
    while scene.GetFirstNodeByName(name if counter == 1 else f"{name} ({counter})") is not None:
        counter += 1
    return name if counter == 1 else f"{name} ({counter})"
