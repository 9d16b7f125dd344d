"""The training loop: resumable from its last checkpoint, logging its curves, ending in weights and a card.

Run by `gliomaai train`. A fold of the cross-validation holds out a quarter of the expert
cases (validated every few hundred steps, never used to choose anything); without a fold, every
trainable case trains the model that ships.
"""

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..errors import GliomaAIError
from ..inference.engine import choose_device
from ..models.card import ModelCard, load_state_dict, read_card, sha256_of
from ..models.network import DEFAULT_SEGMENTER, build_network
from ..sequences import SEQUENCES
from .augment import training_sample
from .checkpoint import learning_rate_factor, run_steps
from .data import expert_cases, prepare, silver_cases
from .synthetic_tumours import CORE_RADIUS

REGIONS = ("WT", "TC", "ET")


@dataclass
class TrainConfig:
    data: str
    out: str
    steps: int = 2000
    batch: int = 2
    patch: tuple = (48, 48, 48)  # 2 mm voxels: 96 mm of context; about 0.4 s a step on two cores
    learning_rate: float = 2e-3
    warmup: int = 50
    cycles: int = 1  # cosine cycles with warm restarts (see learning_rate_factor)
    seed: int = 0
    folds: int = 4
    fold: int | None = None  # None: train on every trainable case
    synthetic_tumours: bool = True
    synthetic_core_radius_mm: tuple = (3.0, 12.0)  # the synthetic tumours' core radius, drawn uniformly
    silver: bool = True
    spacing_mm: float = 2.0
    checkpoint_every: int = 50
    validate_every: int = 250
    architecture: dict = field(default_factory=lambda: DEFAULT_SEGMENTER)
    device: str = "auto"  # as the inference engine chooses: CUDA, then MPS, then the CPU
    init_from: str | None = None  # a model card (.json) whose weights start the run (None: random)


def split(cases: list[str], folds: int, fold: int | None, seed: int = 0) -> tuple[list, list]:
    """(training, held out) expert cases of one fold; the order is a fixed permutation of the names."""
    if fold is None:
        return list(cases), []
    order = [cases[i] for i in np.random.default_rng(seed).permutation(len(cases))]
    held_out = order[fold::folds]
    return [c for c in cases if c not in held_out], sorted(held_out)


def coarse_dice(network, case, patch) -> dict:
    """Dice per region on the coarse grid of a held-out case (a training curve, not a score)."""
    from monai.inferers import sliding_window_inference

    network.eval()
    device = next(network.parameters()).device
    with torch.no_grad():
        logits = sliding_window_inference(torch.from_numpy(case.channels)[None].to(device), patch, 2, network, overlap=0.25)
    network.train()
    predicted = (torch.sigmoid(logits[0]) > 0.5).cpu().numpy()
    out = {}
    for index, region in enumerate(REGIONS):
        p, r = predicted[index], case.targets[index] > 0
        out[region] = 1.0 if not p.any() and not r.any() else 2 * (p & r).sum() / (p.sum() + r.sum())
    return out


def optimisation_step(network, optimizer, loss_function, cases, rng, batch: int, patch, synthetic_tumours: bool,
                      core_radius: tuple = CORE_RADIUS) -> float:
    """One step on a batch of fresh samples from random cases; the loss. `core_radius`: the synthetic tumours'
    core radius range in coarse voxels."""
    samples = [training_sample(cases[rng.integers(len(cases))], rng, patch, synthetic_tumours, core_radius=core_radius)
               for _ in range(batch)]
    device = next(network.parameters()).device
    x = torch.from_numpy(np.stack([s[0] for s in samples])).to(device)
    y = torch.from_numpy(np.stack([s[1] for s in samples])).to(device)
    optimizer.zero_grad()
    loss = loss_function(network(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def train(config: TrainConfig, progress: bool = True, until: int | None = None) -> Path | None:
    """Train to config.steps, resuming from the run folder's checkpoint; the model card's path at the end.

    `until` stops earlier, at that step, checkpointed (None returned): a session with little time
    left trains what it can and the next one goes on.
    """
    from monai.losses import DiceCELoss

    torch.set_num_threads(max(1, torch.get_num_threads()))
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    data = Path(config.data)
    training_names, held_out_names = split(expert_cases(data), config.folds, config.fold, config.seed)
    if config.silver:
        training_names += silver_cases(data)
    cases = [prepare(data, n, config.spacing_mm) for n in tqdm(training_names, desc="preparing", disable=not progress)]
    held_out = [prepare(data, n, config.spacing_mm) for n in held_out_names]

    device = choose_device(config.device)
    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True  # one patch size throughout: the fastest kernels are chosen once
    torch.manual_seed(config.seed)
    start = read_card(config.init_from) if config.init_from else None
    if start is not None and start.architecture != config.architecture:
        raise GliomaAIError(f"{config.init_from}: its network ({start.architecture}) is not the one this run trains.",
                            "Start from a model of the same architecture, or leave out --init-from.")
    network = build_network(config.architecture).to(device)
    if start is not None:  # a checkpoint, when there is one, restores the run's own weights over these
        network.load_state_dict(load_state_dict(start))
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: learning_rate_factor(s, config.steps, config.warmup, config.cycles))
    loss_function = DiceCELoss(sigmoid=True, batch=True)
    rng = np.random.default_rng(config.seed)
    core_radius = tuple(r / config.spacing_mm for r in config.synthetic_core_radius_mm)

    def validate():
        return [{"case": case.name, **{r: round(float(v), 4) for r, v in coarse_dice(network, case, config.patch).items()}}
                for case in held_out]

    step, seconds = run_steps(out, network, optimizer, scheduler, rng, config.steps,
                              lambda: optimisation_step(network, optimizer, loss_function, cases, rng, config.batch,
                                                        config.patch, config.synthetic_tumours, core_radius),
                              validate if held_out else None, config.validate_every, config.checkpoint_every,
                              until, progress)
    if step < config.steps:
        return None
    return write_model(network, config, out, training_names, held_out_names, seconds, device)


def device_description(device: str) -> str:
    if device.startswith("cuda"):
        return f"{torch.cuda.get_device_name(device)} GPU"
    return "Apple GPU (MPS)" if device == "mps" else f"{torch.get_num_threads()}-thread CPU"


def write_model(network, config: TrainConfig, out: Path, training_names, held_out_names, seconds, device: str) -> Path:
    weights = out / "model.pt"
    torch.save({k: v.cpu() for k, v in network.state_dict().items()}, weights)
    name = "segmenter" if config.fold is None else f"segmenter-fold{config.fold}"
    card = ModelCard(
        name=name, version="1.0", task="segmentation", architecture=config.architecture, weights=weights.name,
        sha256=sha256_of(weights),
        input={"sequences": list(SEQUENCES), "spacing_mm": config.spacing_mm,
               "normalisation": "z-score inside the brain per sequence; a missing sequence is a zero channel"},
        output={"regions": list(REGIONS), "activation": "sigmoid", "threshold": 0.5},
        training={"cases": training_names, "held_out": held_out_names, "steps": config.steps,
                  "seconds": round(seconds), "device": device_description(device), "config": {k: v for k, v in asdict(config).items() if k != "architecture"}},
    )
    return card.save(out / "model.json")
