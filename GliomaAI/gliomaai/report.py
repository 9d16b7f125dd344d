"""Pictures for people: a montage of a case's sequences with its labels drawn over them."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never opens a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import SimpleITK as sitk  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from .imageio import image_from_array  # noqa: E402
from .labels import CLASSES  # noqa: E402
from .sequences import DESCRIPTIONS, SEQUENCES  # noqa: E402

SYNTHETIC_WARNING = "SYNTHETIC - not for clinical reading"


def _axial(image: sitk.Image) -> np.ndarray:
    """(z, y, x) array in a fixed orientation (LPS), so every montage shows anatomy alike."""
    return sitk.GetArrayFromImage(sitk.DICOMOrient(image, "LPS"))


def choose_slices(labels: np.ndarray | None, brain: np.ndarray, count: int) -> list[int]:
    """Axial slices through the tumour if there is one, else through the brain."""
    target = labels > 0 if labels is not None and labels.any() else brain
    zs = np.flatnonzero(target.any(axis=(1, 2)))
    if zs.size == 0:
        zs = np.arange(brain.shape[0])
    return sorted({int(z) for z in np.linspace(zs[0], zs[-1], count + 2)[1:-1].round()})


def label_colormap() -> ListedColormap:
    colours = [(0, 0, 0, 0)] + [(*c.color, 0.45) for c in CLASSES]
    return ListedColormap(colours)


def case_montage(case, path, labels: sitk.Image | None = None, title: str | None = None,
                 slices: int = 5, extra: dict | None = None, draw_labels: bool = True) -> Path:
    """A PNG: one row per sequence (and per extra named image), axial slices, labels overlaid.

    With draw_labels False the labels only choose the slices (through the tumour), so the images
    there can be compared undisturbed.
    """
    labels = case.labels if labels is None else labels
    rows = {s: case.images[s] for s in SEQUENCES if s in case.images}
    rows.update(extra or {})
    arrays = {name: _axial(image) for name, image in rows.items()}
    label_array = _axial(labels) if labels is not None else None
    brain = np.any([a != 0 for a in arrays.values()], axis=0)
    zs = choose_slices(label_array, brain, slices)
    # A brain extracted from a head scan is outlined, for the reader to check that it holds the tumour.
    outline = None
    if getattr(case, "brain_note", ""):
        outline = _axial(image_from_array(case.brain_mask_array().astype(np.uint8), case.reference))
    fig, axes = plt.subplots(len(arrays), len(zs), figsize=(2.2 * len(zs), 2.3 * len(arrays)), squeeze=False)
    cmap = label_colormap()
    for row, (name, array) in enumerate(arrays.items()):
        low, high = np.percentile(array[brain], (0.5, 99.5)) if brain.any() else (array.min(), array.max())
        for col, z in enumerate(zs):
            ax = axes[row, col]
            ax.imshow(array[z], cmap="gray", vmin=low, vmax=high, interpolation="nearest")
            if label_array is not None and draw_labels:
                ax.imshow(label_array[z], cmap=cmap, vmin=0, vmax=len(CLASSES), interpolation="nearest")
            if outline is not None and outline[z].any():
                ax.contour(outline[z], [0.5], colors="cyan", linewidths=0.5)
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                label = DESCRIPTIONS.get(name, name)
                if name in getattr(case, "synthetic", ()):
                    label += "\n(synthetic)"
                ax.set_ylabel(label, fontsize=8)
            if row == 0:
                ax.set_title(f"z={z}", fontsize=8)
    heading = title or case.name
    if getattr(case, "synthetic", None):
        heading += f"  [{SYNTHETIC_WARNING}]"
    legend = "   ".join(f"{c.name}: {c.description}" for c in CLASSES) if label_array is not None and draw_labels else ""
    fig.suptitle(heading + ("\n" + legend if legend else ""), fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
