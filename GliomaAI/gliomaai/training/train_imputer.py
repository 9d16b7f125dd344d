"""Training the imputer: one network for every pattern of missing sequences, resumable, logging its curves.

Each sample is a 2.5D patch of a random axial slice with a random non-empty subset of the
sequences hidden; the loss (L1 plus SSIM, inside the brain) is taken on the hidden ones only,
since a present sequence is never replaced by its synthesis. A fold holds out a quarter of the
BraTS 2018 cases, the same quarter as the segmenter's fold, so each held-out case can be
imputed and then segmented by models that never saw it.
"""

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..models.card import ModelCard, sha256_of
from ..models.network import DEFAULT_IMPUTER, build_network
from ..sequences import SEQUENCES
from ..imputation.preprocess import CONTEXT, network_input
from .augment import crop_patch
from .checkpoint import learning_rate_factor, run_steps
from .data import expert_cases
from .imputation_data import EXTRA_TRAINING, prepare_imputation_case
from .train import split


@dataclass
class ImputerConfig:
    data: str
    out: str
    steps: int = 4000
    batch: int = 8
    patch: int = 128  # in-plane, 1 mm voxels
    learning_rate: float = 2e-3
    warmup: int = 100
    ssim_weight: float = 0.5
    seed: int = 0
    folds: int = 4
    fold: int | None = None
    checkpoint_every: int = 100
    validate_every: int = 1000
    architecture: dict = field(default_factory=lambda: DEFAULT_IMPUTER)


def random_availability(rng: np.random.Generator, count: int = len(SEQUENCES)) -> np.ndarray:
    """A uniformly drawn pattern with at least one sequence present and at least one missing."""
    while True:
        available = rng.random(count) < 0.5
        if 0 < available.sum() < count:
            return available


def imputation_sample(case, rng: np.random.Generator, patch: int):
    """(input, target, weight): the network's 2.5D input of one patch, the four sequences, where the loss counts."""
    depth = case.channels.shape[1]
    inside = np.flatnonzero(case.brain[CONTEXT:depth - CONTEXT].any(axis=(1, 2))) + CONTEXT
    z = int(inside[rng.integers(len(inside))])
    ys, xs = np.nonzero(case.brain[z])
    pick = rng.integers(len(ys))
    channels, brain = crop_patch([case.channels, case.brain[None].astype(np.float32)],
                                 (z, ys[pick], xs[pick]), (2 * CONTEXT + 1, patch, patch))
    if rng.random() < 0.5:  # left-right
        channels, brain = channels[..., ::-1], brain[..., ::-1]
    available = random_availability(rng)
    x = network_input(channels * available[:, None, None, None], available)[:, CONTEXT:CONTEXT + 1]
    y = channels[:, CONTEXT:CONTEXT + 1]
    weight = (~available)[:, None, None, None] * brain[:, CONTEXT:CONTEXT + 1]
    return x, np.ascontiguousarray(y, dtype=np.float32), np.ascontiguousarray(weight, dtype=np.float32)


def imputation_loss(prediction, target, weight, ssim_weight: float, ssim_loss):
    """Mean absolute error over the weighted voxels, plus `ssim_weight` x (1 - SSIM) of the hidden sequences."""
    l1 = ((prediction - target).abs() * weight).sum() / weight.sum().clamp(min=1)
    if not ssim_weight:
        return l1
    hidden = weight.flatten(2).amax(dim=2) > 0  # (batch, sequence)
    brain = weight.amax(dim=1, keepdim=True)
    pred = (prediction * brain)[hidden][:, None, 0]  # (hidden, 1, y, x)
    true = (target * brain)[hidden][:, None, 0]
    return l1 + ssim_weight * ssim_loss(pred, true)


def validation_errors(network, case) -> dict:
    """Mean absolute error inside the brain of each sequence imputed from the other three (a curve, not a score)."""
    from ..imputation.imputer import predict
    from ..inference.engine import InferenceEngine

    network.eval()
    engine = InferenceEngine("cpu")
    out = {}
    for index, sequence in enumerate(SEQUENCES):
        available = np.arange(len(SEQUENCES)) != index
        predicted = predict(engine, network, case.channels * available[:, None, None, None], available)
        out[sequence] = float(np.abs(predicted[index] - case.channels[index])[case.brain].mean())
    network.train()
    return out


def train_imputer(config: ImputerConfig, progress: bool = True, until: int | None = None) -> Path | None:
    """Train to config.steps, resuming from the run folder's checkpoint; the model card's path at the end."""
    from monai.losses import SSIMLoss

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    data = Path(config.data)
    training_names, held_out_names = split(expert_cases(data), config.folds, config.fold, config.seed)
    training_names += [n for n in EXTRA_TRAINING if (data / n).exists()]
    cases = [prepare_imputation_case(data, n) for n in tqdm(training_names, desc="preparing", disable=not progress)]
    held_out = [prepare_imputation_case(data, n) for n in held_out_names]

    torch.manual_seed(config.seed)
    network = build_network(config.architecture)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.learning_rate, weight_decay=1e-5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: learning_rate_factor(s, config.steps, config.warmup))
    ssim_loss = SSIMLoss(spatial_dims=2, data_range=1.0)
    rng = np.random.default_rng(config.seed)
    def one_step() -> float:
        samples = [imputation_sample(cases[rng.integers(len(cases))], rng, config.patch) for _ in range(config.batch)]
        x, y, weight = (torch.from_numpy(np.stack([s[i] for s in samples])) for i in range(3))
        optimizer.zero_grad()
        loss = imputation_loss(torch.sigmoid(network(x)), y, weight, config.ssim_weight, ssim_loss)
        loss.backward()
        optimizer.step()
        return loss.item()

    def validate():
        return [{"case": case.name, **{s: round(v, 5) for s, v in validation_errors(network, case).items()}}
                for case in held_out]

    step, seconds = run_steps(out, network, optimizer, scheduler, rng, config.steps, one_step,
                              validate if held_out else None, config.validate_every, config.checkpoint_every,
                              until, progress, desc="training the imputer")
    if step < config.steps:
        return None
    weights = out / "model.pt"
    torch.save(network.state_dict(), weights)
    card = ModelCard(
        name="imputer" if config.fold is None else f"imputer-fold{config.fold}", version="1.0", task="imputation",
        architecture=config.architecture, weights=weights.name, sha256=sha256_of(weights),
        input={"sequences": list(SEQUENCES), "context_slices": CONTEXT, "spacing_mm": "the case's own",
               "normalisation": "0.5..99.5 percentiles inside the brain to 0..1 per sequence; a missing one is zero "
                                "with its presence flag 0"},
        output={"sequences": list(SEQUENCES), "activation": "sigmoid", "range": [0, 1],
                "use": "synthetic images for computation (segmentation), never for diagnostic reading"},
        training={"cases": training_names, "held_out": held_out_names, "steps": config.steps,
                  "cpu_seconds": round(seconds),
                  "config": {k: v for k, v in asdict(config).items() if k != "architecture"}},
    )
    return card.save(out / "model.json")
