import numpy as np
import pytest
import SimpleITK as sitk

from gliomaai.geometry import Grid, align_onto, isotropic_grid, register_images, resample_onto
from gliomaai.phantom import make_phantom

from helpers import SHARED_DATA


def moved(image: sitk.Image, angles_deg, shift_mm) -> tuple[sitk.Image, sitk.Euler3DTransform]:
    """`image` resampled through a known rigid transform about its centre."""
    transform = sitk.Euler3DTransform()
    centre = image.TransformContinuousIndexToPhysicalPoint([(n - 1) / 2 for n in image.GetSize()])
    transform.SetCenter(centre)
    transform.SetRotation(*np.radians(angles_deg))
    transform.SetTranslation(shift_mm)
    return sitk.Resample(image, image, transform, sitk.sitkLinear, 0.0, sitk.sitkFloat32), transform


def worst_point_error_mm(found: sitk.Transform, truth: sitk.Transform, image: sitk.Image) -> float:
    """Largest distance between where the two transforms send points of a box around the brain."""
    size = np.array(image.GetSize())
    corners = [image.TransformContinuousIndexToPhysicalPoint((size * f).tolist())
               for f in np.array(np.meshgrid([0.25, 0.75], [0.25, 0.75], [0.25, 0.75])).reshape(3, -1).T]
    # Registration gives fixed -> moving; the image was moved by resampling through `truth`,
    # so a fixed point p shows up at truth^-1(p) in the moved image.
    inverse = truth.GetInverse()
    return max(np.linalg.norm(np.subtract(found.TransformPoint(p), inverse.TransformPoint(p))) for p in corners)


def test_grid_matching_ignores_header_noise_but_not_real_differences():
    image = sitk.Image([10, 10, 10], sitk.sitkUInt8)
    noisy = sitk.Image(image)
    noisy.SetOrigin((-0.0, 1e-6, 0.0))
    assert Grid.of(image).matches(Grid.of(noisy))
    shifted = sitk.Image(image)
    shifted.SetOrigin((0.5, 0.0, 0.0))
    assert not Grid.of(image).matches(Grid.of(shifted))


def test_rigid_registration_recovers_a_known_motion_between_contrasts():
    case = make_phantom((48, 64, 64), seed=3)
    moving, truth = moved(case.images["t2f"], angles_deg=(4, -3, 6), shift_mm=(6.0, -4.0, 5.0))
    found = register_images(case.images["t1c"], moving)
    assert worst_point_error_mm(found, truth, case.images["t1c"]) < 2.0  # voxels are 3.75 mm here


def test_align_onto_puts_every_image_on_the_reference_grid_and_reports_it():
    case = make_phantom((24, 32, 32))
    other = sitk.Resample(case.images["t2w"], isotropic_grid(case.images["t2w"], 10.0), sitk.Transform(),
                          sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    aligned, report = align_onto({"t1c": case.images["t1c"], "t2w": other}, "t1c", register=False)
    assert all(Grid.of(image).matches(case.grid) for image in aligned.values())
    assert "header geometry only" in report[-1]


def test_labels_resample_with_nearest_neighbour():
    labels = make_phantom((24, 32, 32)).labels
    fine = resample_onto(labels, isotropic_grid(labels, 2.0), is_label=True)
    assert set(np.unique(sitk.GetArrayFromImage(fine))) <= {0, 1, 2, 3}


@pytest.mark.skipif(not (SHARED_DATA / "brats18-cbica-abm-1").exists(), reason="real cases not present (../shared/data)")
def test_registration_recovers_a_known_motion_on_a_real_scan():
    t1c = sitk.ReadImage(str(SHARED_DATA / "brats18-cbica-abm-1" / "t1c.nii.gz"), sitk.sitkFloat32)
    t2w = sitk.ReadImage(str(SHARED_DATA / "brats18-cbica-abm-1" / "t2w.nii.gz"), sitk.sitkFloat32)
    moving, truth = moved(t2w, angles_deg=(3, 5, -4), shift_mm=(7.0, 3.0, -5.0))
    found = register_images(t1c, moving)
    assert worst_point_error_mm(found, truth, t1c) < 1.5
