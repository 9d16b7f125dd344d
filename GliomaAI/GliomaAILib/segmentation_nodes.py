"""Tumour labels <-> a segmentation node with named, coloured, coded segments NETC, SNFH, ET.

Segments are identified by the canonical class names and carry the class colour and its
DICOM/SNOMED-CT terminology (labels.CLASSES), as Slicer's Segment Editor stores it. All three
segments exist even when empty, so "no enhancing tumour" survives a round trip as an empty ET.
Label values in any convention of gliomaai.labels go in and come out.
"""

import numpy as np
import SimpleITK as sitk
import slicer
import vtk
from slicer.util import arrayFromVolume, updateVolumeFromArray

from gliomaai import labels as label_conventions
from gliomaai.errors import GliomaAIError

# Terminology context of Slicer's DICOM master list, which holds all three type codes.
TERMINOLOGY_CONTEXT = "Segmentation category and type - DICOM master list"
SEGMENT_IDS = tuple(c.name for c in label_conventions.CLASSES)  # canonical value order: 1, 2, 3
CONVENTION_ATTRIBUTE = "GliomaAI.LabelConvention"  # the convention the labels came in
_PRIORITY = (label_conventions.SNFH, label_conventions.NETC, label_conventions.ET)  # lowest first


def terminology_entry(tumour_class) -> str:
    """The class's terminology in Slicer's serialized form (the segment tag 'TerminologyEntry')."""
    (cat_code, cat_scheme, cat_meaning), (type_code, type_scheme, type_meaning) = tumour_class.category, tumour_class.type
    return slicer.vtkSlicerTerminologiesModuleLogic.SerializeTerminologyEntry(
        TERMINOLOGY_CONTEXT, cat_code, cat_scheme, cat_meaning, type_code, type_scheme, type_meaning,
        "", "", "",  # no type modifier
        "", "", "", "", "", "", "")  # no anatomic region


def _canonical_array(labels, convention: str, source: str) -> np.ndarray:
    array = sitk.GetArrayFromImage(labels) if isinstance(labels, sitk.Image) else np.asarray(labels)
    return label_conventions.to_canonical(array, convention, source)


def _reference_shape(reference_node) -> tuple:
    """(z, y, x) voxels of the reference volume, or an error if there is none."""
    if reference_node is None or reference_node.GetImageData() is None:
        raise GliomaAIError("No reference volume for the segmentation.", "Choose the case volume the labels are on.")
    return tuple(reversed(reference_node.GetImageData().GetDimensions()))


def _temporary_labelmap(scene, reference_node, name: str):
    labelmap = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", name)
    labelmap.SetHideFromEditors(True)
    labelmap.CopyOrientation(reference_node)
    return labelmap


def labels_to_segmentation(scene, labels, reference_node, convention: str = label_conventions.CANONICAL,
                           name: str | None = None, segmentation_node=None):
    """A segmentation node of `labels` (array (z, y, x) or image in `convention`) on `reference_node`'s grid.

    With `segmentation_node`, that node's segments are replaced instead of making a new node.
    """
    reference_dims = _reference_shape(reference_node)
    canonical = _canonical_array(labels, convention, name or "labels")
    if canonical.shape != reference_dims:
        raise GliomaAIError(f"Labels of shape {canonical.shape} do not fit {reference_node.GetName()} "
                            f"{reference_dims}.", "Give labels made on this case's images.")
    if segmentation_node is None:
        segmentation_node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode",
                                                    name or f"{reference_node.GetName()} segmentation")
    segmentation_node.SetReferenceImageGeometryParameterFromVolumeNode(reference_node)
    segmentation = segmentation_node.GetSegmentation()
    segmentation.RemoveAllSegments()
    for tumour_class in label_conventions.CLASSES:
        added = segmentation.AddEmptySegment(tumour_class.name, tumour_class.name, tumour_class.color)
        if added != tumour_class.name:
            raise RuntimeError("Segments cannot be added: the Segmentations module logic is not set up.")
        segmentation.GetSegment(added).SetTerminology(terminology_entry(tumour_class))
    _import_labels(scene, canonical, reference_node, segmentation_node, SEGMENT_IDS)
    segmentation_node.SetAttribute(CONVENTION_ATTRIBUTE, convention)
    return segmentation_node


def mask_to_segmentation(scene, mask: np.ndarray, reference_node, name: str, segment_name: str, color):
    """A new segmentation node of one segment, `mask` (z, y, x) on `reference_node`'s grid."""
    segmentation_node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name)
    segmentation_node.SetReferenceImageGeometryParameterFromVolumeNode(reference_node)
    if segmentation_node.GetSegmentation().AddEmptySegment(segment_name, segment_name, color) != segment_name:
        scene.RemoveNode(segmentation_node)
        raise RuntimeError("Segments cannot be added: the Segmentations module logic is not set up.")
    _import_labels(scene, mask.astype(np.uint8), reference_node, segmentation_node, (segment_name,))
    return segmentation_node


def _import_labels(scene, values: np.ndarray, reference_node, segmentation_node, segment_ids) -> None:
    """Label value n of `values` into the segment segment_ids[n - 1] (segments that exist already)."""
    labelmap = _temporary_labelmap(scene, reference_node, "GliomaAI labels import")
    try:
        updateVolumeFromArray(labelmap, values.astype(np.uint8, copy=False))
        ids = vtk.vtkStringArray()
        for segment_id in segment_ids:
            ids.InsertNextValue(segment_id)
        if not slicer.vtkSlicerSegmentationsModuleLogic.ImportLabelmapToSegmentationNode(
                labelmap, segmentation_node, ids):
            raise GliomaAIError("The labels could not be imported into a segmentation.",
                                "Check that the reference volume holds image data.")
    finally:
        scene.RemoveNode(labelmap)
    if segmentation_node.GetDisplayNode() is None:
        segmentation_node.CreateDefaultDisplayNodes()


def tumour_segment_ids(segmentation_node) -> dict:
    """{class name: segment ID} of the tumour segments, found by name (then by ID); unknown ones are an error."""
    segmentation = segmentation_node.GetSegmentation()
    found, unknown = {}, []
    names = {c.name.lower(): c.name for c in label_conventions.CLASSES}
    for index in range(segmentation.GetNumberOfSegments()):
        segment_id = segmentation.GetNthSegmentID(index)
        key = segmentation.GetSegment(segment_id).GetName().strip().lower()
        class_name = names.get(key) or names.get(segment_id.lower())
        if class_name is None:
            unknown.append(segmentation.GetSegment(segment_id).GetName())
        elif class_name in found:
            raise GliomaAIError(f"{segmentation_node.GetName()}: two segments are named {class_name}.",
                                "Rename or remove one of them.")
        else:
            found[class_name] = segment_id
    if unknown:
        raise GliomaAIError(f"{segmentation_node.GetName()}: segments {unknown} are not tumour classes.",
                            f"Name segments {', '.join(SEGMENT_IDS)} (or remove the others).")
    return found


def segmentation_to_labels(segmentation_node, reference_node, convention: str = label_conventions.CANONICAL) -> np.ndarray:
    """The segmentation as a uint8 label array (z, y, x) on `reference_node`'s grid, in `convention`."""
    scene = segmentation_node.GetScene()
    segment_ids = tumour_segment_ids(segmentation_node)
    # Where drawn segments overlap, the later one wins: ET over NETC over SNFH, core over edema.
    ordered = [c for c in sorted(label_conventions.CLASSES, key=lambda c: _PRIORITY.index(c.value))
               if c.name in segment_ids]
    canonical_of_index = np.array([0] + [c.value for c in ordered], dtype=np.uint8)
    shape = _reference_shape(reference_node)
    if not ordered:
        return label_conventions.from_canonical(np.zeros(shape, dtype=np.uint8), convention)
    labelmap = _temporary_labelmap(scene, reference_node, "GliomaAI labels export")
    try:
        if not slicer.vtkSlicerSegmentationsModuleLogic.ExportSegmentsToLabelmapNode(
                segmentation_node, [segment_ids[c.name] for c in ordered], labelmap, reference_node):
            raise GliomaAIError(f"{segmentation_node.GetName()}: the segments could not be exported.",
                                "Check that the reference volume holds image data.")
        exported = np.array(arrayFromVolume(labelmap), copy=True)
    finally:
        scene.RemoveNode(labelmap)
    if exported.shape != shape:
        raise GliomaAIError(f"{segmentation_node.GetName()}: exported labels of shape {exported.shape} do not fit "
                            f"the reference {shape}.", "Choose the reference volume the segmentation was made on.")
    return label_conventions.from_canonical(canonical_of_index[exported], convention)
