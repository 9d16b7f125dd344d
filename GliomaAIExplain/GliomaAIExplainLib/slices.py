"""What a slice view shows, as numpy: the blended RGBA image and where its pixels lie in a volume.

vtkMRMLSliceLogic computes the blended slice (background, foreground, label layers) without
OpenGL, so this works in desktop Slicer, behind a web page and in tests alike.
"""

import numpy as np
import vtk
from vtk.util.numpy_support import vtk_to_numpy


def blended_slice(slice_logic) -> np.ndarray:
    """The slice view's blended image, (rows, columns, 4) uint8 RGBA, row 0 at the bottom (VTK's order)."""
    connection = slice_logic.GetImageDataConnection()
    producer = connection.GetProducer()
    producer.Update()
    image = producer.GetOutputDataObject(connection.GetIndex())
    columns, rows, _ = image.GetDimensions()
    pixels = vtk_to_numpy(image.GetPointData().GetScalars())
    return np.array(pixels, copy=True).reshape(rows, columns, -1)


def slice_pixels_in_volume(slice_logic, volume_node) -> np.ndarray:
    """Continuous IJK coordinates (rows, columns, 3) of every pixel centre of the slice view in `volume_node`."""
    slice_node = slice_logic.GetSliceNode()
    columns, rows, _ = slice_node.GetDimensions()
    xy_to_ras = vtk.vtkMatrix4x4()
    xy_to_ras.DeepCopy(slice_node.GetXYToRAS())
    ras_to_ijk = vtk.vtkMatrix4x4()
    volume_node.GetRASToIJKMatrix(ras_to_ijk)
    xy_to_ijk = vtk.vtkMatrix4x4()
    vtk.vtkMatrix4x4.Multiply4x4(ras_to_ijk, xy_to_ras, xy_to_ijk)
    matrix = np.array([[xy_to_ijk.GetElement(r, c) for c in range(4)] for r in range(4)])
    y, x = np.mgrid[0:rows, 0:columns]
    xy = np.stack([x.ravel(), y.ravel(), np.zeros(x.size), np.ones(x.size)])
    return (matrix @ xy)[:3].T.reshape(rows, columns, 3)
