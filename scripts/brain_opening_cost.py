"""What setting aside the brain's thin parts (gliomaai.brain_extraction.without_thin_parts) would cut from
real brains and their tumours: the 16 BraTS 2018 cases' brain masks (skull-stripped by the BraTS
pipeline, so without orbits) stand in for deepbet's, on their 1 mm grid and resampled to 5.5 mm slices
as a raw clinical study has them. Prints, per case and opening radius, the mL of brain and of the
expert's whole tumour that the opening leaves out.

    python scripts/brain_opening_cost.py [--data ../shared/data] [--openings 4 8 12]
"""

import argparse
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from gliomaai.brain_extraction import OPENING_RADIUS_MM, without_thin_parts
from gliomaai.case import load_case
from gliomaai.labels import region_masks

THICK_SLICES_MM = 5.5


def with_thick_slices(mask: np.ndarray, reference: sitk.Image) -> np.ndarray:
    """The mask on the same field of view with 5.5 mm slices (nearest neighbour)."""
    image = sitk.GetImageFromArray(mask.astype(np.uint8))
    image.CopyInformation(reference)
    spacing = list(reference.GetSpacing())
    size = list(reference.GetSize())
    size[2] = int(size[2] * spacing[2] / THICK_SLICES_MM)
    spacing[2] = THICK_SLICES_MM
    thick = sitk.Resample(image, size, sitk.Transform(), sitk.sitkNearestNeighbor, reference.GetOrigin(), spacing,
                          reference.GetDirection())
    return sitk.GetArrayFromImage(thick) > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--openings", type=float, nargs="+", default=[4.0, OPENING_RADIUS_MM, 12.0])
    arguments = parser.parse_args()
    print("case | slices | brain mL | whole tumour mL | " +
          " | ".join(f"{r:g} mm: brain, tumour cut (mL)" for r in arguments.openings))
    cut = {(slices, r): [] for slices in ("1 mm", "5.5 mm") for r in arguments.openings}
    for folder in sorted(arguments.data.glob("brats18-*")):
        case = load_case(folder)
        spacing = np.array(case.reference.GetSpacing())
        grids = {"1 mm": (case.brain_mask_array(), region_masks(case.label_array())["WT"], spacing),
                 "5.5 mm": (with_thick_slices(case.brain_mask_array(), case.reference),
                            with_thick_slices(region_masks(case.label_array())["WT"], case.reference),
                            np.array([spacing[0], spacing[1], THICK_SLICES_MM]))}
        for slices, (brain, tumour, grid_spacing) in grids.items():
            voxel_ml = np.prod(grid_spacing) / 1000
            row = []
            for r in arguments.openings:
                kept = without_thin_parts(brain, grid_spacing[::-1], r)
                brain_cut, tumour_cut = (brain & ~kept).sum() * voxel_ml, (tumour & ~kept).sum() * voxel_ml
                cut[slices, r].append(tumour_cut)
                row.append(f"{brain_cut:.0f}, {tumour_cut:.2f}")
            print(f"{folder.name} | {slices} | {brain.sum() * voxel_ml:.0f} | {tumour.sum() * voxel_ml:.0f} | "
                  + " | ".join(row), flush=True)
    for (slices, r), values in cut.items():
        print(f"{slices} slices, {r:g} mm: tumour cut median {np.median(values):.2f} mL, most {max(values):.2f} mL, "
              f"in {sum(v > 0 for v in values)} of {len(values)} cases")


if __name__ == "__main__":
    main()
