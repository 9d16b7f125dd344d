"""Saving a person's correction of a model segmentation: scene -> gliomaai.corrections record, and its figures.

The corrected labels are the segmentation node as it is now (exported with
segmentation_to_labels on the grid the model saw); the model's labels are the hidden labelmap
kept with it (segmentation_run); the images are the volumes the model saw. The record is
written by gliomaai.corrections.save_correction, always into a new folder.
"""

from dataclasses import dataclass
from pathlib import Path

import SimpleITK as sitk

from gliomaai import corrections
from gliomaai.errors import GliomaAIError
from GliomaAILib.case_nodes import CASE_ATTRIBUTE, ROLE_ATTRIBUTE, synthetic_inputs
from GliomaAILib.segmentation_nodes import segmentation_to_labels
from GliomaAILib.tables import figures_table
from GliomaAILib.volumes import node_to_image

from .segmentation_run import input_volumes, model_nodes, provenance

COMPARISON_ROLE = "correction comparison"
RECORD_ATTRIBUTE = "GliomaAI.CorrectionRecord"  # on the segmentation node: the last record saved of it
COMPARISON_REFERENCE = "GliomaAI.Comparison"


@dataclass
class SavedCorrection:
    path: Path  # the new record folder
    record: dict  # its record.json
    comparison: object  # vtkMRMLTableNode of the comparison figures


def save_correction_from_scene(scene, segmentation_node, corrections_folder, note: str = "") -> SavedCorrection:
    """Save the edited model segmentation as a new correction record under `corrections_folder`."""
    if not corrections_folder or str(corrections_folder) in ("", "."):
        raise GliomaAIError("No corrections folder is chosen.", "Choose a folder to keep corrections in.")
    nodes = model_nodes(segmentation_node)
    if nodes.model_labels is None or nodes.model_labels.GetImageData() is None:
        raise GliomaAIError(f"{segmentation_node.GetName()}: the model's output kept with it is gone.",
                            "Re-run the segmentation; corrections are compared with the model's own output.")
    images = input_volumes(segmentation_node)
    run = provenance(segmentation_node)
    lost = [s for s in run.get("sequences", []) if s not in images]
    if lost:
        raise GliomaAIError(f"The volumes the model saw as {', '.join(lost)} are no longer in the scene.",
                            "Fine-tuning needs them: reload the case and save again, or re-run the segmentation.")
    model_image = node_to_image(nodes.model_labels)
    corrected = sitk.GetImageFromArray(segmentation_to_labels(segmentation_node, nodes.reference))
    corrected.CopyInformation(model_image)
    case_name = segmentation_node.GetAttribute(CASE_ATTRIBUTE) or segmentation_node.GetName()
    path = corrections.save_correction(
        corrections_folder, case_name, corrected, model_image,
        provenance={**run, "segmentation_node": segmentation_node.GetName()},
        images={s: node_to_image(n) for s, n in images.items()}, synthetic=synthetic_inputs(images), note=note)
    record = corrections.read_correction(path, verify=False).record
    table = comparison_table(scene, record, f"{segmentation_node.GetName()} correction {path.name}")
    table.SetAttribute(CASE_ATTRIBUTE, case_name)
    table.SetAttribute(ROLE_ATTRIBUTE, COMPARISON_ROLE)
    table.SetAttribute(RECORD_ATTRIBUTE, str(path))
    segmentation_node.SetAttribute(RECORD_ATTRIBUTE, str(path))
    segmentation_node.SetNodeReferenceID(COMPARISON_REFERENCE, table.GetID())
    return SavedCorrection(path, record, table)


COMPARISON_COLUMNS = (("dice", "Dice", ""), ("model_ml", "Model (mL)", "mL"), ("corrected_ml", "Corrected (mL)", "mL"),
                      ("added_ml", "Added (mL)", "mL"), ("removed_ml", "Removed (mL)", "mL"))


def comparison_table(scene, record: dict, name: str):
    """A table node of the record's comparison: one row per class/region, Dice and mL columns."""
    rows = {region: record["comparison"][region] for region in corrections.REGIONS}
    return figures_table(scene, name, "Region", rows, COMPARISON_COLUMNS)


def comparison_summary(record: dict) -> str:
    """One line for the panel: Dice and mL changed of the whole tumour, and how many voxels changed."""
    wt = record["comparison"]["WT"]
    return (f"Saved {record['case']}: WT Dice {wt['dice']:.3f}, "
            f"+{wt['added_ml']:.2f} mL / -{wt['removed_ml']:.2f} mL, "
            f"{record['comparison']['changed_voxels']} voxels changed.")
