"""Small made-up cases on chosen grids, for the checks that pytest and the Slicer self-tests share.

Not scans of anybody: blobs and gradients, deterministic, made in milliseconds. The grids are
the ones that break careless geometry code: anisotropic voxels, axes flipped as in BraTS-METS
headers (-1 on x and y), an improper (mirrored) frame, and an oblique rotation.
"""

import math

import numpy as np
import SimpleITK as sitk

from gliomaai.labels import ET, NETC, SNFH
from gliomaai.sequences import SEQUENCES

SIZE = (24, 20, 16)  # x, y, z voxels


def _rotation(axis, angle: float) -> tuple:
    x, y, z = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    c, s, t = math.cos(angle), math.sin(angle), 1 - math.cos(angle)
    return (t * x * x + c, t * x * y - s * z, t * x * z + s * y,
            t * x * y + s * z, t * y * y + c, t * y * z - s * x,
            t * x * z - s * y, t * y * z + s * x, t * z * z + c)


# name -> (spacing (x, y, z) mm, origin (LPS) mm, direction (row-major, LPS))
GRIDS = {
    "identity": ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)),
    "anisotropic": ((0.9375, 0.9375, 5.5), (-119.53125, -107.2, 31.25), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)),
    "flipped-xy": ((1.0, 1.2, 2.0), (0.0, -239.0, 0.0), (-1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0)),
    "mirrored-x": ((1.1, 0.8, 3.0), (12.5, -30.0, 7.75), (-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)),
    "oblique": ((0.7, 1.3, 2.6), (-17.3, 42.1, -8.9), _rotation((0.3, -0.5, 0.8), 0.47)),
}


def image_on_grid(array: np.ndarray, grid: str) -> sitk.Image:
    spacing, origin, direction = GRIDS[grid]
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection(direction)
    return image


def sample_labels(size=SIZE, with_et: bool = True) -> np.ndarray:
    """Canonical labels (z, y, x): edema around a core of necrosis and (optionally) enhancing rim."""
    z, y, x = np.meshgrid(*[np.arange(n) for n in reversed(size)], indexing="ij")
    d = np.sqrt(((x - size[0] * 0.55) / 1.0) ** 2 + ((y - size[1] * 0.45) / 1.1) ** 2 + ((z - size[2] * 0.5) / 0.8) ** 2)
    labels = np.zeros(d.shape, dtype=np.uint8)
    labels[d < 7] = SNFH
    labels[d < 4.5] = ET if with_et else NETC
    labels[d < 2.5] = NETC
    return labels


def sample_case(grid: str = "oblique", size=SIZE, synthetic=("t2f",), with_et: bool = True,
                with_mask: bool = True, name: str | None = None):
    """A four-sequence Case on `grid`, `synthetic` sequences marked so, labels and a brain mask."""
    from gliomaai.case import Case  # on use: the case module needs scipy

    shape = tuple(reversed(size))
    z, y, x = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in shape], indexing="ij")
    labels = sample_labels(size, with_et)
    images = {}
    for index, sequence in enumerate(SEQUENCES):
        # A different gradient and tumour contrast per sequence, as int16 like raw scans.
        signal = 400 + 30 * x + 17 * y * (index + 1) - 11 * z + 150 * index + (labels > 0) * (200 - 90 * index)
        images[sequence] = image_on_grid(signal.astype(np.int16), grid)
    case = Case(name or f"sample-{grid}", images, synthetic=set(synthetic),
                notes=["Made-up sample for tests: not a scan of anybody."])
    if with_mask:
        mask = (np.abs(x - shape[2] / 2) < shape[2] * 0.45) & (np.abs(y - shape[1] / 2) < shape[1] * 0.45)
        case.brain_mask = image_on_grid(mask.astype(np.uint8), grid)
    case.set_labels(labels, "brats2023", "sample labels")
    return case

