"""Impute a case's missing sequences with the imputation network; every image made is marked synthetic."""

import time
from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from ..errors import GliomaAIError
from ..imageio import image_from_array, mark_synthetic
from ..inference.engine import default_engine
from ..metrics import synthesis_metrics
from ..models.card import ModelCard, cached_network
from ..normalize import unit_range
from ..sequences import DESCRIPTIONS, SEQUENCES
from .preprocess import imputation_input, network_input, to_case_grid

SLICES_PER_BATCH = 16
# Not imputed before segmenting: in the cross-validation (docs/models/imputer/MODEL_CARD.md) an
# imputed T1c lowered the segmenter's TC / ET Dice from 0.58 / 0.47 to 0.25 / 0.17, while leaving
# it out gave 0.45 / 0.23; a synthesis cannot show contrast enhancement that is not in the others.
NOT_IMPUTED_FOR_SEGMENTATION = ("t1c",)
# Nothing is imputed before segmenting where neither of these was acquired: from T1-weighted images alone,
# imputed T2 and FLAIR segmented worse than none (scripts/impute_without_t2.py, 16 cases; T1 + T1c: TC / ET
# Dice 0.48 / 0.57 absent, 0.43 / 0.47 imputed), while beside an acquired FLAIR, imputed T1 and T2 helped.
NEEDED_TO_IMPUTE_FOR_SEGMENTATION = ("t2w", "t2f")
# A U-Net halves each side at every level: slices are padded up to a multiple of 2^5.
SIDE_MULTIPLE = 32


@dataclass
class ImputationResult:
    images: dict  # sequence -> sitk.Image (float32, 0..1, on the case's grid), each marked synthetic
    sources: tuple  # the sequences they were made from
    model: str
    model_version: str
    device: str
    seconds: float
    notes: list = field(default_factory=list)

    def case_with_imputed(self, case):
        """A copy of `case` with the synthetic sequences added and recorded as synthetic."""
        out = case.with_images(self.images)
        out.synthetic |= set(self.images)
        out.notes.append(f"Synthetic (imputed by {self.model} {self.model_version} from "
                         f"{', '.join(self.sources)}): {', '.join(self.images)}; not for reading.")
        return out


def synthetic_note(sequence: str, sources, model: str) -> str:
    """The header text of a synthetic image: what it is, from what, and that it is not for reading."""
    return (f"SYNTHETIC {sequence} imputed by {model} from {'+'.join(sources)}; "
            "not for diagnostic reading")


def predict(engine, network, channels: np.ndarray, available, progress=None, cancel=None,
            message: str = "imputing") -> np.ndarray:
    """The network's four sequences (4, z, y, x) in 0..1 from the cropped channels of the available ones."""
    import torch

    x = network_input(channels, available)
    roi = (1, *(-(-n // SIDE_MULTIPLE) * SIDE_MULTIPLE for n in x.shape[2:]))
    logits = engine.sliding_window(network, x, roi, overlap=0.0, batch_size=SLICES_PER_BATCH, progress=progress,
                                   cancel=cancel, message=message, mode="constant")
    return torch.sigmoid(torch.from_numpy(logits)).numpy()


class CardImputer:
    """The imputation network a model card describes."""

    def __init__(self, card: ModelCard):
        if card.task != "imputation":
            raise GliomaAIError(f"Model '{card.name}' is a {card.task} model.", "Choose an imputation model.")
        self.card = card
        self.name, self.version = card.name, card.version

    def impute(self, case, targets, engine, progress=None, cancel=None) -> dict:
        """{sequence: (z, y, x) float32 in 0..1 on the case's grid} for each target, from every sequence of `case`."""
        model = imputation_input(case)
        available = np.array([s in case.images for s in SEQUENCES])
        predicted = predict(engine, cached_network(self.card, engine), model.channels, available, progress, cancel)
        return {s: to_case_grid(predicted[SEQUENCES.index(s)], model) for s in targets}


def keep_only(case, sequences):
    """A copy of the case with only `sequences` (to impute a present one from the others, as a check)."""
    out = case.with_images({})
    out.images = {s: image for s, image in case.images.items() if s in sequences}
    return out


def impute_case(case, sequences=None, model="imputer", engine=None, progress=None, cancel=None) -> ImputationResult:
    """Synthesise `sequences` (default: the case's missing ones) from the case's other sequences."""
    from ..models.registry import load_imputer

    started = time.perf_counter()
    targets = tuple(s for s in SEQUENCES if s in (sequences or case.missing))
    unknown = set(sequences or ()) - set(SEQUENCES)
    if unknown:
        raise GliomaAIError(f"Unknown sequence(s): {', '.join(sorted(unknown))}.",
                            f"Name sequences among: {', '.join(SEQUENCES)}.")
    if not targets:
        raise GliomaAIError(f"Case '{case.name}' has all four sequences: nothing is missing.",
                            "Name the sequences to synthesise (--sequences t1c) to check the model against real ones.")
    sources = tuple(s for s in case.present if s not in targets)
    if not sources:
        raise GliomaAIError(f"Case '{case.name}' has no sequence left to impute {', '.join(targets)} from.",
                            "Load at least one sequence besides those to synthesise.")
    imputer = load_imputer(model) if not hasattr(model, "impute") else model
    engine = engine or default_engine()
    present = keep_only(case, sources)
    arrays = imputer.impute(present, targets, engine, progress, cancel)
    images = {}
    for sequence, array in arrays.items():
        image = image_from_array(array, case.reference)
        images[sequence] = mark_synthetic(image, synthetic_note(sequence, sources, f"{imputer.name} {imputer.version}"))
    notes = [f"Synthetic {', '.join(DESCRIPTIONS[s] for s in targets)} from {', '.join(sources)}: "
             "for computation (segmentation), not for reading."]
    if case.synthetic & set(sources):
        notes.append(f"Made from synthetic inputs ({', '.join(sorted(case.synthetic & set(sources)))}).")
    notes += [present.brain_note] if present.brain_note else []
    return ImputationResult(images, sources, imputer.name, imputer.version, engine.device,
                            round(time.perf_counter() - started, 2), notes)


def impute_for_segmentation(case, engine=None, progress=None, cancel=None) -> tuple:
    """(case, notes): the missing sequences imputed, except those that measured worse imputed than absent, and
    none where neither T2 nor FLAIR was acquired."""
    acquired = set(case.present) - case.synthetic
    if case.missing and not acquired & set(NEEDED_TO_IMPUTE_FOR_SEGMENTATION):
        return case, [f"{', '.join(case.missing)} missing and left out, not imputed: with neither T2 nor FLAIR "
                      "acquired, imputed sequences segmented worse than none in cross-validation."]
    targets = [s for s in case.missing if s not in NOT_IMPUTED_FOR_SEGMENTATION]
    out = impute_case(case, targets, "default", engine, progress, cancel).case_with_imputed(case) if targets else case
    skipped = [s for s in case.missing if s in NOT_IMPUTED_FOR_SEGMENTATION]
    notes = [f"{', '.join(skipped)} missing and left out, not imputed: imputed, it segmented worse than absent "
             "in cross-validation."] if skipped else []
    return out, notes


def quality_against_real(case, result) -> dict:
    """PSNR, SSIM, MAE, MSE of each synthesised sequence the case also holds, against that image, inside the brain."""
    brain = case.brain_mask_array()
    scores = {}
    for sequence, image in result.images.items():
        if sequence in case.images:
            scores[sequence] = synthesis_metrics(sitk.GetArrayFromImage(image), unit_range(case.array(sequence), brain),
                                                 brain, data_range=1.0)
    return scores
