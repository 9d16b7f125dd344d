"""The raw TCGA study (not skull-stripped, 5.5 mm slices, sequences on different grids) segmented as a
user would load it, scored against the five BraTS algorithms' consensus of the same patient.

The algorithms segmented the study after the BraTS pipeline (SRI24, 1 mm, skull-stripped), so our
labels are carried there by an affine registration of the T1c (Mattes mutual information inside
that pipeline's brain mask). Three figures per region: our labels as they are, our labels inside the
pipeline's brain mask (what the brain extraction let through outside it set aside), and the model
on the pipeline's own images (a training case: optimistic; the ceiling for this patient).

`--openings` scores the brain found with other opening radii (mm; 0: deepbet's brain as it is),
against the pipeline's brain mask too.

    python scripts/score_raw_study.py [--data ../shared/data] [--openings 0 4 6 8 10 12]
"""

import argparse
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from gliomaai.brain_extraction import OPENING_RADIUS_MM, brain_of_head
from gliomaai.case import load_case
from gliomaai.geometry import register_images
from gliomaai.labels import region_masks, to_canonical
from gliomaai.metrics import dice
from gliomaai.segmentation.segmenter import segment_case

REGIONS = ("WT", "TC", "ET")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--openings", type=float, nargs="+", default=[OPENING_RADIUS_MM])
    arguments = parser.parse_args()
    folder = arguments.data / "tcga-fg-6692"

    raw = load_case(folder / "native", align=True)
    pipeline = load_case({"t1n": folder / "t1.nii.gz", "t1c": folder / "t1c.nii.gz", "t2w": folder / "t2.nii.gz",
                          "t2f": folder / "flair.nii.gz"}, brain_mask=folder / "brainmask.nii.gz")
    transform = register_images(pipeline.images["t1c"], raw.images["t1c"], iterations=300, affine=True,
                                fixed_mask=pipeline.brain_mask)

    def on_pipeline_grid(image: sitk.Image) -> np.ndarray:
        return sitk.GetArrayFromImage(sitk.Resample(image, pipeline.reference, transform, sitk.sitkNearestNeighbor, 0))

    on_pipeline = region_masks(segment_case(pipeline).labels_array())
    brain = pipeline.brain_mask_array()
    raters = [region_masks(to_canonical(sitk.GetArrayFromImage(sitk.ReadImage(str(path))), "brats2021", str(path)))
              for path in sorted(folder.glob("seg-*-model.nii.gz"))]
    consensus = {region: np.mean([r[region] for r in raters], axis=0) > 0.5 for region in REGIONS}
    print("\n".join(raw.notes))
    for opening_mm in arguments.openings:
        mask, _ = brain_of_head(raw.images, opening_mm=opening_mm)
        raw.brain_mask = sitk.GetImageFromArray(mask.astype(np.uint8))
        raw.brain_mask.CopyInformation(raw.reference)
        result = segment_case(raw)
        ours = region_masks(on_pipeline_grid(result.labels))
        found = on_pipeline_grid(raw.brain_mask) > 0
        print(f"\nOpening {opening_mm:g} mm: brain {mask.sum() * np.prod(raw.reference.GetSpacing()) / 1000:.0f} mL, "
              f"Dice with the pipeline's brain mask {dice(found, brain):.3f} ({(found & ~brain).sum() / 1000:.0f} mL "
              f"outside it, {(brain & ~found).sum() / 1000:.0f} mL of it left out)")
        print("\n".join(result.notes))
        print("region | consensus mL | ours mL (outside the pipeline's brain) | Dice: ours | ours inside the brain | "
              "on the pipeline's images | each algorithm against the consensus")
        for region in REGIONS:
            each = ", ".join(f"{dice(r[region], consensus[region]):.2f}" for r in raters)
            print(f"{region} | {consensus[region].sum() / 1000:.1f} | {ours[region].sum() / 1000:.1f} "
                  f"({(ours[region] & ~brain).sum() / 1000:.1f}) | {dice(ours[region], consensus[region]):.3f} | "
                  f"{dice(ours[region] & brain, consensus[region]):.3f} | {dice(on_pipeline[region], consensus[region]):.3f}"
                  f" | {each}")


if __name__ == "__main__":
    main()
