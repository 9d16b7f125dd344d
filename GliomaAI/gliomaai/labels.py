"""Label conventions of glioma segmentations, one canonical label set, and evaluation regions.

Canonical labels are those of BraTS 2023: 0 background, 1 NETC (necrosis and non-enhancing
tumour core), 2 SNFH (surrounding FLAIR hyperintensity, i.e. edema), 3 ET (enhancing tumour).
Regions: WT = {1, 2, 3}, TC = {1, 3}, ET = {3}.
"""

from dataclasses import dataclass

import numpy as np

from .errors import GliomaAIError

NETC, SNFH, ET = 1, 2, 3


@dataclass(frozen=True)
class TumourClass:
    value: int
    name: str
    description: str
    color: tuple[float, float, float]
    # DICOM/SNOMED-CT terminology as Slicer's segment editor stores it: (code, scheme, meaning).
    category: tuple[str, str, str]
    type: tuple[str, str, str]


_MORPH_ABNORMAL = ("49755003", "SCT", "Morphologically Altered Structure")
CLASSES = (
    TumourClass(NETC, "NETC", "Necrosis / non-enhancing tumour core", (0.87, 0.18, 0.15),
                _MORPH_ABNORMAL, ("6574001", "SCT", "Necrosis")),
    TumourClass(SNFH, "SNFH", "Edema / surrounding FLAIR hyperintensity", (0.30, 0.75, 0.30),
                _MORPH_ABNORMAL, ("79654002", "SCT", "Edema")),
    TumourClass(ET, "ET", "Enhancing tumour", (0.98, 0.85, 0.20),
                _MORPH_ABNORMAL, ("108369006", "SCT", "Neoplasm")),
)

REGIONS = {"WT": (NETC, SNFH, ET), "TC": (NETC, ET), "ET": (ET,)}


@dataclass(frozen=True)
class LabelConvention:
    name: str
    description: str
    to_canonical: dict  # value in this convention -> canonical value
    from_canonical: dict  # canonical value -> value in this convention
    regions: tuple  # evaluation regions this convention can express

    @property
    def values(self) -> tuple:
        return tuple(sorted(self.to_canonical))


CONVENTIONS = {
    c.name: c
    for c in (
        LabelConvention("brats2023", "BraTS 2023+: 1 NETC, 2 SNFH, 3 ET",
                        {1: NETC, 2: SNFH, 3: ET}, {NETC: 1, SNFH: 2, ET: 3}, ("WT", "TC", "ET")),
        LabelConvention("brats2021", "BraTS 2017-2021: 1 NCR/NET, 2 ED, 4 ET",
                        {1: NETC, 2: SNFH, 4: ET}, {NETC: 1, SNFH: 2, ET: 4}, ("WT", "TC", "ET")),
        # Necrosis (1) and non-enhancing tumour (3) are both tumour core; writing back uses 1.
        LabelConvention("brats2015", "BraTS 2013/2015: 1 necrosis, 2 edema, 3 non-enhancing, 4 enhancing",
                        {1: NETC, 2: SNFH, 3: NETC, 4: ET}, {NETC: 1, SNFH: 2, ET: 4}, ("WT", "TC", "ET")),
        # AURORA's tumour core holds the enhancing part too: it maps to the core, and ET is not expressible.
        LabelConvention("aurora", "AURORA metastasis: 1 tumour core, 2 edema",
                        {1: NETC, 2: SNFH}, {NETC: 1, SNFH: 2, ET: 1}, ("WT", "TC")),
        LabelConvention("binary", "binary: 1 tumour",
                        {1: SNFH}, {NETC: 1, SNFH: 1, ET: 1}, ("WT",)),
    )
}

CANONICAL = "brats2023"


def get_convention(name: str) -> LabelConvention:
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise GliomaAIError(f"Unknown label convention '{name}'.",
                            f"Use one of: {', '.join(CONVENTIONS)}.") from None


def _integer_labels(array: np.ndarray, source: str) -> np.ndarray:
    array = np.asarray(array)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise GliomaAIError(f"{source}: the label map holds NaN or infinite values.",
                                "Check that the file is a segmentation, not an image.")
        rounded = np.rint(array)
        if np.any(np.abs(rounded - array) > 1e-3):
            raise GliomaAIError(f"{source}: the label map holds non-integer values.",
                                "Give a segmentation (integer labels), not an image or a probability map.")
        array = rounded
    return array if array.dtype.kind in "ui" else array.astype(np.int64)


def label_values(labels) -> np.ndarray:
    """The distinct values of a label map, sorted. Small non-negative integers are counted rather
    than sorted: several times faster on a whole volume."""
    labels = np.asarray(labels)
    if labels.dtype.kind in "ui" and labels.dtype.itemsize <= 4 and labels.size:
        low, high = labels.min(), labels.max()
        if low >= 0 and high < 1 << 16:
            return np.flatnonzero(np.bincount(labels.ravel(), minlength=int(high) + 1)).astype(labels.dtype)
    return np.unique(labels)


def conventions_fitting(values) -> list[str]:
    """Names of the conventions whose label set holds every non-zero value given."""
    present = {int(v) for v in values if int(v) != 0}
    return [name for name, c in CONVENTIONS.items() if present <= set(c.to_canonical)]


def guess_convention(values) -> str:
    """The convention of a label map from its values (3 and 4 together: BraTS 2015; 4: 2021; else 2023).

    Values {1, 2} alone read the same in every BraTS convention; AURORA and binary maps cannot
    be told apart from BraTS ones by their values, so name those conventions explicitly.
    """
    present = {int(v) for v in values if int(v) != 0}
    if {3, 4} <= present:
        return "brats2015"
    if 4 in present:
        return "brats2021"
    return "brats2023"


def to_canonical(labels: np.ndarray, convention: str, source: str = "label map") -> np.ndarray:
    """Map a label array in `convention` to canonical labels (uint8); unknown values are an error."""
    conv = get_convention(convention)
    labels = _integer_labels(labels, source)
    values = label_values(labels)
    unknown = [int(v) for v in values if v != 0 and int(v) not in conv.to_canonical]
    if unknown:
        fitting = conventions_fitting(values)
        hint = (f"It fits the convention(s) {', '.join(fitting)}: pass that instead."
                if fitting else f"Expected only 0 and {list(conv.values)}; check the file.")
        raise GliomaAIError(f"{source}: values {unknown} are not labels of the '{convention}' convention "
                            f"({conv.description}).", hint)
    lut = np.zeros(int(max(values.max(), max(conv.values))) + 1, dtype=np.uint8)
    for value, canonical in conv.to_canonical.items():
        lut[value] = canonical
    return lut[labels]


def from_canonical(canonical: np.ndarray, convention: str) -> np.ndarray:
    """Write canonical labels in `convention` (uint8)."""
    conv = get_convention(convention)
    canonical = np.asarray(canonical)
    lut = np.zeros(ET + 1, dtype=np.uint8)
    for value, target in conv.from_canonical.items():
        lut[value] = target
    if canonical.size and (canonical.min() < 0 or canonical.max() > ET):
        raise GliomaAIError("Canonical labels must lie in 0..3.", "Convert with to_canonical() first.")
    return lut[canonical.astype(np.int64, copy=False)]


def convert(labels: np.ndarray, source_convention: str, target_convention: str, source: str = "label map") -> np.ndarray:
    return from_canonical(to_canonical(labels, source_convention, source), target_convention)


def region_masks(canonical: np.ndarray, regions=("WT", "TC", "ET")) -> dict[str, np.ndarray]:
    """Boolean masks of the evaluation regions from canonical labels."""
    canonical = np.asarray(canonical)
    return {r: np.isin(canonical, REGIONS[r]) for r in regions}


def compose_regions(wt: np.ndarray, tc: np.ndarray, et: np.ndarray) -> np.ndarray:
    """Canonical labels from region masks, forcing ET inside TC inside WT."""
    tc = tc & wt
    et = et & tc
    labels = np.zeros(wt.shape, dtype=np.uint8)
    labels[wt] = SNFH
    labels[tc] = NETC
    labels[et] = ET
    return labels


def shared_regions(*conventions: str) -> tuple[str, ...]:
    """Regions that every named convention can express (AURORA has no ET, binary only WT)."""
    regions = [r for r in REGIONS]
    for name in conventions:
        regions = [r for r in regions if r in get_convention(name).regions]
    return tuple(regions)
