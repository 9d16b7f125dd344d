"""Imputation on volumes of the scene: the missing sequences as new volume nodes, marked synthetic everywhere.

As for segmentation, the work splits in three so the panel can run the middle part off the GUI
thread: `prepare_imputation` (main thread: the chosen volumes into a Case, the imputer loaded),
`ImputationRun.impute` (any thread: touches no node), `ImputationRun.add_to_scene` (main thread:
new nodes, never replacing one). Each node is named "<case> <sequence> synthetic", carries the
attribute GliomaAI.Synthetic = 1 with the imputer's provenance, says in its description that it
is not for reading, and saves to a file whose name says "synthetic".
"""

from dataclasses import dataclass, field

from gliomaai.sequences import DESCRIPTIONS, SEQUENCES

from .case_nodes import (CASE_ATTRIBUTE, ROLE_ATTRIBUTE, SEQUENCE_ATTRIBUTE, SYNTHETIC_ATTRIBUTE, case_from_volumes,
                         checked_inputs, volume_name)
from .volumes import add_volume_node, free_name
from .worker import BackgroundRun

IMPUTER_ATTRIBUTE = "GliomaAI.Imputer"  # model and version
SOURCES_ATTRIBUTE = "GliomaAI.ImputedFrom"  # the sequences it was made from
SYNTHETIC_DESCRIPTION = "SYNTHETIC (imputed): for computation such as segmentation, never for diagnostic reading"


def sequence_slots(volumes_by_sequence: dict) -> dict:
    """{sequence: 'present' | 'synthetic' | 'missing'} for the panel's four slots."""
    out = {}
    for sequence in SEQUENCES:
        node = volumes_by_sequence.get(sequence)
        out[sequence] = ("missing" if node is None else
                         "synthetic" if node.GetAttribute(SYNTHETIC_ATTRIBUTE) == "1" else "present")
    return out


@dataclass
class ImputedNodes:
    volumes: dict  # sequence -> new vtkMRMLScalarVolumeNode, marked synthetic
    quality: dict = field(default_factory=dict)  # sequence -> PSNR/SSIM/MAE/MSE against a real one, where loaded
    notes: list = field(default_factory=list)


class ImputationRun:
    """One imputation: the Case and model fixed on the main thread, impute anywhere, add on the main thread."""

    def __init__(self, case, imputer, engine, targets):
        self.case, self.imputer, self.engine, self.targets = case, imputer, engine, targets

    def impute(self, progress=None, cancel=None):
        from gliomaai.imputation.imputer import impute_case

        return impute_case(self.case, self.targets, self.imputer, self.engine, progress, cancel)

    def add_to_scene(self, scene, result) -> ImputedNodes:
        from gliomaai.imputation.imputer import quality_against_real

        made = {}
        for sequence, image in result.images.items():
            node = add_volume_node(scene, image, free_name(scene, volume_name(self.case.name, sequence, True)))
            for attribute, value in ((CASE_ATTRIBUTE, self.case.name), (ROLE_ATTRIBUTE, "sequence"),
                                     (SEQUENCE_ATTRIBUTE, sequence), (SYNTHETIC_ATTRIBUTE, "1"),
                                     (IMPUTER_ATTRIBUTE, f"{result.model} {result.model_version}"),
                                     (SOURCES_ATTRIBUTE, ",".join(result.sources))):
                node.SetAttribute(attribute, value)
            node.SetDescription(f"{DESCRIPTIONS[sequence]} - {SYNTHETIC_DESCRIPTION}. Imputed by {result.model} "
                                f"{result.model_version} from {', '.join(result.sources)}.")
            made[sequence] = node
        return ImputedNodes(made, quality_against_real(self.case, result), list(result.notes))


def prepare_imputation(volumes_by_sequence: dict, sequences=None, model="default", device: str = "auto",
                       engine=None, case_name: str | None = None) -> ImputationRun:
    """Read the volumes into a Case and load the imputer (main thread); errors here are the user's to fix.

    `sequences` are those to synthesise: by default the empty slots; a filled slot named here is
    synthesised from the others, so its quality can be measured against the real one.
    """
    from gliomaai.inference.engine import default_engine
    from gliomaai.models.registry import load_imputer

    checked_inputs(volumes_by_sequence)
    case = case_from_volumes(volumes_by_sequence, case_name)
    imputer = load_imputer(model or "default") if not hasattr(model, "impute") else model
    return ImputationRun(case, imputer, engine or default_engine(device or "auto"), tuple(sequences or ()) or None)


def run_imputation(scene, volumes_by_sequence: dict, sequences=None, model="default", device: str = "auto",
                   progress=None, cancel=None, engine=None) -> ImputedNodes:
    """Impute and add the synthetic volumes to the scene; cancelling raises Cancelled and adds nothing."""
    run = prepare_imputation(volumes_by_sequence, sequences, model, device, engine)
    return run.add_to_scene(scene, run.impute(progress, cancel))


class BackgroundImputation(BackgroundRun):
    """The panel's "Impute missing": prepared on the main thread, imputed in a worker thread."""

    def __init__(self, run: ImputationRun):
        super().__init__(run.impute, run.add_to_scene, name=f"GliomaAI imputation for {run.case.name}")
        self.run = run
