"""The four glioma MRI sequences and the many ways file names spell them."""

import re

# Canonical names (BraTS 2023), in the channel order every GliomaAI model uses.
SEQUENCES = ("t1n", "t1c", "t2w", "t2f")

DESCRIPTIONS = {
    "t1n": "T1 (native)",
    "t1c": "T1 post-contrast",
    "t2w": "T2",
    "t2f": "T2-FLAIR",
}

# Patterns are tried on the lower-cased file or series name, split into word-like tokens.
# Order matters: contrast-enhanced T1 and FLAIR are tested before plain T1 and T2.
_PATTERNS = (
    ("t1c", r"(^|[^a-z0-9])(t1c|t1ce|t1gd|t1_?gd|t1_?c|t1_?post|t1_?contrast|t1\w*post\w*(gad|gd|contrast)?|t1\w*(gad|gd|contrast|\+c)|post_?gad|mprage_?post)([^a-z0-9]|$)"),
    ("t2f", r"(^|[^a-z0-9])(t2f|flair|t2_?flair|t2-flair|fl)([^a-z0-9]|$)"),
    ("t1n", r"(^|[^a-z0-9])(t1n|t1|t1w|t1_?pre|t1_?native|mprage)([^a-z0-9]|$)"),
    ("t2w", r"(^|[^a-z0-9])(t2w|t2|t2_?tse|t2_?weighted)([^a-z0-9]|$)"),
)

_SEGMENTATION_HINTS = re.compile(r"(^|[^a-z0-9])(seg|segmentation|label|labels|mask|brainmask|gt|truth)([^a-z0-9]|$)")


def strip_image_extension(name: str) -> str:
    for ext in (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd", ".dcm"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def sequence_from_name(name: str) -> str | None:
    """The canonical sequence a file or series name denotes, or None.

    >>> sequence_from_name("BraTS-GLI-00001-000-t1c.nii.gz")
    't1c'
    >>> sequence_from_name("Brats18_2013_3_1_t1ce.nii.gz")
    't1c'
    >>> sequence_from_name("T1_AX_POST_GAD")
    't1c'
    >>> sequence_from_name("seg.nii.gz") is None
    True
    """
    stem = strip_image_extension(name).lower().replace(" ", "_")
    if _SEGMENTATION_HINTS.search(stem):
        return None
    for sequence, pattern in _PATTERNS:
        if re.search(pattern, stem):
            return sequence
    return None


def is_label_name(name: str) -> bool:
    stem = strip_image_extension(name).lower()
    return bool(re.search(r"(^|[^a-z0-9])(seg|segmentation|label|labels|gt|truth)([^a-z0-9]|$)", stem))


def is_brain_mask_name(name: str) -> bool:
    stem = strip_image_extension(name).lower()
    return bool(re.search(r"(^|[^a-z0-9])(brainmask|brain_mask|mask)([^a-z0-9]|$)", stem))
