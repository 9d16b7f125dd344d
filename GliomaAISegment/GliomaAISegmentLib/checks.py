"""Checks of GliomaAISegment's logic, shared by pytest and the Slicer self-test (see GliomaAILib.checks).

The model checks run a tiny model with random weights (write_tiny_model): what is checked is
the plumbing (nodes, provenance, corrections, cancel), which does not depend on the model
being any good, and it runs in about a second per case on a CPU.
"""

import json
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from gliomaai import labels as label_conventions
from gliomaai.errors import GliomaAIError
from GliomaAILib import case_nodes, samples
from GliomaAILib.case_nodes import ROLE_ATTRIBUTE, case_to_nodes
from GliomaAILib.checks import check_segments
from GliomaAILib.tables import table_rows
from GliomaAILib.segmentation_nodes import labels_to_segmentation, segmentation_to_labels
from GliomaAILib.volumes import add_volume_node, node_to_image

from . import correction_nodes, segmentation_run
from .label_files import export_label_file, load_label_file


def check_label_file_round_trip(scene, case, path, convention: str, guess: bool = False):
    """segmentation -> label file in `convention` -> segmentation: what the convention can hold, exactly.

    The file holds the labels in `convention` on the case's grid (as ITK reads it); loading it
    back (with the convention given, or guessed from the values) gives the same canonical labels,
    up to what the convention cannot express (AURORA has no ET, binary only the whole tumour).
    """
    path = Path(path)
    reference = add_volume_node(scene, case.reference, f"{case.name} reference")
    original = labels_to_segmentation(scene, case.label_array(), reference, name=f"{case.name} labels")
    written = export_label_file(original, reference, path, convention)
    image = sitk.ReadImage(str(written))
    expected = label_conventions.from_canonical(case.label_array(), convention)
    assert sitk.GetArrayViewFromImage(image).dtype == np.uint8, f"{path.name}: not uint8"
    assert np.array_equal(sitk.GetArrayViewFromImage(image), expected), f"{path.name}: labels differ"
    assert np.allclose(image.GetOrigin(), case.reference.GetOrigin(), atol=1e-4), f"{path.name}: origin"
    assert np.allclose(image.GetDirection(), case.reference.GetDirection(), atol=1e-6), f"{path.name}: axes"
    assert np.allclose(image.GetSpacing(), case.reference.GetSpacing(), atol=1e-6), f"{path.name}: spacing"
    loaded = load_label_file(scene, written, reference, None if guess else convention)
    check_segments(loaded)
    back = segmentation_to_labels(loaded, reference)
    assert np.array_equal(back, label_conventions.to_canonical(expected, convention)), \
        f"{path.name}: {int(np.count_nonzero(back != label_conventions.to_canonical(expected, convention)))} voxels differ"
    assert np.array_equal(segmentation_to_labels(loaded, reference, convention), expected)
    return loaded


# Model runs ----------------------------------------------------------------------------------------

def write_tiny_model(folder, spacing_mm: float = 2.0, seed: int = 0, required=(), version: str = "0.1") -> Path:
    """A model card and random weights of the default architecture in `folder`; the card's path."""
    from gliomaai.models.untrained import write_untrained_model

    return write_untrained_model(folder, spacing_mm=spacing_mm, seed=seed, required=required, version=version,
                                 name="tiny-random")


def cpu_engine():
    from gliomaai.inference.engine import InferenceEngine

    return InferenceEngine("cpu")


def _expected_volumes(labels: np.ndarray, spacing) -> dict:
    voxel_ml = float(np.prod(spacing)) / 1000.0
    values = {"NETC": (1,), "SNFH": (2,), "ET": (3,), "WT": (1, 2, 3), "TC": (1, 3)}
    return {r: int(np.isin(labels, v).sum()) * voxel_ml for r, v in values.items()}


def _scene_node_ids(scene) -> set:
    return {scene.GetNthNode(i).GetID() for i in range(scene.GetNumberOfNodes())}


def check_model_run(scene, volumes_by_sequence: dict, model, engine=None, tta: bool = False):
    """A run adds a new segmentation (NETC, SNFH, ET, terminology), provenance, model labels, uncertainty, volumes."""
    from gliomaai.models.card import read_card

    chosen = {s: n for s, n in volumes_by_sequence.items() if n is not None}
    progress = []
    before = _scene_node_ids(scene)
    nodes = segmentation_run.run_segmentation(scene, volumes_by_sequence, model, "cpu", tta,
                                              progress=lambda f, m: progress.append((f, m)),
                                              engine=engine or cpu_engine())
    segmentation = nodes.segmentation
    assert segmentation.GetID() not in before, "an existing node was reused"
    check_segments(segmentation)
    assert segmentation.GetAttribute(ROLE_ATTRIBUTE) == segmentation_run.MODEL_ROLE
    assert segmentation_run.is_model_segmentation(segmentation)
    card = read_card(model)
    made = segmentation_run.provenance(segmentation)
    assert made["model"] == card.name and made["model_version"] == card.version, made
    assert made["model_sha256"] == card.sha256 and made["device"] == "cpu" and made["tta"] is tta, made
    assert made["sequences"] == list(chosen), f"sequences {made['sequences']} != {list(chosen)}"
    assert made["notes"].startswith("Sequences used: "), made["notes"]
    assert datetime.fromisoformat(made["time"]).tzinfo is not None, made["time"]
    assert progress and progress[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in progress), progress[-3:]
    assert segmentation_run.input_volumes(segmentation) == chosen
    reference = next(iter(chosen.values()))
    assert nodes.reference is reference
    # The hidden model output equals what the segmentation holds before anyone edits it.
    model_labels = segmentation_run.model_labels_array(segmentation)
    assert nodes.model_labels.GetHideFromEditors(), "the model output must stay out of selectors and editors"
    assert np.array_equal(segmentation_to_labels(segmentation, reference), model_labels), "segments != model output"
    assert model_labels.dtype == np.uint8 and set(np.unique(model_labels)) <= {0, 1, 2, 3}
    spacing = reference.GetSpacing()
    expected = _expected_volumes(model_labels, spacing)
    rows = table_rows(nodes.volumes)
    assert list(rows) == list(segmentation_run.VOLUME_ROWS), list(rows)
    for region, value in expected.items():
        # The cell text has six significant digits (1354.19625 mL reads "1354.2").
        assert abs(float(rows[region][0]) - value) < 1e-3 + 1e-5 * value, f"{region}: {rows[region][0]} != {value}"
    check_foci(nodes, model_labels, reference)
    check_brain(nodes, made["notes"], reference)
    uncertainty = node_to_image(nodes.uncertainty)
    reference_image = node_to_image(reference)
    assert uncertainty.GetSize() == reference_image.GetSize()
    assert np.allclose(uncertainty.GetOrigin(), reference_image.GetOrigin(), atol=1e-6)
    values = sitk.GetArrayViewFromImage(uncertainty)
    assert values.dtype == np.float32 and values.min() >= 0 and values.max() <= 1, (values.min(), values.max())
    return nodes


def check_foci(nodes, model_labels: np.ndarray, reference) -> None:
    """Several separate parts of the whole tumour: a locked point list, one point per part, the first at
    the largest part's centre (found here through the reference volume's IJK-to-RAS matrix)."""
    import vtk
    from scipy import ndimage

    parts, count = ndimage.label(model_labels > 0, structure=np.ones((3, 3, 3)))
    if count < 2:
        assert nodes.foci is None, "a point list for a tumour in one part"
        return
    assert nodes.foci.GetNumberOfControlPoints() == count and nodes.foci.GetLocked()
    assert nodes.segmentation.GetNodeReference(segmentation_run.FOCI_REFERENCE) is nodes.foci
    largest = int(np.argmax(np.bincount(parts.ravel())[1:])) + 1
    k, j, i = ndimage.center_of_mass(parts == largest)
    matrix = vtk.vtkMatrix4x4()
    reference.GetIJKToRASMatrix(matrix)
    expected = matrix.MultiplyPoint((i, j, k, 1.0))[:3]
    position = [0.0, 0.0, 0.0]
    nodes.foci.GetNthControlPointPosition(0, position)
    assert np.allclose(position, expected, atol=0.06), f"focus 1 at {position}, its part's centre at {expected}"
    assert nodes.foci.GetNthControlPointLabel(0).startswith("focus 1: ")
    assert nodes.foci.GetNthControlPointDescription(1).endswith(" mm from focus 1")


def check_brain(nodes, notes: str, reference, expected: np.ndarray | None = None) -> None:
    """A brain found on a head scan (the notes say so) is in the scene as a cyan outline, referenced from the
    segmentation; with `expected`, it holds exactly those voxels. Skull-stripped images add no brain node."""
    from slicer.util import arrayFromSegmentBinaryLabelmap

    if "not skull-stripped" not in notes:
        assert nodes.brain is None, "a brain outline for skull-stripped images"
        return
    assert nodes.brain is not None and nodes.segmentation.GetNodeReference(segmentation_run.BRAIN_REFERENCE) is nodes.brain
    assert nodes.brain.GetAttribute(ROLE_ATTRIBUTE) == segmentation_run.BRAIN_ROLE
    display = nodes.brain.GetDisplayNode()
    assert display.GetVisibility2DOutline() and not display.GetVisibility2DFill() and not display.GetVisibility3D()
    segment_id = nodes.brain.GetSegmentation().GetSegmentIdBySegmentName(segmentation_run.BRAIN_SEGMENT)
    found = arrayFromSegmentBinaryLabelmap(nodes.brain, segment_id, reference) > 0
    assert found.any(), "an empty brain outline"
    if expected is not None:
        assert np.array_equal(found, expected), f"{int((found != expected).sum())} brain voxels differ"


def edit_like_the_editor(segmentation_node, reference_node) -> np.ndarray:
    """Erase every segment in a slab (where the model found most tumour) and paint a block of ET, as a
    person would with the Segment Editor's Erase and Paint; the canonical labels that must result.
    """
    from slicer.util import arrayFromSegmentBinaryLabelmap, updateSegmentBinaryLabelmapFromArray

    model = segmentation_to_labels(segmentation_node, reference_node)
    shape = model.shape
    tumour_per_slice = (model > 0).sum(axis=(1, 2))
    z = int(np.argmax(tumour_per_slice)) if tumour_per_slice.any() else shape[0] // 2
    slab = np.zeros(shape, dtype=bool)
    slab[max(0, z - 1):z + 2] = True
    block = np.zeros(shape, dtype=bool)
    centre = [n // 3 for n in shape]
    block[centre[0]:centre[0] + 3, centre[1]:centre[1] + 4, centre[2]:centre[2] + 4] = True
    for tumour_class in label_conventions.CLASSES:  # erase
        mask = (model == tumour_class.value) & ~slab
        updateSegmentBinaryLabelmapFromArray(mask.astype(np.uint8), segmentation_node, tumour_class.name,
                                             reference_node)
    et = (segmentation_to_labels(segmentation_node, reference_node) == label_conventions.ET) | block  # paint
    updateSegmentBinaryLabelmapFromArray(et.astype(np.uint8), segmentation_node, "ET", reference_node)
    expected = model.copy()
    expected[slab] = 0
    expected[block] = label_conventions.ET
    painted = arrayFromSegmentBinaryLabelmap(segmentation_node, "ET", reference_node)
    assert np.array_equal(painted > 0, expected == label_conventions.ET), "the painted ET segment differs"
    assert np.array_equal(segmentation_to_labels(segmentation_node, reference_node), expected), "edit not applied"
    return expected


def check_rerun_keeps_edits(scene, volumes_by_sequence: dict, model, engine=None):
    """A second run makes a second set of nodes (a counter in the name) and leaves the edited first one as it is."""
    engine = engine or cpu_engine()
    first = segmentation_run.run_segmentation(scene, volumes_by_sequence, model, "cpu", engine=engine)
    edited = edit_like_the_editor(first.segmentation, first.reference)
    first_model = segmentation_run.model_labels_array(first.segmentation)
    second = segmentation_run.run_segmentation(scene, volumes_by_sequence, model, "cpu", engine=engine)
    ids = {n.GetID() for n in (first.segmentation, first.model_labels, first.uncertainty, first.volumes)}
    assert not ids & {n.GetID() for n in (second.segmentation, second.model_labels, second.uncertainty, second.volumes)}
    assert second.segmentation.GetName() != first.segmentation.GetName()
    assert re.search(r" GliomaAI \(\d+\) segmentation$", second.segmentation.GetName()), second.segmentation.GetName()
    assert first.segmentation.GetScene() is scene, "the edited segmentation was removed"
    assert np.array_equal(segmentation_to_labels(first.segmentation, first.reference), edited), "the edits were lost"
    assert np.array_equal(segmentation_run.model_labels_array(first.segmentation), first_model)
    assert np.array_equal(segmentation_run.model_labels_array(second.segmentation), first_model), \
        "the same model on the same images gave another output"
    return first, second


def _expected_comparison(model: np.ndarray, corrected: np.ndarray, spacing) -> dict:
    """Dice, mL, mL added and removed per class/region, computed here from scratch."""
    voxel_ml = float(np.prod(spacing)) / 1000.0
    values = {"NETC": (1,), "SNFH": (2,), "ET": (3,), "WT": (1, 2, 3), "TC": (1, 3)}
    out = {}
    for region, v in values.items():
        m, c = np.isin(model, v), np.isin(corrected, v)
        total = int(m.sum()) + int(c.sum())
        out[region] = {"dice": 1.0 if total == 0 else 2.0 * int((m & c).sum()) / total,
                       "model_ml": int(m.sum()) * voxel_ml, "corrected_ml": int(c.sum()) * voxel_ml,
                       "added_ml": int((c & ~m).sum()) * voxel_ml, "removed_ml": int((m & ~c).sum()) * voxel_ml}
    return out


def check_correction_saved(scene, volumes_by_sequence: dict, model, folder, engine=None):
    """Edit, save: a new record folder with the corrected and model labels, the images, and right figures;
    a second save makes another folder and leaves the first as it was.
    """
    from gliomaai import corrections
    from gliomaai.models.card import sha256_of

    folder = Path(folder)
    nodes = segmentation_run.run_segmentation(scene, volumes_by_sequence, model, "cpu", engine=engine or cpu_engine())
    model_labels = segmentation_run.model_labels_array(nodes.segmentation)
    corrected = edit_like_the_editor(nodes.segmentation, nodes.reference)
    saved = correction_nodes.save_correction_from_scene(scene, nodes.segmentation, folder)
    assert saved.path.parent == folder and saved.path.is_dir(), saved.path
    chosen = {s: n for s, n in volumes_by_sequence.items() if n is not None}
    synthetic = case_nodes.synthetic_inputs(chosen)
    expected_files = {"record.json", "corrected.nii.gz", "model.nii.gz",
                      *(f"images/{s}{'-synthetic' if s in synthetic else ''}.nii.gz" for s in chosen)}
    present = {str(p.relative_to(saved.path)) for p in saved.path.rglob("*") if p.is_file()}
    assert present == expected_files, f"record files {sorted(present)}"
    record = json.loads((saved.path / "record.json").read_text())
    assert record == saved.record
    reference_image = node_to_image(nodes.reference)
    written = sitk.ReadImage(str(saved.path / "corrected.nii.gz"))
    assert np.array_equal(sitk.GetArrayFromImage(written), corrected), "corrected.nii.gz differs from the edit"
    assert np.allclose(written.GetOrigin(), reference_image.GetOrigin(), atol=1e-4)
    assert np.allclose(written.GetDirection(), reference_image.GetDirection(), atol=1e-6)
    assert np.array_equal(sitk.GetArrayFromImage(sitk.ReadImage(str(saved.path / "model.nii.gz"))), model_labels)
    for sequence, node in chosen.items():
        image = sitk.ReadImage(str(saved.path / record["files"]["images"][sequence]))
        assert np.array_equal(sitk.GetArrayFromImage(image), sitk.GetArrayFromImage(node_to_image(node))), sequence
    made = segmentation_run.provenance(nodes.segmentation)
    assert record["case"] == nodes.segmentation.GetAttribute("GliomaAI.Case")
    for key in ("model", "model_version", "model_sha256", "device", "tta", "sequences", "time"):
        assert record["model"][key] == made[key], f"{key}: {record['model'][key]} != {made[key]}"
    assert record["conventions"]["labels"] == "brats2023"
    assert record["conventions"]["values"] == {"0": "background", "1": "NETC", "2": "SNFH", "3": "ET"}
    assert record["sha256"]["corrected.nii.gz"] == sha256_of(saved.path / "corrected.nii.gz")
    expected = _expected_comparison(model_labels, corrected, reference_image.GetSpacing())
    for region, figures in expected.items():
        for key, value in figures.items():
            assert abs(record["comparison"][region][key] - value) < 1e-5, \
                f"{region} {key}: {record['comparison'][region][key]} != {value}"
    assert record["comparison"]["changed_voxels"] == int((model_labels != corrected).sum())
    rows = table_rows(saved.comparison)
    assert abs(float(rows["WT"][0]) - expected["WT"]["dice"]) < 1e-5, rows["WT"]
    # A second save: a new folder; the first record unchanged.
    first_hashes = {p.name: sha256_of(p) for p in saved.path.rglob("*") if p.is_file()}
    again = correction_nodes.save_correction_from_scene(scene, nodes.segmentation, folder)
    assert again.path != saved.path and again.path.parent == folder, again.path
    assert {p.name: sha256_of(p) for p in saved.path.rglob("*") if p.is_file()} == first_hashes, "first record changed"
    assert corrections.list_corrections(folder)[-2:] == sorted([saved.path, again.path])
    back = corrections.read_correction(again.path)
    assert np.array_equal(sitk.GetArrayFromImage(back.corrected), corrected)
    return saved, again


def check_cancel_adds_nothing(scene, volumes_by_sequence: dict, model, engine=None):
    """cancel() True: Cancelled, in the foreground and in the background, and no node added."""
    from gliomaai.inference.engine import Cancelled

    engine = engine or cpu_engine()
    before = _scene_node_ids(scene)
    try:
        segmentation_run.run_segmentation(scene, volumes_by_sequence, model, "cpu", cancel=lambda: True, engine=engine)
    except Cancelled:
        pass
    else:
        raise AssertionError("cancel() returned True, yet the run finished")
    background = segmentation_run.BackgroundSegmentation(
        segmentation_run.prepare_run(volumes_by_sequence, model, "cpu", engine=engine))
    background.cancel()  # before the first window: the worker stops there
    _check_cancelled(background.start(), scene)
    assert _scene_node_ids(scene) == before, "a cancelled run added nodes"


def _check_cancelled(background, scene) -> None:
    """A background run cancelled before its first step ends, and finishing it raises Cancelled."""
    from gliomaai.inference.engine import Cancelled

    assert background.job.wait(120), "the cancelled run did not end"
    try:
        background.finish(scene)
    except Cancelled:
        return
    raise AssertionError("the cancelled background run finished")


def check_background_run(scene, volumes_by_sequence: dict, model, engine=None):
    """Apply as the panel does it: prepared here, segmented in a worker thread, added here once done."""
    run = segmentation_run.prepare_run(volumes_by_sequence, model, "cpu", engine=engine or cpu_engine())
    background = segmentation_run.BackgroundSegmentation(run).start()
    _poll_until_done(background)
    nodes = background.finish(scene)
    check_segments(nodes.segmentation)
    return nodes


def _poll_until_done(background, seconds: float = 120) -> None:
    """Poll a background run as the panel's QTimer does, until it ends; its progress only goes forward."""
    import time

    seen = []
    deadline = time.monotonic() + seconds
    while not background.done:
        seen.append(background.progress[0])
        assert time.monotonic() < deadline, "the background run did not end"
        time.sleep(0.01)
    assert seen == sorted(seen), "progress went backwards"
    assert background.progress == (1.0, "done"), background.progress


def check_background_finetune(corrections, model, **options):
    """Fine-tune as the panel does: in a worker thread, into a new folder beside the corrections, scored on the
    newest correction held out; a second run goes beside the first, never over it; a cancelled one writes nothing.
    `options` (steps, batch, patch, fit) keep it small."""
    from gliomaai.models.card import read_card, sha256_of
    from gliomaai.models.registry import find_card

    from . import finetuning

    base = read_card(find_card(model))
    expected = Path(corrections).resolve().parent / "models" / f"{base.name}-{base.version}+ft1"
    cancelled = finetuning.start_finetune(finetuning.finetune_config(corrections, model, hold_out=1, **options))
    cancelled.cancel()  # before the first step: the worker stops there
    _check_cancelled(cancelled, None)
    assert not expected.exists(), "a cancelled fine-tuning left a model folder"
    made = []
    for _ in range(2):
        background = finetuning.start_finetune(finetuning.finetune_config(corrections, model, hold_out=1, **options))
        _poll_until_done(background, seconds=300)
        made.append(background.finish(None))
        if len(made) == 1:
            first_files = {p.name: sha256_of(p) for p in expected.iterdir()}
    second = expected.with_name(expected.name + " (2)")
    assert [m.card for m in made] == [expected / "model.json", second / "model.json"]
    assert {p.name: sha256_of(p) for p in expected.iterdir()} == first_files, "the second run changed the first"
    card = read_card(made[0].card)
    assert made[0].version == card.version == f"{base.version}+ft1"
    assert card.training["finetuned_from"]["sha256"] == base.sha256
    assert len(card.training["held_out"]) == 1 and "held_out_corrections" in card.scores
    assert any("held-out correction(s)" in line for line in made[0].advice), made[0].advice
    assert isinstance(made[0].improved, bool), "checked on a held-out correction: better or not"
    assert any("corrections alone" in line for line in made[0].advice), made[0].advice
    return made


def check_input_errors(scene, case, folder):
    """No volume, one node twice, volumes of two grids, a model that needs a sequence not given, no model."""
    nodes = case_to_nodes(scene, case)
    model = write_tiny_model(Path(folder) / "needs-t1c-t2f", required=("t1c", "t2f"))

    def refused(volumes, match, model=model):
        try:
            segmentation_run.prepare_run(volumes, model, "cpu")
        except GliomaAIError as error:
            assert match in str(error), f"'{match}' not in: {error}"
            return str(error)
        raise AssertionError(f"accepted {sorted(volumes)}")

    refused({}, "No input volume")
    refused({s: None for s in nodes.volumes}, "No input volume")
    refused({"t1c": nodes.volumes["t1c"], "t2f": nodes.volumes["t1c"]}, "chosen as both")
    other_grid = next(g for g in samples.GRIDS if samples.GRIDS[g][0] != case.reference.GetSpacing())
    stranger = add_volume_node(scene, samples.image_on_grid(sitk.GetArrayFromImage(case.images["t2f"]), other_grid),
                               "another grid")
    refused({"t1c": nodes.volumes["t1c"], "t2f": stranger}, "is not on the voxel grid")
    refused({"t1c": nodes.volumes["t1c"]}, "needs t2f")
    refused({"t1c": nodes.volumes["t1c"]}, "No model", model=Path(folder) / "no-such-model")
    not_a_model = labels_to_segmentation(scene, case.label_array(), nodes.reference, name="hand-made")
    try:
        correction_nodes.save_correction_from_scene(scene, not_a_model, folder)
    except GliomaAIError as error:
        assert "not made by a GliomaAI model" in str(error), error
    else:
        raise AssertionError("a hand-made segmentation was saved as a correction")


def run_model_checks(scene, folder, log=print) -> None:
    """The model-run checks on the sample grids, with a tiny random model written into `folder`."""
    folder = Path(folder)
    model = write_tiny_model(folder / "tiny-model")
    engine = cpu_engine()
    for grid in samples.GRIDS:
        log(f"GliomaAISegment model run on the '{grid}' grid")
        nodes = case_to_nodes(scene, samples.sample_case(grid, name=f"run-{grid}"))
        check_model_run(scene, nodes.volumes, model, engine)
    nodes = case_to_nodes(scene, samples.sample_case("oblique", name="subset"))
    log("GliomaAISegment model run on a subset of sequences, with TTA")
    check_model_run(scene, {"t1c": nodes.volumes["t1c"], "t2f": nodes.volumes["t2f"]}, model, engine, tta=True)
    log("GliomaAISegment re-run keeps edits")
    check_rerun_keeps_edits(scene, nodes.volumes, model, engine)
    log("GliomaAISegment correction records")
    check_correction_saved(scene, nodes.volumes, model, folder / "corrections", engine)
    log("GliomaAISegment fine-tuning on the corrections, in the background")
    check_background_finetune(folder / "corrections", model, steps=2, batch=1, patch=(32, 32, 32), fit=False)
    log("GliomaAISegment cancel and background runs")
    check_cancel_adds_nothing(scene, nodes.volumes, model, engine)
    check_background_run(scene, nodes.volumes, model, engine)
    log("GliomaAISegment input errors")
    check_input_errors(scene, samples.sample_case("anisotropic", name="errors"), folder / "errors")


def run_all(scene, folder, log=print) -> None:
    """Every check above on every sample grid and convention: what the Slicer self-test runs."""
    folder = Path(folder)
    run_model_checks(scene, folder / "model-checks", log)
    for grid in samples.GRIDS:
        case = samples.sample_case(grid)
        log(f"GliomaAISegment checks on the '{grid}' grid")
        for convention in label_conventions.CONVENTIONS:
            for suffix in (".nii.gz", ".nrrd"):
                check_label_file_round_trip(scene, case, folder / f"{grid}-{convention}{suffix}", convention)
        for convention in ("brats2023", "brats2021", "brats2015"):
            check_label_file_round_trip(scene, case, folder / f"{grid}-{convention}-guessed.nii.gz", convention,
                                        guess=True)
