"""Experiment ``bias``: what the relative position bias buys (paper section 3.2, Eq. 4, and Table 4).

Attention without any position information treats the tokens of a window as a set: it cannot tell left from
right. Swin adds a learned bias per relative offset (``relative``); ViT adds a learned embedding per absolute
position to the input (``absolute``; like the official code's ``absolute_pos_embed``, it gets no weight decay);
``none`` has neither. Same model size and budget, two tasks:

    red left of blue   a red and a blue mark in one 4 x 4 window: is red left of blue?
                       (:func:`swin_edu.experiments.tasks.mark_order`); position is the whole task
    digits             the project's digits split, where shapes matter and position helps less directly

Without position information the answer is exactly chance on the first task, whatever the training: every image
holds the same set of tokens (a red one, a blue one, 14 black ones), attention and the MLP treat a window as a
set, and mean pooling forgets the order, so every image gets the same logits.

The paper's Table 4 (Swin-T, ImageNet-1K top-1): no position 80.1%, absolute 80.5%, absolute + relative 81.3%,
relative 81.3%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial

import torch

from swin_edu.experiments.ablations import add_absolute_position, remove_relative_bias
from swin_edu.experiments.tasks import digits_split, mark_order
from swin_edu.experiments.training import (
    Budget,
    ToySetting,
    compare,
    predict,
    run_seeds,
    seeded_model,
    train_classifier,
)
from swin_edu.model import SwinConfig, SwinTransformer

PAPER_TABLE_4 = {"no pos.": 80.1, "abs. pos.": 80.5, "abs. + rel. pos.": 81.3, "rel. pos.": 81.3}
VARIANTS = ("relative", "none", "absolute")


@dataclass(frozen=True)
class Settings(ToySetting):
    """The position task and its one-stage model (a single 4 x 4 window); ``digits_*``: the digits model."""

    grid: int = 4
    budget: Budget = Budget(steps=400, batch_size=64, lr_per_1024=0.048)  # noqa: RUF009 (frozen)
    digits_size: int = 16
    digits_depths: tuple[int, ...] = (2, 2)
    digits_heads: tuple[int, ...] = (2, 4)
    digits_budget: Budget = Budget(steps=900, batch_size=32, lr_per_1024=0.032)  # noqa: RUF009 (frozen)


QUICK = Settings()
FULL = Settings(
    train_images=50_000,
    val_images=10_000,
    budget=Budget(steps=3000, batch_size=64, lr_per_1024=0.048),
    digits_size=32,
    digits_depths=(2, 2, 2),
    digits_heads=(3, 6, 12),
    digits_budget=Budget(3000, 32, 0.032),
)


def with_position(model: SwinTransformer, variant: str) -> SwinTransformer:
    """The model with its position information as ``variant`` says: relative (unchanged), none or absolute."""
    if variant == "relative":
        return model
    remove_relative_bias(model)
    return add_absolute_position(model) if variant == "absolute" else model


def digits_swin(settings: Settings) -> SwinTransformer:
    """A small Swin for the digits: patch 2, window 4, C = 32, stages and heads from ``settings``."""
    config = SwinConfig(
        img_size=settings.digits_size,
        patch_size=2,
        in_chans=1,
        num_classes=10,
        embed_dim=settings.embed_dim,
        depths=settings.digits_depths,
        num_heads=settings.digits_heads,
        window_size=4,
        drop_path_rate=0.0,
    )
    return SwinTransformer(config)


def train_and_score(settings: Settings, task: str, variant: str, seed: int, device: str) -> dict:
    """Train one variant on one task with this seed; held-out accuracy."""
    if task == "digits":
        train_images, train_labels, val_images, val_labels = digits_split(settings.digits_size)
        build, budget = (lambda: with_position(digits_swin(settings), variant)), settings.digits_budget
    else:
        generator = torch.Generator().manual_seed(seed)
        train = mark_order(settings.train_images, settings.grid, settings.patch, generator)
        val = mark_order(settings.val_images, settings.grid, settings.patch, generator)
        train_images, train_labels, val_images, val_labels = train.images, train.labels, val.images, val.labels

        def build():
            return with_position(settings.build_model(), variant)

        budget = settings.budget
    model = train_classifier(seeded_model(build, seed), train_images, train_labels, budget, seed, device)
    return {"accuracy": (predict(model, val_images) == val_labels).float().mean().item()}


def run(quick: bool = True, seeds: int = 2, device: str = "cpu") -> dict:
    settings = QUICK if quick else FULL
    variants, comparisons = {}, []
    for task in ("red left of blue", "digits"):
        for variant in VARIANTS:
            variants[f"{task}: {variant}"] = run_seeds(
                partial(train_and_score, settings, task, variant, device=device), range(seeds)
            )
        comparisons += [compare(variants, f"{task}: relative", f"{task}: {other}") for other in ("none", "absolute")]
    return {
        "experiment": "bias",
        "variants": variants,
        "settings": asdict(settings),
        "comparisons": comparisons,
        "paper_table_4": PAPER_TABLE_4,
    }
