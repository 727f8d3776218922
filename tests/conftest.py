"""Shared test settings and fixtures: a headless matplotlib backend, quick notebooks, deterministic torch, one tiny
Swin.

``tiny_model`` is the small model every test that needs "some Swin" uses: Swin-T's four stages and depths
(2, 2, 6, 2) and its 7 x 7 windows, at 112 x 112 with 8 channels, so it builds and runs in milliseconds.
``make_tiny_model(**overrides)`` builds the same model with settings changed (a head, one channel, fewer stages).
Both are built after the seed below is set, so their weights are the same in every test.

Helpers for tests that start servers live in tests/servers.py (``import servers``); the verdict an exercise check
printed is read with ``verdict(capsys)`` from tests/exercise_output.py.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
# notebooks 10 and 12 train a short setting under test (notebooks/README.md)
os.environ.setdefault("SWIN_EDU_QUICK", "1")

from collections.abc import Callable  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from swin_edu.exercises import forget_tries  # noqa: E402
from swin_edu.model import SwinConfig, SwinTransformer  # noqa: E402

TINY = SwinConfig(img_size=112, embed_dim=8, num_heads=(1, 1, 2, 2), num_classes=0)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _fresh_tries():
    """Every test starts with no wrong tries of any exercise counted: its first wrong answer gets the first hint."""
    forget_tries()
    yield
    forget_tries()


@pytest.fixture
def make_tiny_model(_seed: None) -> Callable[..., SwinTransformer]:
    """``make_tiny_model(**overrides)``: the tiny Swin in eval mode, with any :class:`SwinConfig` field changed."""

    def make(**overrides) -> SwinTransformer:
        return SwinTransformer(TINY, **overrides).eval()

    return make


@pytest.fixture
def tiny_model(make_tiny_model: Callable[..., SwinTransformer]) -> SwinTransformer:
    """Swin-T's four stages at 112 x 112, C = 8, heads (1, 1, 2, 2), no head (features out), eval mode."""
    return make_tiny_model()
