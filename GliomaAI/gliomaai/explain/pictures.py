"""Pictures of explanations: the map over the case, the per-sequence bar chart, the faithfulness curves."""

from pathlib import Path

import numpy as np

from ..labels import REGIONS
from ..report import _axial, choose_slices, plt
from ..sequences import DESCRIPTIONS, SEQUENCES
from .heat import heat_colormap
from .catalogue import METHODS

SEQUENCE_COLOURS = {"t1n": "#7f7f7f", "t1c": "#d62728", "t2w": "#1f77b4", "t2f": "#2ca02c"}


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def saliency_montage(case, explanation, target_mask, path, threshold: float = 0.3, slices: int = 5) -> Path:
    """One row per sequence, axial slices through the target: the map in heat colours above
    `threshold` (transparent below), the target's outline in cyan over it."""
    heat = _axial(explanation.saliency)
    outline = _axial(target_mask) > 0
    arrays = {s: _axial(case.images[s]) for s in SEQUENCES if s in case.images}
    brain = np.any([a != 0 for a in arrays.values()], axis=0)
    zs = choose_slices(outline.astype(np.uint8), brain, slices)
    cmap = heat_colormap()
    fig, axes = plt.subplots(len(arrays), len(zs), figsize=(2.2 * len(zs), 2.3 * len(arrays)), squeeze=False)
    for row, (name, array) in enumerate(arrays.items()):
        low, high = np.percentile(array[brain], (0.5, 99.5)) if brain.any() else (array.min(), array.max())
        for col, z in enumerate(zs):
            ax = axes[row, col]
            ax.imshow(array[z], cmap="gray", vmin=low, vmax=high, interpolation="nearest")
            shown = np.ma.masked_less(heat[z], threshold)
            ax.imshow(shown, cmap=cmap, vmin=threshold, vmax=1, alpha=0.6, interpolation="nearest")
            if outline[z].any():
                ax.contour(outline[z], levels=[0.5], colors="cyan", linewidths=0.7)
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                synthetic = "\n(synthetic)" if name in getattr(case, "synthetic", ()) else ""
                ax.set_ylabel(DESCRIPTIONS.get(name, name) + synthetic, fontsize=8)
            if row == 0:
                ax.set_title(f"z={z}", fontsize=8)
    verdict = explanation.trust.get("verdict") if explanation.trust else "not checked"
    fig.suptitle(f"{case.name}: {METHODS[explanation.method].title} for {explanation.target} "
                 f"(outline: target; heat >= {threshold:g})\ntrust: {verdict}", fontsize=9)
    return _save(fig, path)


def sequence_importance_chart(importance: dict, path, title: str) -> Path:
    """Grouped bars: for each region, 1 - Dice of the prediction without each sequence."""
    regions = [r for r in REGIONS if any(importance[s].get(r) for s in importance)]
    sequences = list(importance)
    width = 0.8 / max(1, len(sequences))
    fig, ax = plt.subplots(figsize=(5, 3))
    for index, sequence in enumerate(sequences):
        values = [(importance[sequence].get(r) or {}).get("importance", 0.0) for r in regions]
        ax.bar(np.arange(len(regions)) + (index - (len(sequences) - 1) / 2) * width, values, width,
               label=DESCRIPTIONS.get(sequence, sequence), color=SEQUENCE_COLOURS.get(sequence))
    ax.set_xticks(np.arange(len(regions)), regions)
    ax.set_ylim(0, 1)
    ax.set_ylabel("1 - Dice without the sequence")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return _save(fig, path)


def faithfulness_chart(explanations: list, path, title: str) -> Path:
    """Deletion (left) and insertion (right) curves of each checked method, beside a random ordering."""
    checked = [e for e in explanations if e.trust]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
    for ax, kind, better in ((axes[0], "deletion", "lower"), (axes[1], "insertion", "higher")):
        for explanation in checked:
            c = explanation.trust["curves"]
            ax.plot(c["fractions"], c[kind], label=f"{METHODS[explanation.method].title} "
                                                   f"({explanation.trust[f'{kind}_auc']:.2f})")
        if checked:
            c = checked[0].trust["curves"]
            ax.plot(c["fractions"], c[f"random_{kind}"], "k--",
                    label=f"random order ({checked[0].trust[f'random_{kind}_auc']:.2f})")
        ax.set_xlabel(f"fraction of brain voxels {'removed' if kind == 'deletion' else 'put back'}, most salient first")
        ax.set_ylabel("target probability")
        ax.set_ylim(0, 1)
        ax.set_title(f"{kind} (area: {better} is better)", fontsize=9)
        ax.legend(fontsize=6, frameon=False)
    fig.suptitle(title, fontsize=9)
    return _save(fig, path)
