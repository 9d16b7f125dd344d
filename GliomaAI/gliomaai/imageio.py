"""Reading and writing images (NIfTI, NRRD, MHA, DICOM series) with SimpleITK, and their checks."""

from pathlib import Path

import nibabel
import numpy as np
import SimpleITK as sitk

from .errors import GliomaAIError

IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")


def is_image_file(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(IMAGE_SUFFIXES)


def is_dicom_series_folder(path: Path) -> bool:
    if not path.is_dir():
        return False
    # GDCM warns on every folder without DICOM files; the answer is all we need.
    previous = sitk.ProcessObject.GetGlobalWarningDisplay()
    sitk.ProcessObject.SetGlobalWarningDisplay(False)
    try:
        return bool(sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(path)))
    finally:
        sitk.ProcessObject.SetGlobalWarningDisplay(previous)


def read_image(path, check_values: bool = True) -> sitk.Image:
    """Read one 3D image from a file or a DICOM series folder, with errors that say what to do."""
    path = Path(path)
    if not path.exists():
        raise GliomaAIError(f"{path}: no such file or folder.", "Check the path.")
    try:
        if path.is_dir():
            series = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(path))
            if not series:
                raise GliomaAIError(f"{path}: the folder holds no DICOM series.",
                                    "Give an image file (NIfTI, NRRD, MHA) or a folder of DICOM slices.")
            if len(series) > 1:
                raise GliomaAIError(f"{path}: the folder holds {len(series)} DICOM series.",
                                    "Put each series in a folder of its own.")
            reader = sitk.ImageSeriesReader()
            reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(path), series[0]))
            image = reader.Execute()
        else:
            if path.name.lower().endswith((".nii", ".nii.gz")):
                _check_nifti_data(path)
            image = sitk.ReadImage(str(path))
    except GliomaAIError:
        raise
    except RuntimeError as error:
        first_line = str(error).strip().splitlines()[-1] if str(error).strip() else "unreadable"
        raise GliomaAIError(f"{path}: cannot be read as an image ({first_line}).",
                            "The file may be corrupt or truncated; export it again from the scanner or PACS.") from None
    return check_image(image, str(path), check_values=check_values)


def _check_nifti_data(path: Path) -> None:
    """Catch what ITK's NIfTI reader hides: it pads a truncated file with zeros and reads NaN as 0."""
    try:
        data = np.asanyarray(nibabel.load(str(path)).dataobj)
    except Exception as error:  # nibabel raises many kinds on damaged files
        raise GliomaAIError(f"{path}: cannot be read as an image ({type(error).__name__}: {error}).",
                            "The file may be corrupt or truncated; export it again from the scanner or PACS.") from None
    if np.issubdtype(data.dtype, np.floating):
        bad = int(np.count_nonzero(~np.isfinite(data)))
        if bad:
            raise GliomaAIError(f"{path}: {bad} voxels are NaN or infinite.",
                                "Repair or re-export the image (for example replace NaN by 0 in the background).")


def check_image(image: sitk.Image, source: str, check_values: bool = True) -> sitk.Image:
    """A 3D scalar image with finite voxels; anything else is an error naming `source`."""
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise GliomaAIError(f"{source}: has {image.GetNumberOfComponentsPerPixel()} components per voxel.",
                            "Give a single-channel (grey-level) volume.")
    size = image.GetSize()
    if image.GetDimension() == 4 and size[3] == 1:
        image = image[:, :, :, 0]
        size = image.GetSize()
    if image.GetDimension() != 3 or min(size) < 2:
        raise GliomaAIError(f"{source}: is not a 3D volume (size {'x'.join(map(str, size))}).",
                            "Give the whole series as one 3D volume, not a single slice.")
    if check_values:
        array = sitk.GetArrayViewFromImage(image)
        if np.issubdtype(array.dtype, np.floating):
            bad = int(np.count_nonzero(~np.isfinite(array)))
            if bad:
                raise GliomaAIError(f"{source}: {bad} voxels are NaN or infinite.",
                                    "Repair or re-export the image (for example replace NaN by 0 in the background).")
        if array.size and array.min() == array.max():
            raise GliomaAIError(f"{source}: every voxel has the value {array.flat[0]} (empty image).",
                                "Check that the right file was given.")
    return image


def write_image(image: sitk.Image, path, description: str | None = None) -> Path:
    """Write an image (format from the suffix); `description` goes into the header where it has room."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if description:
        image = sitk.Image(image)
        # ITK writes ITK_FileNotes into NIfTI's descrip (80 characters) and as a NRRD/MHA field;
        # a plain "descrip" key is dropped by its NIfTI writer.
        image.SetMetaData("ITK_FileNotes", description[:79])
        image.SetMetaData("Description", description)
    sitk.WriteImage(image, str(path), useCompression=True)
    return path


def image_from_array(array: np.ndarray, reference: sitk.Image) -> sitk.Image:
    """A SimpleITK image of `array` (z, y, x) on the grid of `reference`."""
    image = sitk.GetImageFromArray(array)
    image.CopyInformation(reference)
    return image


SYNTHETIC_MARK = "SYNTHETIC"


def is_marked_synthetic(image: sitk.Image, path) -> bool:
    """A synthetic image says so in its file name or its header; both are checked."""
    if "synthetic" in Path(path).name.lower():
        return True
    return any(image.HasMetaDataKey(key) and SYNTHETIC_MARK in image.GetMetaData(key).upper()
               for key in ("descrip", "ITK_FileNotes", "Description"))


def mark_synthetic(image: sitk.Image, note: str) -> sitk.Image:
    """The image with `note` (which must say SYNTHETIC) in the header fields that writers keep."""
    if SYNTHETIC_MARK not in note.upper():
        raise ValueError("A synthetic image's note must say SYNTHETIC.")
    image.SetMetaData("ITK_FileNotes", note[:79])
    image.SetMetaData("Description", note)
    return image
