"""A Case <-> volume and segmentation nodes in the scene.

Each sequence becomes a scalar volume node named "<case> <sequence>" ("<case> <sequence>
synthetic" for a synthesized one, never to be read clinically) with attributes naming the case
and the sequence; the brain mask a labelmap node; the labels a segmentation node. Reading the
nodes back gives the same images, voxel for voxel and with the same geometry.
"""

from dataclasses import dataclass, field

from gliomaai import labels as label_conventions
from gliomaai.errors import GliomaAIError
from gliomaai.geometry import Grid
from gliomaai.sequences import DESCRIPTIONS, SEQUENCES

from .segmentation_nodes import CONVENTION_ATTRIBUTE, labels_to_segmentation, segmentation_to_labels
from .volumes import add_volume_node, node_to_image

CASE_ATTRIBUTE = "GliomaAI.Case"
SEQUENCE_ATTRIBUTE = "GliomaAI.Sequence"
SYNTHETIC_ATTRIBUTE = "GliomaAI.Synthetic"
ROLE_ATTRIBUTE = "GliomaAI.Role"  # "sequence", "brain mask" or "labels"


@dataclass
class CaseNodes:
    """The nodes of one case in the scene."""
    name: str
    volumes: dict = field(default_factory=dict)  # sequence -> vtkMRMLScalarVolumeNode, in SEQUENCES order
    brain_mask: object = None  # vtkMRMLLabelMapVolumeNode
    segmentation: object = None  # vtkMRMLSegmentationNode

    @property
    def reference(self):
        if not self.volumes:
            raise GliomaAIError(f"Case '{self.name}' has no volume in the scene.", "Load the case first.")
        return next(self.volumes[s] for s in SEQUENCES if s in self.volumes)


def volume_name(case_name: str, sequence: str, synthetic: bool = False) -> str:
    return f"{case_name} {sequence} synthetic" if synthetic else f"{case_name} {sequence}"


def case_to_nodes(scene, case) -> CaseNodes:
    """Put the case's sequences, brain mask and labels into the scene."""
    nodes = CaseNodes(case.name)
    for sequence in case.present:
        synthetic = sequence in case.synthetic
        node = add_volume_node(scene, case.images[sequence], volume_name(case.name, sequence, synthetic))
        node.SetAttribute(CASE_ATTRIBUTE, case.name)
        node.SetAttribute(ROLE_ATTRIBUTE, "sequence")
        node.SetAttribute(SEQUENCE_ATTRIBUTE, sequence)
        node.SetDescription(DESCRIPTIONS[sequence] + (" - SYNTHETIC, not for clinical reading" if synthetic else ""))
        if synthetic:
            node.SetAttribute(SYNTHETIC_ATTRIBUTE, "1")
        nodes.volumes[sequence] = node
    if case.brain_mask is not None:
        nodes.brain_mask = add_volume_node(scene, case.brain_mask, f"{case.name} brain mask", labelmap=True)
        nodes.brain_mask.SetAttribute(CASE_ATTRIBUTE, case.name)
        nodes.brain_mask.SetAttribute(ROLE_ATTRIBUTE, "brain mask")
    if case.labels is not None:
        nodes.segmentation = labels_to_segmentation(scene, case.labels, nodes.reference,
                                                    name=f"{case.name} segmentation")
        # The labels are stored canonical; remember the convention they were read in.
        nodes.segmentation.SetAttribute(CONVENTION_ATTRIBUTE, case.label_convention or label_conventions.CANONICAL)
        nodes.segmentation.SetAttribute(CASE_ATTRIBUTE, case.name)
        nodes.segmentation.SetAttribute(ROLE_ATTRIBUTE, "labels")
    return nodes


def load_case_nodes(scene, source, **load_case_options) -> CaseNodes:
    """Load a case folder (or {sequence: path}) with gliomaai.case.load_case and put it into the scene."""
    from gliomaai.case import load_case  # on use: the case module needs scipy

    return case_to_nodes(scene, load_case(source, **load_case_options))


def find_case_nodes(scene, case_name: str) -> CaseNodes:
    """The nodes of a case that case_to_nodes put into the scene (found by their attributes)."""
    nodes = CaseNodes(case_name)
    for class_name in ("vtkMRMLScalarVolumeNode", "vtkMRMLSegmentationNode"):
        for node in _nodes_of_class(scene, class_name):
            if node.GetAttribute(CASE_ATTRIBUTE) != case_name:
                continue
            role = node.GetAttribute(ROLE_ATTRIBUTE)
            if role == "sequence" and node.GetAttribute(SEQUENCE_ATTRIBUTE) in SEQUENCES:
                nodes.volumes[node.GetAttribute(SEQUENCE_ATTRIBUTE)] = node
            elif role == "brain mask":
                nodes.brain_mask = node
            elif role == "labels":
                nodes.segmentation = node
    nodes.volumes = {s: nodes.volumes[s] for s in SEQUENCES if s in nodes.volumes}
    if not nodes.volumes:
        raise GliomaAIError(f"No volume of case '{case_name}' in the scene.", "Load the case first.")
    return nodes


def case_names(scene) -> list:
    """Names of the cases whose volumes are in the scene."""
    names = {n.GetAttribute(CASE_ATTRIBUTE) for n in _nodes_of_class(scene, "vtkMRMLScalarVolumeNode")}
    return sorted(n for n in names if n)


def case_of_node(node) -> str | None:
    """The case a node belongs to, if GliomaAI put it into the scene."""
    return node.GetAttribute(CASE_ATTRIBUTE) if node is not None else None


def nodes_to_case(nodes: CaseNodes):
    """Read the nodes back into a Case (SimpleITK images, canonical labels)."""
    from gliomaai.case import Case  # imported on use: the case module needs scipy, not needed to load this one

    images, synthetic = {}, set()
    for sequence, node in nodes.volumes.items():
        if sequence not in SEQUENCES:
            raise GliomaAIError(f"Unknown sequence '{sequence}'.", f"Use one of {', '.join(SEQUENCES)}.")
        images[sequence] = node_to_image(node)
        if node.GetAttribute(SYNTHETIC_ATTRIBUTE) == "1":
            synthetic.add(sequence)
    case = Case(nodes.name, images, synthetic=synthetic,
                sources={s: f"scene node {n.GetName()}" for s, n in nodes.volumes.items()})
    if nodes.brain_mask is not None:
        case.brain_mask = node_to_image(nodes.brain_mask)
    if nodes.segmentation is not None:
        case.set_labels(segmentation_to_labels(nodes.segmentation, nodes.reference), label_conventions.CANONICAL,
                        nodes.segmentation.GetName())
        case.label_convention = nodes.segmentation.GetAttribute(CONVENTION_ATTRIBUTE) or label_conventions.CANONICAL
    case.check_grid()
    return case


def _nodes_of_class(scene, class_name: str) -> list:
    return [scene.GetNthNodeByClass(i, class_name) for i in range(scene.GetNumberOfNodesByClass(class_name))]


# A Case from volumes a person chose ----------------------------------------------------------

def checked_inputs(volumes_by_sequence: dict) -> dict:
    unknown = [s for s in volumes_by_sequence if s not in SEQUENCES]
    if unknown:
        raise GliomaAIError(f"Unknown sequences {unknown}.", f"Use {', '.join(SEQUENCES)}.")
    chosen = {s: volumes_by_sequence[s] for s in SEQUENCES if volumes_by_sequence.get(s) is not None}
    if not chosen:
        raise GliomaAIError("No input volume is chosen.",
                            "Choose at least one of T1, T1c, T2 and FLAIR (the default model takes any subset).")
    seen = {}
    for sequence, node in chosen.items():
        if node.GetImageData() is None:
            raise GliomaAIError(f"{node.GetName()} ({sequence}) holds no image data.", "Choose a loaded volume.")
        if node.GetID() in seen:
            raise GliomaAIError(f"{node.GetName()} is chosen as both {seen[node.GetID()]} and {sequence}.",
                                "Choose each sequence's own volume (leave missing ones empty).")
        seen[node.GetID()] = sequence
    return chosen


def case_from_volumes(volumes_by_sequence: dict, case_name: str | None = None):
    """A Case of the chosen volumes ({sequence: node or None}); they must share one voxel grid."""
    from gliomaai.case import Case

    chosen = checked_inputs(volumes_by_sequence)
    images = {s: node_to_image(n) for s, n in chosen.items()}
    first = next(iter(chosen))
    grid = Grid.of(images[first])
    for sequence, image in images.items():
        if not Grid.of(image).matches(grid):
            raise GliomaAIError(
                f"{chosen[sequence].GetName()} ({sequence}: {Grid.of(image).describe()}) is not on the voxel grid of "
                f"{chosen[first].GetName()} ({first}: {grid.describe()}).",
                "Choose volumes of one case on one grid, or register and resample them onto one first "
                "(for example with the General Registration (BRAINS) module).")
        image.CopyInformation(images[first])  # float noise of the header only: checked above
    case = Case(case_name or case_of_node(chosen[first]) or chosen[first].GetName(), images,
                synthetic=synthetic_inputs(chosen),
                sources={s: f"scene node {n.GetName()}" for s, n in chosen.items()})
    mask_node = _brain_mask_node(chosen[first])
    mask = node_to_image(mask_node) if mask_node is not None else None
    if mask is not None and Grid.of(mask).matches(grid):
        # The case's own brain mask, as the command line uses it (a scan that is not skull-stripped needs one
        # when it has no T1 to find the brain on).
        mask.CopyInformation(images[first])
        case.brain_mask = mask
        case.sources["brain mask"] = f"scene node {mask_node.GetName()}"
    case.check_grid()
    return case


def _brain_mask_node(volume_node):
    """The brain mask loaded with the case `volume_node` belongs to, if any."""
    case_name, scene = case_of_node(volume_node), volume_node.GetScene()
    if not case_name or scene is None:
        return None
    try:
        return find_case_nodes(scene, case_name).brain_mask
    except GliomaAIError:  # the case's sequences are gone from the scene: no mask of it either
        return None


def synthetic_inputs(nodes: dict) -> set:
    return {s for s, n in nodes.items() if n.GetAttribute(SYNTHETIC_ATTRIBUTE) == "1"}


def sequence_volumes(scene, volume_node) -> dict:
    """{sequence: node} of the case `volume_node` belongs to, to fill the four sequence selectors.

    A volume GliomaAI loaded knows its case; for any other, its sequence is guessed from its name
    (only that volume is returned).
    """
    if volume_node is None:
        return {}
    case_name = case_of_node(volume_node)
    if case_name:
        return dict(find_case_nodes(scene, case_name).volumes)
    from gliomaai.sequences import sequence_from_name

    sequence = volume_node.GetAttribute(SEQUENCE_ATTRIBUTE) or sequence_from_name(volume_node.GetName())
    return {sequence: volume_node} if sequence in SEQUENCES else {}
