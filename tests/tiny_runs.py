"""The training runs the tests make: a very small Swin on scikit-learn's digits (``from tiny_runs import ...``).

32 x 32 digits, patch 4: 8 x 8 tokens, then 4 x 4, one window of 4 x 4 each; 128 training and 64 validation images,
so a run of a few epochs takes seconds on the CPU.
"""

from __future__ import annotations

from pathlib import Path

from swin_edu.presets import TrainConfig, make_config

TINY = dict(embed_dim=12, depths=[1, 1], num_heads=[1, 2], window_size=4, patch_size=4)


def tiny_config(out: Path, **overrides) -> TrainConfig:
    """The ``digits`` preset cut down to the tiny model and data above, writing its run into ``out``."""
    settings = dict(
        out=str(out),
        epochs=4,
        batch_size=32,
        train_limit=128,
        val_limit=64,
        warmup_epochs=1,
        model=TINY,
        progress=False,
    )
    return make_config("digits", **{**settings, **overrides})
