"""Fine-tuning on corrections saved from the scene: a new model version that loads, with the original untouched.

Tiny throughout: phantom cases of 32x40x40 voxels, a random-weight model on 6 mm voxels, 32^3
patches and two steps, so the whole loop (segment, edit, save, fine-tune, segment again) runs
in seconds.
"""

import json

import pytest
import torch

from gliomaai.cli import main
from gliomaai.errors import GliomaAIError
from gliomaai.inference.engine import Cancelled
from gliomaai.models.card import read_card, sha256_of
from gliomaai.models.registry import load_segmenter
from gliomaai.phantom import make_phantom
from gliomaai.training.finetune import (ENCODER_PREFIXES, FinetuneConfig, finetune, improved_on_held_out,
                                       next_version, trainable_parameters)
from GliomaAILib.case_nodes import case_to_nodes
from GliomaAISegmentLib import checks, correction_nodes, finetuning, segmentation_run



@pytest.fixture
def corrections_folder(scene, tmp_path, engine):
    """Two corrections of two phantom cases, edited and saved through the scene; and the model that made them."""
    model = checks.write_tiny_model(tmp_path / "base", spacing_mm=6.0, version="1.0")
    folder = tmp_path / "corrections"
    for seed in (1, 2):
        case = make_phantom((32, 40, 40), seed=seed)
        case.name = f"phantom-{seed}"
        nodes = case_to_nodes(scene, case)
        run = segmentation_run.run_segmentation(scene, nodes.volumes, model, "cpu", engine=engine)
        checks.edit_like_the_editor(run.segmentation, run.reference)
        correction_nodes.save_correction_from_scene(scene, run.segmentation, folder)
    return folder, model


def test_next_version():
    assert next_version("1.0") == "1.0+ft1"
    assert next_version("1.0+ft1") == "1.0+ft2"
    assert next_version("2.1+ft9") == "2.1+ft10"


def test_finetune_writes_a_new_version_that_loads(scene, tmp_path, corrections_folder, engine):
    folder, base = corrections_folder
    base_files = {p.name: sha256_of(p) for p in base.parent.iterdir()}
    card_path = finetune(FinetuneConfig(corrections=str(folder), model=str(base), out=str(tmp_path / "ft"), steps=2,
                                        batch=1, patch=(32, 32, 32)))
    card = read_card(card_path)
    assert card_path == tmp_path / "ft" / "model.json"
    assert card.version == "1.0+ft1" and card.name == "tiny-random"
    assert card.sha256 == sha256_of(card.weights_path), "the card's sha256 is not its weights'"
    assert {p.name: sha256_of(p) for p in base.parent.iterdir()} == base_files, "the original model changed"
    training = card.training
    assert training["finetuned_from"] == {"name": "tiny-random", "version": "1.0", "sha256": read_card(base).sha256,
                                          "card": str(base)}
    records = sorted(p for p in folder.iterdir())
    assert [c["record"] for c in training["corrections"]] == [p.name for p in records]
    for entry, record in zip(training["corrections"], records):
        assert entry["corrected_sha256"] == sha256_of(record / "corrected.nii.gz")
    assert training["steps"] == 2 and set(training["fit_on_corrections"]["after"]) == {p.name for p in records}
    assert card.scores == {} and "evaluate it again" in card.notes[-1]
    # The weights changed, and the new model loads and segments in the scene.
    old, new = torch.load(read_card(base).weights_path), torch.load(card.weights_path)
    assert any(not torch.equal(old[k], new[k]) for k in old), "fine-tuning left the weights as they were"
    segmenter = load_segmenter(card_path.parent)
    assert (segmenter.name, segmenter.version) == ("tiny-random", "1.0+ft1")
    nodes = case_to_nodes(scene, make_phantom((32, 40, 40), seed=7))
    run = segmentation_run.run_segmentation(scene, nodes.volumes, card_path.parent, "cpu", engine=engine)
    assert segmentation_run.provenance(run.segmentation)["model_version"] == "1.0+ft1"
    assert segmentation_run.provenance(run.segmentation)["model_sha256"] == card.sha256
    # Fine-tuning the fine-tuned model: the next version; never into an existing model folder.
    second = finetune(FinetuneConfig(corrections=str(folder), model=str(card_path), out=str(tmp_path / "ft2"),
                                     steps=1, batch=1, patch=(32, 32, 32), fit=False))
    assert read_card(second).version == "1.0+ft2"
    with pytest.raises(GliomaAIError, match="never overwrites a model"):
        finetune(FinetuneConfig(corrections=str(folder), model=str(base), out=str(tmp_path / "ft"), steps=1))
    with pytest.raises(GliomaAIError, match="folder of the model being fine-tuned"):
        finetune(FinetuneConfig(corrections=str(folder), model=str(base), out=str(base.parent), steps=1))


def test_finetune_command(tmp_path, corrections_folder, capsys):
    folder, base = corrections_folder
    out = tmp_path / "cli"
    assert main(["finetune", str(folder), "--model", str(base), "--out", str(out), "--steps", "2", "--patch", "32",
                 "--batch", "1", "--no-fit"]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote {out / 'model.json'}" in printed and "Learnt from the corrections alone" in printed
    assert "--hold-out N" in printed, "a version not checked on held-out corrections says how to check it"
    card = json.loads((out / "model.json").read_text())
    assert card["version"] == "1.0+ft1" and card["training"]["config"]["patch"] == [32, 32, 32]
    assert main(["finetune", str(tmp_path / "empty-nothing"), "--model", str(base), "--out", str(tmp_path / "x")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_finetune_refuses_empty_folders_and_stops_when_cancelled(tmp_path, corrections_folder):
    folder, base = corrections_folder
    (tmp_path / "none").mkdir()
    with pytest.raises(GliomaAIError, match="no correction record"):
        finetune(FinetuneConfig(corrections=str(tmp_path / "none"), model=str(base), out=str(tmp_path / "o")))
    with pytest.raises(Cancelled):
        finetune(FinetuneConfig(corrections=str(folder), model=str(base), out=str(tmp_path / "c"), steps=5, batch=1,
                                patch=(32, 32, 32), fit=False), cancel=lambda: True)
    assert not (tmp_path / "c").exists(), "a cancelled fine-tuning left files behind"


def test_finetune_scores_both_versions_on_held_out_corrections(tmp_path, corrections_folder, capsys):
    folder, base = corrections_folder
    records = sorted(folder.iterdir(), key=lambda p: (json.loads((p / "record.json").read_text())["saved"], p.name))
    out = tmp_path / "held"
    assert main(["finetune", str(folder), "--model", str(base), "--out", str(out), "--steps", "2", "--patch", "32",
                 "--batch", "1", "--no-fit", "--hold-out", "1"]) == 0
    card = read_card(out / "model.json")
    assert card.training["held_out"] == [records[-1].name], "the newest record is the one set aside"
    assert [c["record"] for c in card.training["corrections"]] == [records[0].name]
    scores = card.scores["held_out_corrections"]
    assert scores["records"] == [records[-1].name]
    # 'Before' re-segments the stored images with the base model: the Dice the record saved at the time.
    saved = json.loads((records[-1] / "record.json").read_text())["comparison"]
    for region in ("WT", "TC", "ET"):
        assert scores["before"]["cases"][0][region]["dice"] == pytest.approx(saved[region]["dice"], abs=1e-4)
    assert card.notes[-1] in capsys.readouterr().out and "held-out correction(s)" in card.notes[-1]
    with pytest.raises(GliomaAIError, match="at least one must be learnt from"):
        finetune(FinetuneConfig(corrections=str(folder), model=str(base), out=str(tmp_path / "o"), hold_out=2))

    # Better or not: the mean Dice over the three regions, after against before; None when not checked.
    for region, (before, after) in zip(("WT", "TC", "ET"), ((0.8, 0.9), (0.5, 0.45), (0.6, 0.6))):
        scores["before"]["summary"][region]["dice"]["mean"] = before
        scores["after"]["summary"][region]["dice"]["mean"] = after
    assert improved_on_held_out(card) is True  # +0.1 - 0.05 + 0
    scores["after"]["summary"]["TC"]["dice"]["mean"] = 0.35
    assert improved_on_held_out(card) is False  # +0.1 - 0.15 + 0
    card.scores = {}
    assert improved_on_held_out(card) is None


def test_finetune_from_the_panel_in_the_background(tmp_path, corrections_folder):
    folder, base = corrections_folder
    made = checks.check_background_finetune(folder, base, steps=2, batch=1, patch=(32, 32, 32), fit=False)
    assert made[0].card.parent.parent == tmp_path / "models"
    # The worker's error reaches the panel when it finishes the run, and nothing is written.
    refused = finetuning.start_finetune(finetuning.finetune_config(folder, base, hold_out=2, steps=1))
    assert refused.job.wait(60)
    with pytest.raises(GliomaAIError, match="at least one must be learnt from"):
        refused.finish(None)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["tiny-random-1.0+ft1", "tiny-random-1.0+ft1 (2)"]


def test_freezing_the_encoder_changes_only_the_decoder(tmp_path, corrections_folder):
    folder, base = corrections_folder
    card_path = finetune(FinetuneConfig(corrections=str(folder), model=str(base), out=str(tmp_path / "frozen"),
                                        steps=2, batch=1, patch=(32, 32, 32), fit=False, freeze_encoder=True))
    old, new = torch.load(read_card(base).weights_path), torch.load(read_card(card_path).weights_path)
    encoder_prefixes = ENCODER_PREFIXES[read_card(base).architecture["class"]]
    encoder = [k for k in old if k.startswith(encoder_prefixes)]
    decoder = [k for k in old if not k.startswith(encoder_prefixes)]
    assert encoder and decoder
    assert all(torch.equal(old[k], new[k]) for k in encoder), "a frozen encoder weight changed"
    assert any(not torch.equal(old[k], new[k]) for k in decoder), "the decoder did not learn"
    assert read_card(card_path).training["config"]["freeze_encoder"] is True
    unknown = {"class": "BasicUNet", "params": {}}
    with pytest.raises(GliomaAIError, match="Cannot tell the encoder"):
        trainable_parameters(torch.nn.Linear(2, 2), unknown, freeze_encoder=True)

