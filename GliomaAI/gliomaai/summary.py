"""What a case holds, as a plain dict: sequences, grids, what is missing, label volumes."""

import numpy as np
import SimpleITK as sitk

from .geometry import Grid
from .labels import CANONICAL, get_convention, region_masks
from .sequences import DESCRIPTIONS, SEQUENCES


def voxel_volume_ml(image: sitk.Image) -> float:
    return float(np.prod(image.GetSpacing())) / 1000.0


def region_volumes_ml(case) -> dict:
    """Volume in mL of each region (WT, TC, ET) that the labels' convention expresses."""
    if case.labels is None:
        return {}
    regions = get_convention(case.label_convention or CANONICAL).regions
    unit = voxel_volume_ml(case.labels)
    return {r: round(float(np.count_nonzero(m)) * unit, 3) for r, m in region_masks(case.label_array(), regions).items()}


def case_summary(case) -> dict:
    sequences = {}
    for sequence in SEQUENCES:
        if sequence not in case.images:
            continue
        image = case.images[sequence]
        array = sitk.GetArrayViewFromImage(image)
        sequences[sequence] = {
            "description": DESCRIPTIONS[sequence],
            "source": case.sources.get(sequence, ""),
            "grid": Grid.of(image).describe(),
            "pixel_type": image.GetPixelIDTypeAsString(),
            "range": [float(array.min()), float(array.max())],
            "synthetic": sequence in case.synthetic,
        }
    grid = case.grid
    return {
        "case": case.name,
        "sequences": sequences,
        "missing": list(case.missing),
        "grid": {"size": list(grid.size), "spacing_mm": [round(s, 4) for s in grid.spacing],
                 "origin_mm": [round(o, 3) for o in grid.origin], "direction": [round(d, 4) for d in grid.direction]},
        "brain_mask": case.sources.get("brain mask", "computed" if case.brain_mask is None else "given"),
        "labels": case.sources.get("labels"),
        "label_convention": case.label_convention,
        "label_files": [str(f) for f in case.label_files],
        "region_volumes_ml": region_volumes_ml(case),
        "synthetic": sorted(case.synthetic),
        "notes": list(case.notes),
    }


def format_summary(summary: dict) -> str:
    lines = [f"Case: {summary['case']}", f"Grid: {'x'.join(map(str, summary['grid']['size']))} voxels, "
             f"spacing {' x '.join(f'{s:g}' for s in summary['grid']['spacing_mm'])} mm"]
    lines.append("Sequences:")
    for name, info in summary["sequences"].items():
        mark = "  SYNTHETIC, not for reading" if info["synthetic"] else ""
        lines.append(f"  {name:4} {info['description']:18} {info['pixel_type']:24} "
                     f"range {info['range'][0]:g}..{info['range'][1]:g}  {info['source']}{mark}")
    missing = ", ".join(f"{m} ({DESCRIPTIONS[m]})" for m in summary["missing"]) or "none"
    lines.append(f"Missing: {missing}")
    lines.append(f"Brain mask: {summary['brain_mask']}")
    if summary["labels"]:
        volumes = ", ".join(f"{k} {v:.1f} mL" for k, v in summary["region_volumes_ml"].items())
        lines.append(f"Labels: {summary['labels']} ({summary['label_convention']}): {volumes}")
    elif summary["label_files"]:
        lines.append(f"Label files ({len(summary['label_files'])}, none loaded; pass --labels FILE to choose):")
        lines.extend(f"  {f}" for f in summary["label_files"])
    else:
        lines.append("Labels: none")
    for note in summary["notes"]:
        lines.append(f"Note: {note}")
    return "\n".join(lines)
