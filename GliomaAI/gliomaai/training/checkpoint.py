"""What every training run shares: its checkpoint (resumed exactly), its CSV curves, its learning-rate schedule."""

import csv
import math
import time
from pathlib import Path

import torch
from tqdm import tqdm


def learning_rate_factor(step: int, steps: int, warmup: int, cycles: int = 1) -> float:
    """Linear warm-up, then a cosine down to 2 % of the base rate; with `cycles` > 1 the steps are
    split into that many such cycles (warm restarts), so a finished run of N steps can go on to
    2N steps exactly as a two-cycle run from scratch would."""
    length = max(1, steps // cycles)
    if step < length * cycles:
        step, steps = step % length, length
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def append_row(path: Path, row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def save_checkpoint(path: Path, network, optimizer, scheduler, rng, step: int, seconds: float) -> None:
    torch.save({"network": network.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(), "step": step, "seconds": seconds}, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)  # never a half-written checkpoint


def load_checkpoint(path: Path, network, optimizer, scheduler, rng) -> tuple[int, float]:
    """(step, seconds) of the checkpoint at `path`, its state restored; (0, 0.0) when there is none."""
    if not path.exists():
        return 0, 0.0
    state = torch.load(path, map_location="cpu", weights_only=True)
    network.load_state_dict(state["network"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    # The resumed step's rate follows this run's schedule, which may go on beyond the checkpoint's
    # (a finished run extended by another cycle).
    for group, base, factor in zip(optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas):
        group["lr"] = base * factor(scheduler.last_epoch)
    rng.bit_generator.state = state["rng"]
    if "torch_rng" in state:  # dropout's generator (checkpoints of the first runs lack it)
        torch.set_rng_state(state["torch_rng"])
    return state["step"], state["seconds"]


def run_steps(out: Path, network, optimizer, scheduler, rng, steps: int, one_step, validate=None,
              validate_every: int = 250, checkpoint_every: int = 50, until: int | None = None,
              progress: bool = True, desc: str = "training") -> tuple[int, float]:
    """The loop both trainers share: resume from out/checkpoint.pt, then one_step() -> loss until `steps`
    (or `until`), logging out/log.csv, validate() -> rows for out/validation.csv every `validate_every`
    steps, checkpointing every `checkpoint_every`. Returns (step reached, seconds trained)."""
    checkpoint = out / "checkpoint.pt"
    step, seconds = load_checkpoint(checkpoint, network, optimizer, scheduler, rng)
    network.train()
    bar = tqdm(total=steps, initial=step, desc=desc, unit="step", disable=not progress)
    stop = min(steps, until) if until is not None else steps
    while step < stop:
        started = time.perf_counter()
        loss = one_step()
        scheduler.step()
        step += 1
        seconds += time.perf_counter() - started
        append_row(out / "log.csv", {"step": step, "loss": round(loss, 5),
                                     "lr": f"{scheduler.get_last_lr()[0]:.3g}", "seconds": round(seconds, 1)})
        bar.update()
        bar.set_postfix(loss=f"{loss:.4f}")
        if validate is not None and (step % validate_every == 0 or step == steps):
            for row in validate():
                append_row(out / "validation.csv", {"step": step, **row})
        if step % checkpoint_every == 0 or step == steps:
            save_checkpoint(checkpoint, network, optimizer, scheduler, rng, step, seconds)
    bar.close()
    return step, seconds
