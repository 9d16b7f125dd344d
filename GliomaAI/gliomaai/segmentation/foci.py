"""The whole tumour's separate parts. A surgeon checks each one: a second focus changes the plan, and
the model's false islands, kept rather than risk dropping a real focus, are among them."""

import numpy as np
import SimpleITK as sitk
from scipy import ndimage

from ..labels import region_masks
from ..summary import voxel_volume_ml
from .postprocess import connected_parts
from .preprocess import brain_box


def tumour_foci(labels: np.ndarray, reference: sitk.Image) -> list[dict]:
    """Each 26-connected part of the whole tumour in canonical `labels`, largest first: its volume, the
    core and enhancing tumour in it (mL), its centre in RAS millimetres (the positions Slicer shows), and
    its distance from the largest part (mm between their nearest voxels; 0 for the largest): a satellite
    beside the main tumour and a focus across the brain are planned differently."""
    if not labels.any():
        return []
    z0, z1, y0, y1, x0, x1 = brain_box(labels > 0, margin=0)  # the tumour's box: its parts are the same there
    masks = region_masks(labels[z0:z1, y0:y1, x0:x1])
    parts, count = connected_parts(masks["WT"])
    index = np.arange(1, count + 1)
    voxel_ml = voxel_volume_ml(reference)
    sizes = {r: ndimage.sum_labels(masks[r], parts, index) * voxel_ml for r in ("WT", "TC", "ET")}
    largest = int(np.argmax(sizes["WT"])) + 1  # the first of the largest, as the list puts it first
    from_largest = ndimage.distance_transform_edt(parts != largest, sampling=reference.GetSpacing()[::-1])
    distances = ndimage.minimum(from_largest, parts, index)
    centres = ndimage.center_of_mass(masks["WT"], parts, index)
    foci = []
    for i in np.argsort(-sizes["WT"], kind="stable"):  # largest first; equal ones in the order of their labels
        at = np.add(centres[i], (z0, y0, x0))[::-1]  # (x, y, z) on the whole grid
        x, y, z = reference.TransformContinuousIndexToPhysicalPoint([float(c) for c in at])
        foci.append({"volume_ml": round(float(sizes["WT"][i]), 3), "core_ml": round(float(sizes["TC"][i]), 3),
                     "enhancing_ml": round(float(sizes["ET"][i]), 3),
                     "centre_ras_mm": [round(-x, 1), round(-y, 1), round(z, 1)],  # ITK's LPS to RAS
                     "distance_mm": round(float(distances[i]), 1)})
    return foci


def foci_note(foci: list[dict]) -> str:
    """What a user should know of the parts: nothing for one, a check for several."""
    if len(foci) < 2:
        return ""
    shown = ", ".join(f"{focus['volume_ml']:.1f}" for focus in foci[:5]) + (", ..." if len(foci) > 5 else "")
    return (f"The whole tumour is in {len(foci)} separate parts ({shown} mL): check each; a false one goes in a "
            "click (Segment Editor, Islands).")
