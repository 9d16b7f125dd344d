"""Writing and reading volumes (NRRD, NIfTI) and segmentations (.seg.nrrd) with Slicer's storage nodes.

Storage nodes are what desktop Slicer itself saves and loads with, and they need no Qt, so
results written here open in Slicer (and in ITK-based tools) with their geometry. Voxels come
back unchanged; geometry to the precision of the format (NRRD writes doubles as text, NIfTI
keeps single precision in its header). Slicer's reader reverses the slice order of a
left-handed (mirrored) frame: the voxels stay where they were, in another index order
(volumes.voxel_correspondence finds it).
"""

from pathlib import Path

from gliomaai.errors import GliomaAIError

VOLUME_SUFFIXES = (".nrrd", ".nhdr", ".nii.gz", ".nii", ".mha", ".mhd")
SEGMENTATION_SUFFIX = ".seg.nrrd"


def _suffix_of(path: Path, suffixes) -> str | None:
    name = path.name.lower()
    return next((s for s in suffixes if name.endswith(s)), None)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (SEGMENTATION_SUFFIX,) + VOLUME_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _storage_node(scene, node, storage_class: str, path: Path):
    """The node's storage node of `storage_class` (made and added if it has none) pointing at `path`."""
    storage = node.GetStorageNode() if node is not None else None
    if storage is None or not storage.IsA(storage_class):
        storage = scene.AddNewNodeByClass(storage_class)
        if node is not None:
            node.SetAndObserveStorageNodeID(storage.GetID())
    storage.SetFileName(str(path))
    return storage


def save_volume(node, path, compress: bool = True) -> Path:
    """Write a scalar or labelmap volume node to NRRD or NIfTI (format from the suffix)."""
    path = Path(path)
    if _suffix_of(path, VOLUME_SUFFIXES) is None:
        raise GliomaAIError(f"{path.name}: not a volume file name.", f"End it with one of {', '.join(VOLUME_SUFFIXES)}.")
    if node is None or node.GetImageData() is None:
        raise GliomaAIError(f"Nothing to write to {path.name}: no volume.", "Choose a volume that holds image data.")
    path.parent.mkdir(parents=True, exist_ok=True)
    storage = _storage_node(node.GetScene(), node, "vtkMRMLVolumeArchetypeStorageNode", path)
    storage.SetUseCompression(compress)
    if not storage.WriteData(node):
        raise GliomaAIError(f"{path}: the volume could not be written.", "Check that the folder is writable.")
    return path


def load_volume(scene, path, name: str | None = None, labelmap: bool = False):
    """Read NRRD, NIfTI or MHA into a new scalar (or labelmap) volume node."""
    path = Path(path)
    if not path.is_file():
        raise GliomaAIError(f"{path}: no such file.", "Check the path.")
    node = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode" if labelmap else "vtkMRMLScalarVolumeNode",
                                   name or _stem(path))
    storage = _storage_node(scene, node, "vtkMRMLVolumeArchetypeStorageNode", path)
    storage.SetSingleFile(True)  # never assemble a series from neighbouring files
    if not storage.ReadData(node) or node.GetImageData() is None:
        scene.RemoveNode(storage)
        scene.RemoveNode(node)
        raise GliomaAIError(f"{path}: cannot be read as a volume.", "Give a NRRD, NIfTI or MHA file.")
    if node.GetDisplayNode() is None:
        node.CreateDefaultDisplayNodes()
    return node


def save_segmentation(node, path, compress: bool = True) -> Path:
    """Write a segmentation node to a .seg.nrrd file (segment names, colours and terminology included)."""
    path = Path(path)
    if not path.name.lower().endswith(SEGMENTATION_SUFFIX):
        raise GliomaAIError(f"{path.name}: a segmentation file must end with {SEGMENTATION_SUFFIX}.",
                            f"Name it for example '{_stem(path)}{SEGMENTATION_SUFFIX}', or export a label map instead.")
    path.parent.mkdir(parents=True, exist_ok=True)
    storage = _storage_node(node.GetScene(), node, "vtkMRMLSegmentationStorageNode", path)
    storage.SetUseCompression(compress)
    if not storage.WriteData(node):
        raise GliomaAIError(f"{path}: the segmentation could not be written.", "Check that the folder is writable.")
    return path


def load_segmentation(scene, path, name: str | None = None):
    """Read a .seg.nrrd file into a new segmentation node."""
    path = Path(path)
    if not path.is_file():
        raise GliomaAIError(f"{path}: no such file.", "Check the path.")
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name or _stem(path))
    storage = _storage_node(scene, node, "vtkMRMLSegmentationStorageNode", path)
    if not storage.ReadData(node):
        scene.RemoveNode(storage)
        scene.RemoveNode(node)
        raise GliomaAIError(f"{path}: cannot be read as a segmentation.",
                            "Give a .seg.nrrd file, or load a label map with GliomaAISegment.")
    if node.GetDisplayNode() is None:
        node.CreateDefaultDisplayNodes()
    return node
