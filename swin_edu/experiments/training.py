"""A compact training loop over tensors held in memory, and the summary of a variant over seeds.

The recipe's pieces are the library's (:mod:`swin_edu.recipe`): AdamW with weight decay on the weight matrices
only, the learning rate scaled linearly with the batch, a linear warm-up then cosine decay. What the loop
leaves out (augmentation, Mixup, label smoothing, checkpoints) the experiments do not need: their data is
drawn fresh from a generator and is plentiful.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from swin_edu.experiments.ablations import one_stage_swin
from swin_edu.recipe import build_optimizer, build_scheduler, scaled_lr


@dataclass(frozen=True)
class Budget:
    """How a model is trained: optimizer steps, batch, learning rate per 1024 images, weight decay, warm-up."""

    steps: int
    batch_size: int
    lr_per_1024: float
    weight_decay: float = 0.05
    warmup_fraction: float = 0.1
    clip_grad: float = 5.0


@dataclass(frozen=True)
class ToySetting:
    """A synthetic task with a one-stage Swin: the token map, the model, how much data, the budget."""

    grid: int = 8
    window: int = 4
    patch: int = 1
    embed_dim: int = 32
    num_heads: int = 2
    depth: int = 2
    train_images: int = 20_000
    val_images: int = 2_000
    budget: Budget = Budget(steps=500, batch_size=64, lr_per_1024=0.048)

    def build_model(self, grid: int | None = None, depth: int | None = None) -> nn.Module:
        """The one-stage Swin for RGB images and two classes; ``grid`` and ``depth`` override the setting's."""
        grid, depth = grid or self.grid, depth or self.depth
        return one_stage_swin(grid * self.patch, self.patch, 3, 2, depth, self.embed_dim, self.num_heads, self.window)


def random_shifts(max_shift: int) -> Callable[[torch.Tensor, torch.Generator], torch.Tensor]:
    """An augmentation: every image moved by up to ``max_shift`` pixels along each axis, zeros coming in."""

    def shift(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        count, _, height, width = images.shape
        padded = F.pad(images, (max_shift,) * 4)  # (B, C, H + 2s, W + 2s)
        dy, dx = torch.randint(0, 2 * max_shift + 1, (2, count, 1), generator=generator).to(images.device)
        rows = (dy + torch.arange(height, device=images.device))[:, None, :, None]  # (B, 1, H, 1)
        cols = (dx + torch.arange(width, device=images.device))[:, None, None, :]  # (B, 1, 1, W)
        batch = torch.arange(count, device=images.device)[:, None, None, None]
        channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
        return padded[batch, channel, rows, cols]  # (B, C, H, W)

    return shift


def train_classifier(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    budget: Budget,
    seed: int,
    device: str = "cpu",
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
) -> nn.Module:
    """Train ``model`` on ``images (N, C, H, W)``, ``labels (N,)`` with cross-entropy; return it in eval mode.

    Batches are drawn with replacement from a ``torch.Generator`` seeded with ``seed``; ``augment(batch,
    generator)``, if given, transforms each batch.
    """
    model.to(device).train()
    images, labels = images.to(device), labels.to(device)
    lr = scaled_lr(budget.lr_per_1024, budget.batch_size)
    optimizer = build_optimizer(model, budget.lr_per_1024, budget.batch_size, budget.weight_decay)
    scheduler = build_scheduler(optimizer, int(budget.warmup_fraction * budget.steps), budget.steps, lr / 100)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(budget.steps):
        batch = torch.randint(0, len(labels), (budget.batch_size,), generator=generator).to(device)
        inputs = images[batch] if augment is None else augment(images[batch], generator)
        loss = F.cross_entropy(model(inputs), labels[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), budget.clip_grad)
        optimizer.step()
        scheduler.step()
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Predicted classes ``(N,)`` of ``images (N, C, H, W)``, on the model's device, returned on the CPU."""
    device = next(model.parameters()).device
    return torch.cat([model(chunk.to(device)).argmax(dim=-1).cpu() for chunk in images.split(batch_size)])


def seeded_model(build: Callable[[], nn.Module], seed: int) -> nn.Module:
    """``build()`` with the global generator seeded by ``seed`` inside a fork: the caller's random state is kept."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def run_seeds(run_one: Callable[[int], dict], seeds: Sequence[int]) -> dict:
    """Run one variant for every seed and summarise: mean accuracy, per-seed values, spread, seconds.

    ``run_one(seed)`` returns a dict with at least ``"accuracy"``; other numeric keys are kept per seed.
    """
    per_seed = []
    for seed in seeds:
        start = time.perf_counter()
        result = run_one(seed)
        result["seconds"] = time.perf_counter() - start
        per_seed.append(result)
    accuracies = [result["accuracy"] for result in per_seed]
    return {
        "accuracy": statistics.fmean(accuracies),
        "per_seed": accuracies,
        "spread": max(accuracies) - min(accuracies),
        "seconds": sum(result["seconds"] for result in per_seed),
        "seeds": list(seeds),
        "details": per_seed,
    }


def compare(variants: dict[str, dict], first: str, second: str) -> str:
    """One sentence: does ``first`` beat ``second`` by more than their spread over seeds?"""
    a, b = variants[first], variants[second]
    gap = a["accuracy"] - b["accuracy"]
    spread = max(a["spread"], b["spread"])
    if len(a["per_seed"]) < 2 or len(b["per_seed"]) < 2:
        return f"{first} - {second} = {gap:+.1%} (one seed: no spread to compare with)"
    if abs(gap) <= spread:
        return f"{first} - {second} = {gap:+.1%}, within the spread over seeds ({spread:.1%}): no clear difference"
    return f"{first} - {second} = {gap:+.1%}, larger than the spread over seeds ({spread:.1%})"
