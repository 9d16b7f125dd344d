"""Grids of images: are they the same, and if not, rigid registration and resampling onto one."""

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk


@dataclass(frozen=True)
class Grid:
    size: tuple
    spacing: tuple
    origin: tuple
    direction: tuple

    @classmethod
    def of(cls, image: sitk.Image) -> "Grid":
        return cls(image.GetSize(), image.GetSpacing(), image.GetOrigin(), image.GetDirection())

    def matches(self, other: "Grid", tolerance_mm: float = 1e-3) -> bool:
        # -0.0 and 0.0, or float noise from a header round trip, are the same grid.
        return (self.size == other.size
                and np.allclose(self.spacing, other.spacing, atol=1e-4)
                and np.allclose(self.origin, other.origin, atol=tolerance_mm)
                and np.allclose(self.direction, other.direction, atol=1e-4))

    def describe(self) -> str:
        size = "x".join(str(s) for s in self.size)
        spacing = "x".join(f"{s:.3g}" for s in self.spacing)
        return f"{size} voxels, {spacing} mm"


def grids_match(images: dict) -> bool:
    grids = [Grid.of(image) for image in images.values()]
    return all(g.matches(grids[0]) for g in grids[1:])


def resample_onto(image: sitk.Image, reference: sitk.Image, transform: sitk.Transform | None = None,
                  is_label: bool = False) -> sitk.Image:
    """`image` on the grid of `reference`; `transform` maps reference points into `image`."""
    interpolator = sitk.sitkNearestNeighbor if is_label else sitk.sitkLinear
    output_type = image.GetPixelID() if is_label else sitk.sitkFloat32
    return sitk.Resample(image, reference, transform or sitk.Transform(), interpolator, 0.0, output_type)


def register_images(fixed: sitk.Image, moving: sitk.Image, iterations: int = 200, affine: bool = False,
                    fixed_mask: sitk.Image | None = None) -> sitk.Transform:
    """Rigid (6 degrees of freedom) transform mapping fixed points to moving points; with `affine`,
    12 (scaling and shear too: another patient's scan, or a template space).

    Mattes mutual information, since sequences differ in contrast, over `fixed_mask` when given;
    geometric-centre initialisation (headers of one session already roughly agree); three
    resolution levels.
    """
    fixed = sitk.Cast(fixed, sitk.sitkFloat32)
    moving = sitk.Cast(moving, sitk.sitkFloat32)
    kind = sitk.AffineTransform(3) if affine else sitk.Euler3DTransform()
    initial = sitk.CenteredTransformInitializer(fixed, moving, kind, sitk.CenteredTransformInitializerFilter.GEOMETRY)
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    if fixed_mask is not None:
        method.SetMetricFixedMask(fixed_mask)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(0.1, seed=7)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsRegularStepGradientDescent(learningRate=1.0, minStep=1e-4,
                                                    numberOfIterations=iterations,
                                                    gradientMagnitudeTolerance=1e-8)
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel([4, 2, 1])
    method.SetSmoothingSigmasPerLevel([2, 1, 0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    method.SetInitialTransform(initial, inPlace=False)
    return method.Execute(fixed, moving)


def isotropic_grid(reference: sitk.Image, spacing_mm: float = 1.0) -> sitk.Image:
    """An empty image covering `reference`'s extent with isotropic voxels (same origin and axes)."""
    new_size = [max(2, int(round(n * s / spacing_mm))) for n, s in zip(reference.GetSize(), reference.GetSpacing())]
    grid = sitk.Image(new_size, sitk.sitkUInt8)
    grid.SetSpacing([spacing_mm] * 3)
    grid.SetOrigin(reference.GetOrigin())
    grid.SetDirection(reference.GetDirection())
    return grid


def align_onto(images: dict, reference_name: str, target_grid: sitk.Image | None = None,
               register: bool = True, progress=None) -> tuple[dict, list[str]]:
    """Register every image rigidly to `images[reference_name]` and resample all onto one grid.

    Returns the resampled images and a list of sentences saying what was done.
    """
    reference = images[reference_name]
    target = target_grid if target_grid is not None else reference
    report = [f"Reference: {reference_name} ({Grid.of(reference).describe()}); "
              f"output grid {Grid.of(target).describe()}."]
    aligned = {}
    for index, (name, image) in enumerate(images.items()):
        if name == reference_name or not register:
            transform = sitk.Transform()
            if name != reference_name:
                report.append(f"{name}: resampled by its header geometry only (no registration).")
        else:
            transform = register_images(reference, image)
            if transform.GetName() == "CompositeTransform":
                transform = sitk.CompositeTransform(transform).GetNthTransform(0)
            rigid = sitk.Euler3DTransform(transform)
            angles = np.degrees([rigid.GetAngleX(), rigid.GetAngleY(), rigid.GetAngleZ()])
            shift = rigid.GetTranslation()
            report.append(f"{name}: rigidly registered to {reference_name} (rotation "
                          f"{', '.join(f'{a:.1f}' for a in angles)} deg, translation "
                          f"{', '.join(f'{t:.1f}' for t in shift)} mm) and resampled (linear).")
        aligned[name] = resample_onto(image, target, transform)
        if progress:
            progress(index + 1, len(images))
    return aligned, report
