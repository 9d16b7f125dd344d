"""A synthetic brain with a glioma: deterministic, four sequences, labels, any size.

It is the unit tests' data and the default input of `gliomaai demo`. Every image it makes is
marked synthetic: it is not a scan of anybody and must never be read clinically.
"""

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from .case import Case
from .labels import ET, NETC, SNFH
from .sequences import SEQUENCES

PHANTOM_NAME = "phantom-synthetic"

# Relative signal of each tissue per sequence, after the usual appearance of a high-grade glioma:
# enhancing rim bright on T1c only, edema bright on T2 and FLAIR, CSF dark on FLAIR.
_TISSUES = ("csf", "gm", "wm", "necrosis", "enhancing", "edema")
_CONTRAST = {
    "t1n": (0.25, 0.62, 0.85, 0.30, 0.55, 0.52),
    "t1c": (0.25, 0.64, 0.86, 0.28, 1.35, 0.55),
    "t2w": (1.00, 0.55, 0.38, 0.92, 0.62, 0.82),
    "t2f": (0.12, 0.62, 0.45, 0.55, 0.78, 1.00),
}


def _smooth_noise(shape, rng, sigma):
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    return field / (np.abs(field).max() + 1e-9)


def make_phantom(shape=(155, 240, 240), spacing=None, seed: int = 0, noise: float = 0.03) -> Case:
    """A four-sequence phantom case of `shape` (z, y, x) voxels.

    `spacing` (x, y, z mm) defaults to what makes the field of view 240 x 240 x 155 mm, so any
    size shows the same anatomy. The tumour sits in the right hemisphere: necrotic core,
    enhancing rim, edema with an irregular border.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 8:
        raise ValueError("The phantom needs three dimensions of at least 8 voxels each.")
    if spacing is None:
        spacing = (240.0 / shape[2], 240.0 / shape[1], 155.0 / shape[0])
    rng = np.random.default_rng(seed)
    z, y, x = np.meshgrid(*[(np.arange(n) + 0.5) * s for n, s in zip(shape, spacing[::-1])], indexing="ij")
    centre = np.array([77.5, 120.0, 120.0])  # mm, (z, y, x)
    dz, dy, dx = z - centre[0], y - centre[1], x - centre[2]

    wobble = 1 + 0.04 * _smooth_noise(shape, rng, sigma=max(1.0, shape[1] / 24))
    brain_r = np.sqrt((dx / 68) ** 2 + (dy / 86) ** 2 + (dz / 62) ** 2) / wobble
    brain = brain_r < 1
    grey = brain & (brain_r > 0.86)
    ventricles = (np.sqrt(((np.abs(dx) - 9) / 7) ** 2 + (dy / 26) ** 2 + ((dz - 6) / 14) ** 2) < 1) & brain

    tumour_centre = np.array([88.0, 105.0, 155.0])
    tumour_d = np.sqrt(((z - tumour_centre[0]) / 0.9) ** 2 + (y - tumour_centre[1]) ** 2 + (x - tumour_centre[2]) ** 2)
    irregular = 1 + 0.18 * _smooth_noise(shape, rng, sigma=max(1.0, shape[1] / 40))
    tumour_d = tumour_d / irregular
    labels = np.zeros(shape, dtype=np.uint8)
    labels[(tumour_d < 30) & brain] = SNFH
    labels[(tumour_d < 16) & brain] = ET
    labels[(tumour_d < 10) & brain] = NETC

    tissue = np.full(shape, -1, dtype=np.int8)
    tissue[brain] = _TISSUES.index("wm")
    tissue[grey] = _TISSUES.index("gm")
    tissue[ventricles] = _TISSUES.index("csf")
    tissue[labels == SNFH] = _TISSUES.index("edema")
    tissue[labels == ET] = _TISSUES.index("enhancing")
    tissue[labels == NETC] = _TISSUES.index("necrosis")

    bias = 1 + 0.08 * _smooth_noise(shape, rng, sigma=max(1.0, shape[1] / 6))
    images = {}
    for sequence in SEQUENCES:
        signal = np.zeros(shape, dtype=np.float64)
        for index, value in enumerate(_CONTRAST[sequence]):
            signal[tissue == index] = value
        signal = ndimage.gaussian_filter(signal, 0.6) * bias
        signal += noise * rng.standard_normal(shape)
        signal[~brain] = 0  # skull-stripped, as BraTS data are
        # Raw scanner-like integers, so normalisation is exercised as on real data.
        image = sitk.GetImageFromArray(np.clip(signal * 1000, 0, None).astype(np.int16))
        image.SetSpacing(tuple(float(s) for s in spacing))
        image.SetOrigin((0.0, -(shape[1] - 1) * spacing[1], 0.0))  # BraTS-like header
        images[sequence] = image
        images[sequence].SetMetaData("ITK_FileNotes", "SYNTHETIC PHANTOM - not a patient scan")

    case = Case(PHANTOM_NAME, images, synthetic=set(SEQUENCES), sources={s: "phantom" for s in SEQUENCES},
                notes=["Synthetic phantom: not a patient scan, never to be read clinically."])
    mask = sitk.GetImageFromArray(brain.astype(np.uint8))
    mask.CopyInformation(images["t1n"])
    case.brain_mask = mask
    case.set_labels(labels, "brats2023", "phantom labels")
    return case
