"""The inference engine: picks the device, keeps loaded models, runs sliding windows with progress and cancel.

One engine serves every module (segmentation, imputation, saliency), so a model is loaded once
per process. Long work reports progress through a callback `progress(fraction, message)` and
stops between windows when `cancel()` returns True (it raises Cancelled). The GUI runs it off
its main thread; the command line shows tqdm.
"""

import logging
import threading

import numpy as np

from ..errors import GliomaAIError

DEVICES = ("auto", "cpu", "cuda", "mps")


class Cancelled(Exception):
    """The user cancelled: nothing was written, nothing half-done is kept."""


def available_devices() -> list[str]:
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.insert(0, "cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.insert(0, "mps")
    return devices


def choose_device(requested: str = "auto") -> str:
    """'auto' takes CUDA, then MPS, then the CPU; a named device that is absent is an error."""
    requested = (requested or "auto").lower()
    if requested not in DEVICES and not requested.startswith("cuda:"):
        raise GliomaAIError(f"Unknown device '{requested}'.", f"Use one of: {', '.join(DEVICES)}.")
    available = available_devices()
    if requested == "auto":
        return available[0]
    if requested.split(":")[0] not in available:
        raise GliomaAIError(f"Device '{requested}' is not available here (available: {', '.join(available)}).",
                            "Choose another --device, or 'auto'.")
    return requested


def _is_out_of_memory(error: Exception) -> bool:
    return "out of memory" in str(error).lower()


class InferenceEngine:
    """Device choice, a cache of loaded models, and windowed inference with progress and cancel."""

    def __init__(self, device: str = "auto", threads: int | None = None):
        import torch

        self.device = choose_device(device)
        if threads:
            torch.set_num_threads(threads)
        self._models = {}
        self._lock = threading.Lock()

    def model(self, key: str, build):
        """The model cached under `key`; `build()` makes it (on the CPU) the first time only."""
        with self._lock:
            if key not in self._models:
                network = build()
                network.eval()
                self._models[key] = network.to(self.device)
            return self._models[key]

    def loaded(self) -> list[str]:
        return list(self._models)

    def sliding_window(self, network, array: np.ndarray, roi_size, overlap: float = 0.25, batch_size: int = 2,
                       progress=None, cancel=None, message: str = "inference", mode: str = "gaussian") -> np.ndarray:
        """network(x) over windows of a (c, z, y, x) array; the blended (c', z, y, x) output as numpy.

        `mode` weighs overlapping windows as MONAI does ("gaussian", or "constant" for windows that
        do not overlap, such as the single slices of a per-slice network).

        Falls back to the CPU, with a warning, when the GPU runs out of memory.
        """
        try:
            return self._sliding_window(network, array, roi_size, overlap, batch_size, progress, cancel, message, mode)
        except RuntimeError as error:
            if self.device == "cpu" or not _is_out_of_memory(error):
                raise
            import torch

            logging.warning("GliomaAI: %s ran out of GPU memory; running on the CPU instead.", message)
            if self.device.startswith("cuda"):
                torch.cuda.empty_cache()
            self.device = "cpu"
            self._models = {k: m.to("cpu") for k, m in self._models.items()}
            return self._sliding_window(network.to("cpu"), array, roi_size, overlap, batch_size, progress, cancel,
                                        message, mode)

    def _sliding_window(self, network, array, roi_size, overlap, batch_size, progress, cancel, message, mode):
        import torch
        from monai.inferers import sliding_window_inference

        total = _window_count(array.shape[1:], roi_size, overlap)
        batches = max(1, -(-total // batch_size))
        done = [0]

        def predictor(windows):
            if cancel is not None and cancel():
                raise Cancelled(f"{message} cancelled")
            output = network(windows)
            done[0] += 1
            if progress is not None:
                progress(min(1.0, done[0] / batches), message)
            return output

        device = torch.device(self.device)
        with torch.no_grad():
            tensor = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))[None].to(device)
            output = sliding_window_inference(tensor, roi_size, batch_size, predictor, overlap=overlap,
                                              mode=mode, sw_device=device, device=torch.device("cpu"))
        return output[0].numpy()


def _window_count(shape, roi_size, overlap) -> int:
    """How many windows MONAI's sliding window takes over `shape` (for the progress bar)."""
    count = 1
    for size, roi in zip(shape, roi_size):
        roi = min(roi, size) if roi > 0 else size
        interval = max(1, int(roi * (1 - overlap))) if roi < size else 1
        count *= 1 if roi >= size else -(-(size - roi) // interval) + 1
    return count


_default_engine = None


def default_engine(device: str = "auto") -> InferenceEngine:
    """The process's shared engine (one per device choice)."""
    global _default_engine
    if _default_engine is None or (device != "auto" and choose_device(device) != _default_engine.device):
        _default_engine = InferenceEngine(device)
    return _default_engine
