"""What attention costs: the paper's formulas (1) and (2), FLOPs measured by PyTorch's own counter, and parameters.

Paper section 3.2, for a feature map of h x w tokens with C channels and windows of M x M tokens:
    (1)  Omega(MSA)   = 4 h w C^2 + 2 (h w)^2 C      quadratic in the number of tokens h w
    (2)  Omega(W-MSA) = 4 h w C^2 + 2 M^2 h w C      linear in h w for a fixed M
(softmax ignored). The paper's counts are multiply-adds; ``torch.utils.flop_counter`` counts a multiply-add as
two FLOPs, so its figure is halved to compare with the paper's Table 1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from swin_edu.attention import WindowAttention
from swin_edu.windows import window_partition


def msa_cost(h: int, w: int, channels: int) -> int:
    """Formula (1): multiply-adds of global multi-head self-attention on h x w tokens."""
    return 4 * h * w * channels**2 + 2 * (h * w) ** 2 * channels


def wmsa_cost(h: int, w: int, channels: int, window_size: int) -> int:
    """Formula (2): multiply-adds of window attention with M x M windows on h x w tokens."""
    return 4 * h * w * channels**2 + 2 * window_size**2 * h * w * channels


@contextmanager
def explicit_attention(model: nn.Module) -> Iterator[nn.Module]:
    """Within the block, every :class:`WindowAttention` of ``model`` takes the explicit path.

    The FLOP counter sees the ``q @ k^T`` and ``attn @ v`` products only when they are explicit matmuls: inside
    the fused CPU kernel they are invisible and Swin-T would read about 3% low.
    """
    attentions = [module for module in model.modules() if isinstance(module, WindowAttention)]
    previous = [attention.fused for attention in attentions]
    for attention in attentions:
        attention.fused = False
    try:
        yield model
    finally:
        for attention, fused in zip(attentions, previous):
            attention.fused = fused


def count_parameters(model: nn.Module) -> int:
    """The number of learned numbers in ``model`` (works on the meta device too: no memory needed)."""
    return sum(parameter.numel() for parameter in model.parameters())


def count_flops(model: nn.Module, inputs: torch.Tensor) -> int:
    """FLOPs of one forward pass as ``torch.utils.flop_counter`` counts them (2 per multiply-add).

    Halve the result for the paper's multiply-add convention.
    """
    counter = FlopCounterMode(display=False)
    with explicit_attention(model), counter, torch.no_grad():
        model(inputs)
    return counter.get_total_flops()


# --- one attention layer, measured: what the complexity explorer plots -------------------------------------


def attention_layer(channels: int, window_size: int, num_heads: int) -> WindowAttention:
    """One attention layer. With ``window_size`` equal to the side of the map it is global MSA: one window
    holds every token (its relative position bias adds no multiply-adds)."""
    return WindowAttention(channels, window_size, num_heads).eval()


def layer_input(side: int, channels: int, window_size: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """Random tokens of a ``side x side`` map, cut into windows: ``(side/M)^2, M*M, C``."""
    tokens = torch.randn(1, side, side, channels, device=device)  # (1, h, w, C)
    return window_partition(tokens, window_size).flatten(1, 2)  # (nW, M*M, C)


def layer_flops(side: int, channels: int, window_size: int | None, num_heads: int = 3) -> int:
    """FLOPs of one attention layer on a ``side x side`` map, counted by ``torch.utils.flop_counter``.

    ``window_size=None`` counts global MSA. The count runs on the ``meta`` device: shapes only, no arithmetic,
    so any size is instant. Halved, it equals formula (1) or (2) exactly.
    """
    window = window_size or side
    with torch.device("meta"):
        layer = attention_layer(channels, window, num_heads)
        inputs = layer_input(side, channels, window, device="meta")
    return count_flops(layer, inputs)


def layer_seconds(
    side: int, channels: int, window_size: int | None, num_heads: int = 3, repeats: int = 25, budget: float = 0.3
) -> float:
    """Wall time in seconds of one forward pass of one attention layer (fused path, no gradient).

    ``window_size=None`` times global MSA on the whole ``side x side`` map. After one warm-up call, it takes the
    best of up to ``repeats`` calls (at least two, fewer once ``budget`` seconds are spent): on a shared CPU the
    fastest run is the one least disturbed by other work.
    """
    window = window_size or side
    layer = attention_layer(channels, window, num_heads)
    inputs = layer_input(side, channels, window)
    times: list[float] = []
    with torch.no_grad():
        layer(inputs)  # warm-up
        while len(times) < 2 or (len(times) < repeats and sum(times) < budget):
            start = time.perf_counter()
            layer(inputs)
            times.append(time.perf_counter() - start)
    return min(times)


@lru_cache(maxsize=32)
def measure_attention_layers(
    sides: tuple[int, ...] = (14, 28, 42, 56), channels: int = 96, window_size: int = 7, num_heads: int = 3
) -> dict[str, tuple[float, ...]]:
    """FLOPs and wall time of one W-MSA layer and one global MSA layer for every map side (cached).

    The default sides are the stage-1 maps of 56 to 224 pixel images; the first call takes a second or two.

    Returns:
        ``{"sides", "tokens", "flops_wmsa", "flops_msa", "seconds_wmsa", "seconds_msa"}``, one value per side.
    """
    return {
        "sides": sides,
        "tokens": tuple(side * side for side in sides),
        "flops_wmsa": tuple(layer_flops(side, channels, window_size, num_heads) for side in sides),
        "flops_msa": tuple(layer_flops(side, channels, None, num_heads) for side in sides),
        "seconds_wmsa": tuple(layer_seconds(side, channels, window_size, num_heads) for side in sides),
        "seconds_msa": tuple(layer_seconds(side, channels, None, num_heads) for side in sides),
    }


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x: the exponent k in y ~ x^k (1 linear, 2 quadratic)."""
    log_x, log_y = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    return float(np.polyfit(log_x, log_y, 1)[0])
