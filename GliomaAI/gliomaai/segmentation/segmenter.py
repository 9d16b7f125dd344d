"""Segment a case: any subset of sequences in, canonical labels, uncertainty and volumes out."""

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from ..errors import GliomaAIError
from ..imageio import image_from_array
from ..inference.engine import default_engine
from ..labels import CLASSES, REGIONS, region_masks
from ..models.card import ModelCard, cached_network
from ..sequences import SEQUENCES
from ..summary import voxel_volume_ml
from . import DEFAULT_TTA
from .foci import foci_note, tumour_foci
from .postprocess import disagreement_uncertainty, entropy_uncertainty, probabilities_to_labels
from .preprocess import keep_sequences, model_input, to_case_grid

# Windows near the training patch size: the network's group normalisation sees statistics like
# those of training. One window over the whole 2 mm brain is twice as fast but scored lower on
# held-out cases (BraTS 2013: Dice WT 0.77 / TC 0.46 / ET 0.53 against 0.80 / 0.56 / 0.62).
DEFAULT_WINDOW = 64


@dataclass
class SegmentationResult:
    labels: sitk.Image  # canonical labels (0, 1 NETC, 2 SNFH, 3 ET) on the case's grid
    uncertainty: sitk.Image  # 0 (certain) .. 1 (undecided), float32, on the case's grid
    volumes_ml: dict  # NETC, SNFH, ET, WT, TC
    model: str
    model_version: str
    device: str
    tta: bool
    sequences: tuple  # the sequences the model saw
    seconds: float
    notes: list = field(default_factory=list)
    foci: list = field(default_factory=list)  # the whole tumour's separate parts, largest first (see foci.py)

    def labels_array(self) -> np.ndarray:
        return sitk.GetArrayFromImage(self.labels)


def flips(spatial_axes=(1, 2, 3)):
    """Test-time augmentation: the identity and a mirror along each axis."""
    return [()] + [(axis,) for axis in spatial_axes]


def sigmoid_passes(engine, network, array: np.ndarray, window, tta: bool, progress=None, cancel=None,
                   message: str = "segmenting", overlap: float = 0.25, batch_size: int = 2) -> np.ndarray:
    """Sigmoid outputs of one pass, or of the mirrored TTA passes, each mirrored back: (passes, c, z, y, x)."""
    import torch

    passes = flips() if tta else [()]
    samples = []
    for index, axes in enumerate(passes):
        def report(fraction, text, index=index):
            if progress:
                progress((index + fraction) / len(passes), text)

        logits = engine.sliding_window(network, np.flip(array, axes) if axes else array, window, overlap, batch_size,
                                       report, cancel, f"{message} ({index + 1}/{len(passes)})")
        probs = torch.sigmoid(torch.from_numpy(logits)).numpy()
        samples.append(np.flip(probs, axes) if axes else probs)
    return np.stack(samples)


def require_sequences(segmenter, case) -> None:
    """The sequences the model cannot do without are in the case, or an error naming them."""
    missing = [s for s in segmenter.required if s not in case.images]
    if missing:
        raise GliomaAIError(f"Model '{segmenter.name}' needs {', '.join(missing)}, which case '{case.name}' lacks.",
                            "Load or choose the missing sequences, or use the default GliomaAI model, "
                            "which takes any subset.")


class CardSegmenter:
    """A GliomaAI segmenter described by a model card: coarse grid, any subset of sequences."""

    def __init__(self, card: ModelCard):
        if card.task != "segmentation":
            raise GliomaAIError(f"Model '{card.name}' is a {card.task} model.", "Choose a segmentation model.")
        self.card = card
        self.name, self.version = card.name, card.version
        self.required = tuple(card.input.get("required", ()))
        # Per region (WT, TC, ET): chosen on out-of-fold cases when the model was published.
        self.thresholds = tuple(card.output.get("thresholds", [card.output.get("threshold", 0.5)] * 3))
        # ET as the tumour core's voxels above this z-score on an acquired T1c (None: the ET channel).
        self.enhancing_zscore = card.output.get("enhancing_t1c_zscore")
        # A part of the whole tumour is drawn only if it holds a part above this of at least a speck's size
        # (None: every part; see probabilities_to_labels).
        self.whole_tumour_seed = card.output.get("whole_tumour_seed")
        # The whole tumour read a second time from these sequences alone, the two readings averaged
        # (whole_tumour_view); none: read once.
        self.whole_tumour_also_from = tuple(card.output.get("whole_tumour_also_from", ()))

    def network(self, engine):
        return cached_network(self.card, engine)

    def whole_tumour_view(self, case) -> tuple:
        """The sequences the whole tumour is read from a second time: the case's acquired ones among
        whole_tumour_also_from, when they are some but not all of those it has; else ()."""
        view = tuple(s for s in case.present if s in self.whole_tumour_also_from and s not in case.synthetic)
        return view if view and view != case.present else ()

    def probabilities(self, case, engine, tta=False, progress=None, cancel=None):
        """(WT, TC, ET) probabilities on the case's grid, and with TTA the passes' disagreement there (else None).
        Where the case has a whole_tumour_view, WT is the mean of the reading of every sequence and the view's."""
        model = model_input(case, self.card.input.get("spacing_mm", 2.0))
        view = self.whole_tumour_view(case)
        share = 0.5 if view else 1.0  # of the progress

        def part(start):
            return (lambda fraction, text: progress(start + share * fraction, text)) if progress else None

        window = (self.card.input.get("window", DEFAULT_WINDOW),) * 3
        passes = sigmoid_passes(engine, self.network(engine), model.channels, window, tta, part(0.0), cancel)
        if view:
            whole = sigmoid_passes(engine, self.network(engine), keep_sequences(model, view).channels, window, tta,
                                   part(0.5), cancel, f"whole tumour from {' + '.join(view)}")
            passes[:, 0] = (passes[:, 0] + whole[:, 0]) / 2
        brain = case.brain_mask_array()

        def on_case_grid(channels):
            # Tumour lies in the brain the model read: the 2 mm output's spill past its edge (or into a head's
            # scalp) goes.
            full = to_case_grid(channels, model, case.reference)
            full *= brain  # in place: a full-resolution copy is 100 MB
            return full

        return mean_and_disagreement(passes, on_case_grid, tta)


def mean_and_disagreement(passes: np.ndarray, on_case_grid, tta: bool) -> tuple:
    """The passes' (p, c, z, y, x) mean and, with TTA, their disagreement, each brought to the case's grid once by
    `on_case_grid` (channels -> channels): linear resampling commutes with the mean, and resampling every pass
    would cost a full-resolution copy each."""
    probabilities = on_case_grid(passes.mean(axis=0))
    return probabilities, (on_case_grid(disagreement_uncertainty(passes)[None])[0] if tta else None)


def tuned(segmenter, thresholds, enhancing_zscore, whole_tumour_seed=None):
    """A copy of the segmenter that labels with these thresholds (WT, TC, ET), ET rule (None: the
    ET channel) and whole-tumour seed (None: none), to score a choice of them."""
    other = copy.copy(segmenter)
    other.thresholds, other.enhancing_zscore = tuple(thresholds), enhancing_zscore
    other.whole_tumour_seed = whole_tumour_seed
    return other


def acquired_t1c_zscore(case) -> np.ndarray | None:
    """The case's T1c z-scored over the brain, or None when it has no T1c or only a synthetic one
    (an imputed T1c is not evidence of enhancement)."""
    if "t1c" not in case.images or "t1c" in case.synthetic:
        return None
    return case.normalized("t1c")


def draw_labels(segmenter, case, probabilities: np.ndarray, t1c: np.ndarray | None) -> tuple[np.ndarray, str]:
    """Labels as the segmenter draws them from its probabilities, and a note on what drew ET.

    `t1c`: the case's acquired_t1c_zscore, for a segmenter with an ET rule (None: the ET channel)."""
    threshold = segmenter.enhancing_zscore
    enhancing = t1c > threshold if threshold is not None and t1c is not None else None
    labels = probabilities_to_labels(probabilities, voxel_volume_ml(case.reference), segmenter.thresholds,
                                     enhancing=enhancing, whole_tumour_seed=segmenter.whole_tumour_seed)
    if threshold is None:
        return labels, ""
    if enhancing is None:
        return labels, "ET from the network's ET channel (no acquired T1c)."
    return labels, f"ET: the tumour core's voxels that enhance on T1c (z-score above {threshold:g})."


def volumes_ml(labels: np.ndarray, voxel_ml: float) -> dict:
    counts = np.bincount(labels.ravel(), minlength=len(CLASSES) + 1)
    volumes = {c.name: round(float(counts[c.value]) * voxel_ml, 3) for c in CLASSES}
    volumes.update({r: round(float(m.sum()) * voxel_ml, 3) for r, m in region_masks(labels).items() if r != "ET"})
    return volumes


# What a case lacking all of these sequences misses, said with the figures (the missing-sequence table: WT
# 0.37 from T1 + T1c, 0.86 from all four; TC / ET 0.55 / 0.27 without T1c).
SHOWN_BY = ((("t2w", "t2f"), "the whole tumour's edema shows on T2 and FLAIR: load either if it was acquired"),
            (("t1c",), "the core and enhancing tumour show on T1c: load it if it was acquired"))
MISSING_SEQUENCE_SCORES = "missing_sequences"  # the card's scores key: {"by_sequences": {sequences_key: summary}}


def sequences_key(sequences) -> str:
    """'t1c + t2f': how the card's missing-sequence scores name a set of sequences (in the channel order)."""
    return " + ".join(s for s in SEQUENCES if s in sequences)


def sequences_note(segmenter, case) -> str:
    """Where sequences are missing, what the model scored in cross-validation given the same ones (its card's
    scores["missing_sequences"]), beside all four: what to expect of this result. Empty with all four, with
    synthetic inputs (measured without them), or for a model whose card has no such scores."""
    card = getattr(segmenter, "card", None)
    measured = card.scores.get(MISSING_SEQUENCE_SCORES, {}).get("by_sequences", {}) if card is not None else {}
    if not measured or not case.missing or case.synthetic & set(case.present):
        return ""
    given = sequences_key(case.present)
    if given not in measured:
        return f"{card.name} {card.version} was not scored with {given} alone: its accuracy here is unknown."

    def dice(summary):
        return " / ".join(f"{summary[r]['dice']['mean']:.2f}" for r in REGIONS)

    everything = measured.get(sequences_key(SEQUENCES))
    lacking = [advice for needed, advice in SHOWN_BY if not set(needed) & set(case.present)]
    return (f"In cross-validation with {given} alone, {card.name} {card.version} scored Dice WT / TC / ET "
            f"{dice(measured[given])}" + (f" (all four sequences: {dice(everything)})" if everything else "")
            + "".join(f"; {advice}" for advice in lacking) + ".")


def segment_case(case, model="default", engine=None, tta: bool = DEFAULT_TTA, progress=None,
                 cancel=None) -> SegmentationResult:
    """Segment `case` with `model` (a name, a card or model folder path, or a loaded segmenter)."""
    from ..models.registry import load_segmenter

    started = time.perf_counter()
    segmenter = load_segmenter(model) if not hasattr(model, "probabilities") else model
    require_sequences(segmenter, case)
    engine = engine or default_engine()
    probabilities, disagreement = segmenter.probabilities(case, engine, tta, progress, cancel)
    voxel_ml = voxel_volume_ml(case.reference)
    t1c = acquired_t1c_zscore(case) if segmenter.enhancing_zscore is not None else None
    labels, rule = draw_labels(segmenter, case, probabilities, t1c)
    uncertainty = disagreement if disagreement is not None else entropy_uncertainty(probabilities)
    labels_image = image_from_array(labels, case.reference)
    notes = [f"Sequences used: {', '.join(case.present)}; missing: {', '.join(case.missing) or 'none'}."]
    if case.synthetic & set(case.present):
        notes.append(f"Synthetic inputs: {', '.join(sorted(case.synthetic & set(case.present)))}.")
    foci = tumour_foci(labels, case.reference)
    notes += [note for note in (sequences_note(segmenter, case), case.brain_note, rule, foci_note(foci)) if note]
    return SegmentationResult(labels_image, image_from_array(uncertainty, case.reference), volumes_ml(labels, voxel_ml),
                              segmenter.name, segmenter.version, engine.device, tta, case.present,
                              round(time.perf_counter() - started, 2), notes, foci)
