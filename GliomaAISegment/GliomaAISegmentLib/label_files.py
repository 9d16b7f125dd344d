"""Label map files (NIfTI, NRRD; any label convention) <-> segmentation nodes on a case's volume."""

from pathlib import Path

import numpy as np
from slicer.util import arrayFromVolume, updateVolumeFromArray

from gliomaai import labels as label_conventions
from gliomaai.errors import GliomaAIError
from gliomaai.sequences import strip_image_extension
from GliomaAILib.case_nodes import CASE_ATTRIBUTE, ROLE_ATTRIBUTE, case_of_node
from GliomaAILib.segmentation_nodes import labels_to_segmentation, segmentation_to_labels
from GliomaAILib.storage import load_volume, save_volume
from GliomaAILib.volumes import array_on_grid_of

SOURCE_ATTRIBUTE = "GliomaAI.SourceFile"


def _remove_with_storage(scene, node) -> None:
    storage = node.GetStorageNode()
    scene.RemoveNode(node)
    if storage is not None:
        scene.RemoveNode(storage)


def load_label_file(scene, path, reference_node, convention: str | None = None, name: str | None = None,
                    segmentation_node=None):
    """A label map file as a segmentation (NETC, SNFH, ET) on `reference_node`.

    `convention` None guesses it from the values (BraTS 2015 if 3 and 4, 2021 if 4, else 2023).
    The file must hold the reference's voxels (its grid, in any axis order); anything else is
    refused rather than resampled.
    """
    path = Path(path)
    if reference_node is None or reference_node.GetImageData() is None:
        raise GliomaAIError("No reference volume to put the labels on.", "Choose the case volume the labels belong to.")
    labelmap = load_volume(scene, path, labelmap=True)
    try:
        try:
            array = array_on_grid_of(arrayFromVolume(labelmap), labelmap, reference_node)
        except GliomaAIError:
            raise GliomaAIError(f"{path.name}: its voxel grid differs from {reference_node.GetName()}'s.",
                                "Give the label map made on this case's images (same size, spacing and position).") \
                from None
        array = np.array(array, copy=True)
    finally:
        _remove_with_storage(scene, labelmap)
    if convention is None:
        convention = label_conventions.guess_convention(label_conventions.label_values(array))
    segmentation_node = labels_to_segmentation(scene, array, reference_node, convention,
                                               name=name or strip_image_extension(path.name),
                                               segmentation_node=segmentation_node)
    segmentation_node.SetAttribute(SOURCE_ATTRIBUTE, str(path))
    case_name = case_of_node(reference_node)
    if case_name:
        segmentation_node.SetAttribute(CASE_ATTRIBUTE, case_name)
        segmentation_node.SetAttribute(ROLE_ATTRIBUTE, "labels")
    return segmentation_node


def export_label_file(segmentation_node, reference_node, path, convention: str = label_conventions.CANONICAL) -> Path:
    """Write the segmentation as a uint8 label map in `convention`, on `reference_node`'s grid."""
    label_conventions.get_convention(convention)  # an unknown name fails before anything is written
    labels = segmentation_to_labels(segmentation_node, reference_node, convention)
    scene = segmentation_node.GetScene()
    labelmap = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", f"{segmentation_node.GetName()} {convention}")
    labelmap.SetHideFromEditors(True)
    try:
        labelmap.CopyOrientation(reference_node)
        updateVolumeFromArray(labelmap, labels)
        return save_volume(labelmap, path)
    finally:
        _remove_with_storage(scene, labelmap)


def default_export_name(segmentation_node, convention: str, suffix: str = ".nii.gz") -> str:
    """'<case or segmentation>-seg-<convention>.nii.gz'."""
    base = case_of_node(segmentation_node) or segmentation_node.GetName()
    return f"{base.replace(' ', '_')}-seg-{convention}{suffix}"
