"""Training: synthetic tumours, samples with missing sequences, and a loop that resumes exactly."""

import json

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from gliomaai.models.card import read_card, sha256_of
from gliomaai.models.network import SEGMENTERS, build_network
from gliomaai.phantom import make_phantom
from gliomaai.training.augment import drop_sequences, training_sample
from gliomaai.training.data import TrainingCase, prepare
from gliomaai.training.synthetic_tumours import insert_tumour
from gliomaai.training.train import TrainConfig, split, train

from helpers import write

SMALL = SEGMENTERS["segresnet-8"]


@pytest.fixture(scope="module")
def training_case():
    case = make_phantom((40, 56, 56), seed=2)
    from gliomaai.segmentation.preprocess import model_input, region_targets

    model = model_input(case, 4.0)
    return TrainingCase("phantom", model.channels, region_targets(case, model), np.any(model.channels != 0, 0), "expert")


def test_an_inserted_tumour_is_nested_new_and_has_glioma_contrast(training_case):
    rng = np.random.default_rng(5)
    channels, targets = insert_tumour(training_case.channels, training_case.targets, training_case.brain, rng)
    new = (targets[0] > 0) & (training_case.targets[0] == 0)
    assert new.sum() > 20
    assert not (targets[1] & ~targets[0]).any() and not (targets[2] & ~targets[1]).any()
    edema = new & (targets[1] == 0)
    assert channels[3][edema].mean() > training_case.channels[3][edema].mean()  # brighter on FLAIR
    assert np.array_equal(channels[:, ~new & (targets[0] == 0)][:, :10], training_case.channels[:, ~new & (targets[0] == 0)][:, :10])


def test_the_synthetic_cores_radius_follows_the_range_asked_for(training_case):
    def core_voxels(core_radius, seed):
        _, targets = insert_tumour(training_case.channels, training_case.targets, training_case.brain,
                                   np.random.default_rng(seed), core_radius=core_radius)
        return int(((targets[1] > 0) & (training_case.targets[1] == 0)).sum())

    small = [core_voxels((1.0, 1.5), seed) for seed in range(8)]  # the rim (1-2.5 voxels) is part of the core
    large = [core_voxels((3.0, 3.5), seed) for seed in range(8)]
    assert all(s > 0 for s in small) and np.mean(large) > 2 * np.mean(small)


def test_samples_keep_at_least_one_sequence_and_often_all(training_case):
    rng = np.random.default_rng(0)
    kept = [tuple(np.any(drop_sequences(training_case.channels, rng) != 0, axis=(1, 2, 3))) for _ in range(200)]
    assert all(any(k) for k in kept)
    assert 0.4 < sum(all(k) for k in kept) / 200 < 0.6
    assert (False, True, False, True) in kept  # FLAIR + T1c alone, as in the BraTS 2013 cases
    x, y = training_sample(training_case, rng, patch=(16, 16, 16))
    assert x.shape == (4, 16, 16, 16) and y.shape == (3, 16, 16, 16) and x.dtype == np.float32


def test_folds_hold_out_every_case_once():
    cases = [f"c{i}" for i in range(16)]
    held = [split(cases, 4, fold)[1] for fold in range(4)]
    assert sorted(sum(held, [])) == sorted(cases) and all(len(h) == 4 for h in held)
    train_cases, held_out = split(cases, 4, 1)
    assert not set(train_cases) & set(held_out)


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    """Two labelled phantom cases laid out as ../shared/data is (manifest and folders)."""
    monkeypatch.setenv("GLIOMAAI_CACHE", str(tmp_path / "cache"))
    manifest = {"cases": {}}
    for index in range(2):
        name = f"brats18-phantom-{index}"
        case = make_phantom((32, 40, 40), seed=index)
        for sequence in case.present:
            scan = sitk.Image(case.images[sequence])
            for key in scan.GetMetaDataKeys():  # unmarked, as the scans there are (the phantom says synthetic)
                scan.EraseMetaData(key)
            write(scan, tmp_path / "data" / name / f"{sequence}.nii.gz")
        write(case.labels, tmp_path / "data" / name / "seg.nii.gz")
        manifest["cases"][name] = {"sequences": {s: f"{s}.nii.gz" for s in case.present},
                                   "labels": {"expert": {"file": "seg.nii.gz", "kind": "expert", "convention": "brats2023"}}}
    (tmp_path / "data" / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path / "data"


def test_training_resumes_exactly_where_it_stopped(data_folder, tmp_path):
    torch.set_num_threads(1)
    common = dict(data=str(data_folder), batch=1, patch=(16, 16, 16), silver=False, spacing_mm=4.0,
                  architecture=SMALL, checkpoint_every=1, warmup=2)
    straight = read_card(train(TrainConfig(out=str(tmp_path / "a"), steps=4, **common), progress=False))
    assert train(TrainConfig(out=str(tmp_path / "b"), steps=4, **common), progress=False, until=2) is None
    resumed = read_card(train(TrainConfig(out=str(tmp_path / "b"), steps=4, **common), progress=False))
    a = torch.load(straight.weights_path, weights_only=True)
    b = torch.load(resumed.weights_path, weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.sha256 == sha256_of(resumed.weights_path)
    assert resumed.training["steps"] == 4 and len((tmp_path / "b" / "log.csv").read_text().splitlines()) == 5
    assert prepare(data_folder, "brats18-phantom-0", 4.0).channels.shape[0] == 4


def test_a_finished_run_goes_on_in_a_second_cycle_as_a_two_cycle_run_would(data_folder, tmp_path):
    torch.set_num_threads(1)
    common = dict(data=str(data_folder), batch=1, patch=(16, 16, 16), silver=False, spacing_mm=4.0,
                  architecture=SMALL, checkpoint_every=1, warmup=2)
    straight = read_card(train(TrainConfig(out=str(tmp_path / "a"), steps=8, cycles=2, **common), progress=False))
    read_card(train(TrainConfig(out=str(tmp_path / "b"), steps=4, **common), progress=False))
    extended = read_card(train(TrainConfig(out=str(tmp_path / "b"), steps=8, cycles=2, **common), progress=False))
    a = torch.load(straight.weights_path, weights_only=True)
    b = torch.load(extended.weights_path, weights_only=True)
    assert all(torch.equal(a[k], b[k]) for k in a)
    rates = [float(line.split(",")[2]) for line in (tmp_path / "b" / "log.csv").read_text().splitlines()[1:]]
    assert len(rates) == 8 and rates[3] < rates[2] < rates[1]  # the first cycle cools down ...
    assert rates[4] == max(rates[:4]) and rates[7] < rates[6] < rates[5]  # ... the second restarts
    assert extended.training["config"]["cycles"] == 2


def test_a_run_can_start_from_another_models_weights(data_folder, tmp_path):
    torch.set_num_threads(1)
    common = dict(data=str(data_folder), batch=1, patch=(16, 16, 16), silver=False, spacing_mm=4.0,
                  architecture=SMALL, warmup=2, learning_rate=0.0)  # no learning: the weights stay as they start
    first = train(TrainConfig(out=str(tmp_path / "a"), steps=2, seed=0, **common), progress=False)
    started = read_card(train(TrainConfig(out=str(tmp_path / "b"), steps=2, seed=1, init_from=str(first), **common),
                              progress=False))
    fresh = read_card(train(TrainConfig(out=str(tmp_path / "c"), steps=2, seed=1, **common), progress=False))
    a, b, c = (torch.load(card.weights_path, weights_only=True) for card in (read_card(first), started, fresh))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    assert started.training["config"]["init_from"] == str(first)
    from gliomaai.errors import GliomaAIError
    other = {"class": "SegResNet", "params": {**SMALL["params"], "init_filters": 16}}
    with pytest.raises(GliomaAIError, match="not the one this run trains"):
        train(TrainConfig(out=str(tmp_path / "d"), steps=2, init_from=str(first), **{**common, "architecture": other}),
              progress=False)


@pytest.mark.parametrize("network", ["segresnet-8", "segresnet-16", "dynunet"])
def test_each_network_on_offer_trains_from_the_command_line_and_then_segments(network, data_folder, tmp_path):
    from gliomaai.cli import main
    from gliomaai.segmentation.segmenter import segment_case

    torch.set_num_threads(1)
    run = tmp_path / network
    assert main(["train", "--data", str(data_folder), "--out", str(run), "--steps", "2", "--network", network]) == 0
    card = read_card(run / "model.json")
    assert card.architecture == SEGMENTERS[network]
    result = segment_case(make_phantom((32, 40, 40), seed=7), str(run / "model.json"))
    assert result.labels_array().shape == (32, 40, 40) and result.model == card.name


def test_a_run_goes_on_from_the_cache_alone_without_the_image_readers(data_folder, tmp_path):
    """A GPU machine has torch and MONAI but no SimpleITK: the cache made here is all training reads."""
    import os
    import subprocess
    import sys

    torch.set_num_threads(1)
    common = dict(data=str(data_folder), batch=1, patch=(16, 16, 16), silver=False, spacing_mm=4.0,
                  architecture=SMALL, checkpoint_every=1, warmup=2, device="cpu")
    assert train(TrainConfig(out=str(tmp_path / "run"), steps=4, **common), progress=False, until=2) is None
    script = (  # None in sys.modules makes any import of the readers fail
        "import sys; sys.modules['SimpleITK'] = sys.modules['nibabel'] = None\n"
        "from gliomaai.training.train import TrainConfig, train\n"
        f"print(train(TrainConfig(out={str(tmp_path / 'run')!r}, steps=4, **{common!r}), progress=False))\n"
        "import runpy; sys.argv = ['gliomaai', '--help']; runpy.run_module('gliomaai.commands.train', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert "--device" in done.stdout  # the trainer's own command line, with the same options
    card = read_card(tmp_path / "run" / "model.json")
    assert card.training["steps"] == 4 and card.training["device"] == "1-thread CPU"
    assert len((tmp_path / "run" / "log.csv").read_text().splitlines()) == 5


def test_crossval_chooses_each_folds_thresholds_on_the_other_folds_cases(data_folder, tmp_path):
    from gliomaai.segmentation.segmenter import segment_case
    from gliomaai.training.crossval import (CANDIDATE_ENHANCING_ZSCORES, CANDIDATE_THRESHOLDS, ENHANCING, SEED,
                                            WHOLE_TUMOUR_SEED, best_choice,
                                            chosen_segmenter, cross_validation)
    from gliomaai.training.data import load_labelled_case

    torch.set_num_threads(1)
    common = dict(data=str(data_folder), batch=1, patch=(16, 16, 16), silver=False, spacing_mm=4.0,
                  architecture=SMALL, warmup=2, steps=3, folds=2)
    runs = [tmp_path / f"fold{k}" for k in range(2)]
    for k, run in enumerate(runs):
        train(TrainConfig(out=str(run), fold=k, **common), progress=False)
    scores = cross_validation(data_folder, runs)
    tables = scores["dice_by_threshold"]
    assert set(tables) == {"brats18-phantom-0", "brats18-phantom-1"}
    for table in tables.values():  # the ET rule's table: a row per TC threshold, a column per T1c z-score
        assert np.shape(table[ENHANCING]) == (len(CANDIDATE_THRESHOLDS), len(CANDIDATE_ENHANCING_ZSCORES))
    for row in scores["per_case"]:
        other = next(name for name in tables if name != row["case"])
        assert row["thresholds"] == best_choice([tables[other]])  # never its own table
    assert scores["thresholds"] == best_choice(list(tables.values()))
    assert len(scores["at_model_threshold"]["per_case"]) == 2
    from gliomaai.training.crossval import score_case
    first = scores["at_model_threshold"]["per_case"][0]  # scored from the same inference as its table
    direct = score_case(load_labelled_case(data_folder, first["case"]), runs[0])
    assert all(first[r] == direct[r] for r in ("WT", "TC", "ET"))

    # The choice is the best mean Dice per region, and a chosen segmenter applies it.
    assert best_choice([{"WT": [0, 1, 0, 0, 0, 0, 0, 0, 0], "TC": [0] * 8 + [1], "ET": [1] + [0] * 8}]) == \
        {"WT": CANDIDATE_THRESHOLDS[1], "TC": CANDIDATE_THRESHOLDS[8], "ET": CANDIDATE_THRESHOLDS[0], ENHANCING: None,
         SEED: WHOLE_TUMOUR_SEED}  # WT's threshold is below the seed
    assert best_choice([{"WT": [0] * 8 + [1], "TC": [1] * 9, "ET": [1] * 9}])[SEED] is None  # WT's is above it
    case = load_labelled_case(data_folder, "brats18-phantom-0")
    everything = segment_case(case, chosen_segmenter(runs[0], {"WT": 0, "TC": 0, "ET": 0})).labels_array()
    nothing = segment_case(case, chosen_segmenter(runs[0], {"WT": 1, "TC": 1, "ET": 1})).labels_array()
    assert (everything == 3).sum() > 1000 and not nothing.any()
    card = read_card(runs[0] / "model.json")
    card.output["thresholds"] = [1.0, 1.0, 1.0]  # as publishing writes the chosen ones
    card.save(runs[0] / "model.json")
    assert not segment_case(case, runs[0]).labels_array().any()


def test_the_et_rule_is_chosen_at_the_chosen_tc_threshold_only_where_it_beats_the_et_channel():
    from gliomaai.training.crossval import CANDIDATE_ENHANCING_ZSCORES, CANDIDATE_THRESHOLDS, ENHANCING, best_choice

    rule = [[0.0] * len(CANDIDATE_ENHANCING_ZSCORES) for _ in CANDIDATE_THRESHOLDS]
    rule[8][2] = 0.8  # at TC threshold 0.9, z-score 0.5
    rule[0][4] = 0.99  # at a TC threshold not chosen: ignored
    table = {"WT": [0.5] * 9, "TC": [0] * 8 + [1], "ET": [0.6] * 9, ENHANCING: rule}
    assert best_choice([table])[ENHANCING] == CANDIDATE_ENHANCING_ZSCORES[2]
    assert best_choice([{**table, "ET": [0.9] * 9}])[ENHANCING] is None  # the channel scores better
    assert best_choice([{**table, ENHANCING: None}])[ENHANCING] is None  # no case with a T1c


def test_finetuning_replays_the_cases_the_model_was_trained_on(data_folder, tmp_path):
    from gliomaai.corrections import save_correction
    from gliomaai.errors import GliomaAIError
    from gliomaai.training.finetune import FinetuneConfig, finetune

    torch.set_num_threads(1)
    base = train(TrainConfig(data=str(data_folder), out=str(tmp_path / "base"), steps=2, batch=1, patch=(16, 16, 16),
                             silver=False, spacing_mm=4.0, architecture=SMALL, warmup=1), progress=False)
    case = make_phantom((32, 40, 40), seed=5)
    save_correction(tmp_path / "corrections", "phantom-5", case.labels, sitk.Image(case.labels) * 0,
                    images={s: case.images[s] for s in case.present})
    common = dict(corrections=str(tmp_path / "corrections"), model=str(base), steps=2, batch=1, patch=(16, 16, 16),
                  fit=False)
    alone = read_card(finetune(FinetuneConfig(out=str(tmp_path / "alone"), **common)))
    replayed = read_card(finetune(FinetuneConfig(out=str(tmp_path / "replay"), replay=str(data_folder), **common)))
    assert alone.training["replayed"] == []
    assert replayed.training["replayed"] == read_card(base).training["cases"] == ["brats18-phantom-0", "brats18-phantom-1"]
    a, b = (torch.load(c.weights_path, weights_only=True) for c in (alone, replayed))
    assert any(not torch.equal(a[k], b[k]) for k in a), "the replayed cases changed nothing"
    # A fine-tuned version replays what its base was trained on.
    again = read_card(finetune(FinetuneConfig(**{**common, "model": replayed.path}, out=str(tmp_path / "again"),
                                              replay=str(data_folder))))
    assert again.training["replayed"] == replayed.training["replayed"]
    with pytest.raises(GliomaAIError, match="no manifest.json"):
        finetune(FinetuneConfig(out=str(tmp_path / "x"), replay=str(tmp_path), **common))


@pytest.mark.parametrize("name", ["unet", "dynunet"])
def test_freezing_the_encoder_keeps_each_networks_down_path_down_to_its_bottleneck(name):
    from gliomaai.training.finetune import ENCODER_PREFIXES, trainable_parameters

    architecture = SEGMENTERS[name]
    network = build_network(architecture)
    learning = {id(p) for p in trainable_parameters(network, architecture, freeze_encoder=True)}
    frozen = [n for n, p in network.named_parameters() if id(p) not in learning]
    for prefix in ENCODER_PREFIXES[architecture["class"]]:  # each prefix names real parameters
        assert any(n.startswith(prefix) for n in frozen), f"nothing frozen under {prefix}"
    names = [n for n, _ in network.named_parameters()]
    assert names[-1] not in frozen, "the output layer must go on learning"
    assert 0 < len(frozen) < len(names)
