"""The paper's cost formulas (1) and (2), the FLOP counter that reproduces them, and the explicit-path switch."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from swin_edu.attention import WindowAttention
from swin_edu.complexity import (
    count_flops,
    count_parameters,
    explicit_attention,
    layer_flops,
    loglog_slope,
    msa_cost,
    wmsa_cost,
)
from swin_edu.model import swin_t


def test_formulas_by_hand_for_swin_t_stage_1():
    h = w = 56
    channels, window = 96, 7
    projections = 4 * 3136 * 9216  # q, k, v and the output projection: 4 h w C^2
    assert msa_cost(h, w, channels) == projections + 2 * 3136**2 * 96  # every token with every token
    assert wmsa_cost(h, w, channels, window) == projections + 2 * 49 * 3136 * 96  # every token with its window


@pytest.mark.parametrize("side, channels, window", [(14, 48, 7), (28, 96, 7), (16, 36, 4)])
def test_counted_flops_halved_are_the_formulas(side, channels, window):
    assert layer_flops(side, channels, window) / 2 == wmsa_cost(side, side, channels, window)
    assert layer_flops(side, channels, None) / 2 == msa_cost(side, side, channels)


def test_explicit_attention_is_what_the_counter_needs_and_is_restored():
    layer = WindowAttention(32, 4, 2).eval()
    x = torch.randn(4, 16, 32)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        layer(x)  # fused on the CPU: the attention products are invisible to the counter
    fused_count = counter.get_total_flops()
    explicit_count = count_flops(layer, x)
    attention_products = 2 * (2 * 4 * 2 * 16 * 16 * 16)  # q k^T and probs v: 2 FLOPs per multiply-add
    assert explicit_count - fused_count == attention_products
    assert layer.fused
    with pytest.raises(RuntimeError, match="inside"), explicit_attention(layer):
        assert not layer.fused
        raise RuntimeError("inside")
    assert layer.fused  # restored, even after an error


def test_loglog_slope():
    x = [1.0, 2.0, 4.0, 8.0]
    assert loglog_slope(x, [3 * v for v in x]) == pytest.approx(1.0)
    assert loglog_slope(x, [v**2 for v in x]) == pytest.approx(2.0)


def test_count_parameters_gives_swin_t_its_table_1_count():
    """28,288,354: timm's and the official Swin-T's count (tests/test_model.py), here on the meta device."""
    with torch.device("meta"):
        assert count_parameters(swin_t()) == 28_288_354
        assert count_parameters(swin_t(num_classes=10)) == 28_288_354 - 769_000 + 7_690  # the head: 768 x k + k
