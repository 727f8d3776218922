"""Experiment ``shift``: what the shifted windows buy.

The task (:func:`swin_edu.experiments.tasks.two_marks`): two square marks in *different* windows; do they have
the same colour? The model is a one-stage Swin (no patch merging), so the only path between windows is the
shift. Variants, same size and budget:

    shifted   W-MSA and SW-MSA alternating, as in the paper
    wmsa      every block W-MSA (no shift)

Why ``wmsa`` stays near chance: without the shift, each token's features depend only on its own window. Mean
pooling and the linear head are linear, so the logit is a *sum of per-window terms*, here
``phi(mark 1) + phi(mark 2) + const``. Cross-entropy is strictly convex in the logit and the task does not change
when the colours are renamed, so the sum that minimises the expected loss is the same for every renaming: it cannot
depend on the colours at all, and predicts 50%. A sum fitted to finite data need not be that one, and a threshold
on a sum can score above or below 50% (calling "same" when both colours lie in a chosen half scores 2/3 here, the
reverse rule 1/3), but no sum can solve the task.

The distance study ties accuracy to the exact receptive field (:func:`swin_edu.receptive_field.receptive_field`,
notebook 08): on a larger map, two marks can be compared only if some token's field after the last block holds
both. With too few blocks, the pairs that no token joins stay at chance, whatever the training.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import partial

import torch

from swin_edu.experiments.ablations import remove_shift
from swin_edu.experiments.tasks import MarkImages, two_marks
from swin_edu.experiments.training import (
    Budget,
    ToySetting,
    compare,
    predict,
    run_seeds,
    seeded_model,
    train_classifier,
)
from swin_edu.model import SwinConfig
from swin_edu.receptive_field import receptive_field


@dataclass(frozen=True)
class Settings(ToySetting):
    """The task and the model. ``distance_grid`` and ``distance_depths``: the map and depths of the distance study.

    A mark fills its whole window (``mark_size = window``): reading it then needs no attention inside the window,
    and the shifted model learns the task in a few hundred steps. One-token marks (``mark_size=1``) need a few
    times more: measured here with 2 colours, 50% after 700 steps and 100% after 1,500.
    """

    num_colours: int = 4
    mark_size: int = 4
    distance_grid: int = 12
    distance_depths: tuple[int, ...] = (2,)


QUICK = Settings()
FULL = replace(
    QUICK,
    train_images=50_000,
    val_images=10_000,
    budget=Budget(steps=2000, batch_size=64, lr_per_1024=0.048),
    distance_grid=16,
    distance_depths=(2, 4, 6),
)


def token_fields(grid: int, window: int, depth: int, mode: str = "swin") -> torch.Tensor:
    """The exact receptive field of every token after ``depth`` blocks of a one-stage model, patch 1.

    Returns:
        bool ``(grid*grid, grid*grid)``: ``[t, p]`` is True when token p can change token t.
    """
    config = SwinConfig(img_size=grid, patch_size=1, embed_dim=8, depths=(depth,), num_heads=(1,), window_size=window)
    return torch.stack(
        [
            receptive_field((row, col), 0, depth - 1, config, mode).flatten()
            for row in range(grid)
            for col in range(grid)
        ]
    )


def marks_joined(data: MarkImages, fields: torch.Tensor, grid: int, size: int) -> torch.Tensor:
    """For each image, whether some token's field holds a part of both marks: bool ``(N,)``."""
    corners = data.positions  # (N, 2, 2) top-left token of each mark
    rows = torch.arange(grid)
    covered = []  # (N, grid*grid) tokens of each mark
    for mark in range(2):
        top, left = corners[:, mark, 0, None], corners[:, mark, 1, None]  # (N, 1)
        in_rows = (rows >= top) & (rows < top + size)  # (N, grid)
        in_cols = (rows >= left) & (rows < left + size)
        covered.append((in_rows[:, :, None] & in_cols[:, None, :]).flatten(1).float())
    fields = fields.float()  # (T, P)
    touches_first, touches_second = (mark_tokens @ fields.T > 0 for mark_tokens in covered)  # (N, T) each
    return (touches_first & touches_second).any(dim=1)


def train_and_score(settings: Settings, grid: int, depth: int, shifted: bool, seed: int, device: str) -> dict:
    """Train one model on fresh data of this seed; accuracy overall and on the pairs its receptive fields join."""
    generator = torch.Generator().manual_seed(seed)
    train, val = (
        two_marks(count, grid, settings.window, settings.patch, generator, settings.num_colours, settings.mark_size)
        for count in (settings.train_images, settings.val_images)
    )

    def build():
        model = settings.build_model(grid, depth)
        return model if shifted else remove_shift(model)

    model = train_classifier(seeded_model(build, seed), train.images, train.labels, settings.budget, seed, device)
    correct = (predict(model, val.images) == val.labels).float()
    fields = token_fields(grid, settings.window, depth, "swin" if shifted else "wmsa")
    joined = marks_joined(val, fields, grid, settings.mark_size)
    return {
        "accuracy": correct.mean().item(),
        "fraction_joined": joined.float().mean().item(),
        "accuracy_joined": correct[joined].mean().item() if joined.any() else None,
        "accuracy_not_joined": correct[~joined].mean().item() if (~joined).any() else None,
    }


def run(quick: bool = True, seeds: int = 2, device: str = "cpu") -> dict:
    """Run the experiment; return the results (see :mod:`swin_edu.experiments` for the layout)."""
    settings = QUICK if quick else FULL
    seed_list = list(range(seeds))
    variants = {}
    for name, shifted in (("shifted", True), ("wmsa", False)):
        variants[name] = run_seeds(
            partial(train_and_score, settings, settings.grid, settings.depth, shifted, device=device), seed_list
        )
    for depth in settings.distance_depths:
        grid = settings.distance_grid
        variants[f"shifted {grid}x{grid} depth {depth}"] = run_seeds(
            partial(train_and_score, settings, grid, depth, True, device=device),
            seed_list[:1] if quick else seed_list,
        )
    return {
        "experiment": "shift",
        "variants": variants,
        "settings": asdict(settings),
        "comparisons": [compare(variants, "shifted", "wmsa")],
        "chance": 0.5,
    }
