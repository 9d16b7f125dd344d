"""Image-synthesis metrics (MSE, MAE, PSNR, SSIM) inside a mask, BraTS inpainting / BraSyn style.

Intensities of MRI have no fixed scale, so before comparing, both images are clipped to the 0.5
and 99.5 percentiles of the reference inside the normalisation mask and scaled by them to [0, 1].
MSE, MAE and PSNR (data range 1) are then taken over the mask voxels; SSIM is the full 3D SSIM map
of scikit-image (default 7-voxel window, data range 1) over the whole volume, averaged over the
mask voxels, so the structure around the mask still informs the windows at its edge.

Without a mask, the mask is the reference's non-zero voxels: BraTS images are skull-stripped with
a zero background, so that is the brain. Identical images give MSE 0, SSIM 1 and PSNR +inf.
"""

import numpy as np
from skimage.metrics import structural_similarity

from ..errors import GliomaAIError

PERCENTILES = (0.5, 99.5)
_SSIM_WINDOW = 7  # scikit-image's default window


def _pair(pred, ref) -> tuple[np.ndarray, np.ndarray]:
    pred, ref = np.asarray(pred, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if pred.shape != ref.shape:
        raise GliomaAIError(f"Synthesised image shape {pred.shape} differs from reference shape {ref.shape}.",
                            "Resample the synthesised image onto the reference image grid first.")
    if min(pred.shape) < _SSIM_WINDOW:
        raise GliomaAIError(f"Images of shape {pred.shape} are too small for SSIM.",
                            f"Every side needs at least {_SSIM_WINDOW} voxels.")
    if not (np.all(np.isfinite(pred)) and np.all(np.isfinite(ref))):
        raise GliomaAIError("The images hold NaN or infinite values.", "Check the synthesised image.")
    return pred, ref


def _mask(mask, ref: np.ndarray, name: str, allow_empty: bool = False) -> np.ndarray:
    mask = (ref != 0) if mask is None else np.asarray(mask).astype(bool, copy=False)
    if mask.shape != ref.shape:
        raise GliomaAIError(f"The {name} mask shape {mask.shape} differs from the image shape {ref.shape}.",
                            "Give a mask on the reference image grid.")
    if not allow_empty and not mask.any():
        raise GliomaAIError(f"The {name} mask is empty.", "Give a mask holding the voxels to evaluate.")
    return mask


def percentile_normalise(pred, ref, mask) -> tuple[np.ndarray, np.ndarray]:
    """Both images clipped to the reference's 0.5/99.5 percentiles inside the mask, scaled to [0, 1]."""
    low, high = np.percentile(ref[mask], PERCENTILES)
    if high <= low:
        raise GliomaAIError("The reference image is constant inside the mask, so it cannot be normalised.",
                            "Check the reference image and the mask.")

    def scale(image):
        return (np.clip(image, low, high) - low) / (high - low)

    return scale(pred), scale(ref)


def _scores(pred, ref, mask, data_range: float, ssim_map) -> dict[str, float]:
    diff = pred[mask] - ref[mask]
    mse = float(np.mean(diff ** 2))
    psnr = float(10.0 * np.log10(data_range ** 2 / mse)) if mse > 0 else float("inf")
    return {"mse": mse, "mae": float(np.mean(np.abs(diff))), "psnr": psnr, "ssim": float(np.mean(ssim_map[mask]))}


def _prepare(pred, ref, norm_mask, data_range):
    """Images on a common scale, their data range and SSIM map."""
    if data_range is None:
        pred, ref = percentile_normalise(pred, ref, norm_mask)
        data_range = 1.0
    _, ssim_map = structural_similarity(ref, pred, data_range=data_range, full=True)
    return pred, ref, float(data_range), ssim_map


def synthesis_metrics(pred, ref, mask=None, data_range=None) -> dict[str, float]:
    """MSE, MAE, PSNR and SSIM of a synthesised image against the reference, inside ``mask``.

    ``mask`` defaults to the reference's non-zero voxels (the skull-stripped brain).
    ``data_range=None`` applies the percentile normalisation of the module docstring; a number
    skips it and takes the images as they are, with that data range for PSNR and SSIM.
    """
    pred, ref = _pair(pred, ref)
    mask = _mask(mask, ref, "evaluation")
    pred, ref, data_range, ssim_map = _prepare(pred, ref, mask, data_range)
    return _scores(pred, ref, mask, data_range, ssim_map)


def synthesis_metrics_by_region(pred, ref, brain_mask, tumour_mask, data_range=None) -> dict:
    """Metrics over the brain and over the tumour: {"brain": {...}, "tumour": {...}}.

    Both regions share one normalisation (percentiles of the reference inside the brain), so
    their numbers are on the same scale. "tumour" is left out when the tumour mask is empty.
    """
    pred, ref = _pair(pred, ref)
    brain = _mask(brain_mask, ref, "brain")
    pred, ref, data_range, ssim_map = _prepare(pred, ref, brain, data_range)
    result = {"brain": _scores(pred, ref, brain, data_range, ssim_map)}
    tumour = _mask(tumour_mask, ref, "tumour", allow_empty=True) if tumour_mask is not None else None
    if tumour is not None and tumour.any():
        result["tumour"] = _scores(pred, ref, tumour, data_range, ssim_map)
    return result
