"""Window attention: the fused path equals the explicit one; the shift mask really separates regions."""

import pytest
import torch

from swin_edu.attention import WindowAttention, fused_kernel_is_faster
from swin_edu.windows import shifted_window_mask


@pytest.fixture
def attention() -> WindowAttention:
    module = WindowAttention(dim=32, window_size=4, num_heads=4).eval()
    torch.nn.init.normal_(module.relative_position_bias_table, std=1.0)  # make the bias matter
    return module


@pytest.mark.parametrize("shifted", [False, True])
def test_fused_path_equals_explicit_path(attention, shifted):
    mask = shifted_window_mask(8, 12, 4, 2) if shifted else None  # 6 windows per image
    x = torch.randn(3 * 6, 16, 32)
    with torch.no_grad():  # on the CPU the fused kernel serves inference (see fused_kernel_is_faster)
        assert fused_kernel_is_faster(x)
        fused = attention(x, mask)
        explicit, probs = attention(x, mask, return_attention=True)
    assert torch.allclose(fused, explicit, atol=1e-5)
    assert probs.shape == (18, 4, 16, 16)
    assert torch.allclose(probs.sum(-1), torch.ones(18, 4, 16))


def test_masked_pairs_get_no_attention(attention):
    mask = shifted_window_mask(8, 8, 4, 2)  # 4 windows
    _, probs = attention(torch.randn(2 * 4, 16, 32), mask, return_attention=True)
    separated = (mask != 0).unsqueeze(1).repeat(2, 4, 1, 1)  # (B*nW, heads, N, N)
    assert probs[separated].max() < 1e-20  # a -100 logit gets about exp(-100) ~ 4e-44 of the weight


def test_training_on_the_cpu_takes_the_explicit_path():
    assert not fused_kernel_is_faster(torch.zeros(1))
    with torch.no_grad():
        assert fused_kernel_is_faster(torch.zeros(1))


def test_window_attention_under_bf16_autocast_on_cpu(attention):
    x = torch.randn(4, 16, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = attention(x, shifted_window_mask(8, 8, 4, 2))
    assert out.dtype == torch.bfloat16
    assert torch.allclose(out.float(), attention(x, shifted_window_mask(8, 8, 4, 2)), atol=0.1)


def test_heads_must_divide_channels():
    with pytest.raises(ValueError, match="divisible"):
        WindowAttention(dim=30, window_size=7, num_heads=4)
