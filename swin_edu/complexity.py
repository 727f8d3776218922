"""What attention costs: the paper's formulas (1) and (2), and FLOPs measured by PyTorch's own counter.

Paper section 3.2, for a feature map of h x w tokens with C channels and windows of M x M tokens:
    (1)  Omega(MSA)   = 4 h w C^2 + 2 (h w)^2 C      quadratic in the number of tokens h w
    (2)  Omega(W-MSA) = 4 h w C^2 + 2 M^2 h w C      linear in h w for a fixed M
(softmax ignored). The paper's counts are multiply-adds; ``torch.utils.flop_counter`` counts a multiply-add as
two FLOPs, so its figure is halved to compare with the paper's Table 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from swin_edu.attention import WindowAttention


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


def count_flops(model: nn.Module, inputs: torch.Tensor) -> int:
    """FLOPs of one forward pass as ``torch.utils.flop_counter`` counts them (2 per multiply-add).

    Halve the result for the paper's multiply-add convention.
    """
    counter = FlopCounterMode(display=False)
    with explicit_attention(model), counter, torch.no_grad():
        model(inputs)
    return counter.get_total_flops()
