"""Window attention: which path ``forward`` takes, fused and explicit paths equal (values and gradients), the mask."""

import copy

import pytest
import torch
import torch.nn.functional as F

import swin_edu.attention
from swin_edu.attention import WindowAttention
from swin_edu.windows import shifted_window_mask


@pytest.fixture
def attention() -> WindowAttention:
    module = WindowAttention(dim=32, window_size=4, num_heads=4).eval()
    torch.nn.init.normal_(module.relative_position_bias_table, std=1.0)  # make the bias matter
    return module


class FusedCalls:
    """Counts the calls of ``scaled_dot_product_attention`` made by swin_edu.attention, and keeps their masks."""

    def __init__(self) -> None:
        self.masks: list[torch.Tensor] = []
        self.kernel = F.scaled_dot_product_attention  # the real one, taken before it is patched

    def __call__(self, *args, **kwargs) -> torch.Tensor:
        self.masks.append(kwargs["attn_mask"])
        return self.kernel(*args, **kwargs)

    @property
    def count(self) -> int:
        return len(self.masks)


@pytest.fixture
def fused_calls(monkeypatch) -> FusedCalls:
    calls = FusedCalls()
    monkeypatch.setattr(swin_edu.attention.F, "scaled_dot_product_attention", calls)
    return calls


def test_the_path_forward_takes(attention, fused_calls):
    x, mask = torch.randn(2 * 6, 16, 32), shifted_window_mask(8, 12, 4, 2)
    with torch.no_grad():
        attention(x, mask)  # inference: fused
        assert fused_calls.count == 1
        attention(x, mask, return_attention=True)  # the probabilities: explicit
        assert fused_calls.count == 1
    attention.train()
    attention(x, mask)  # training on the CPU: explicit (see fused_kernel_is_faster)
    assert fused_calls.count == 1
    attention.fused = False
    with torch.no_grad():
        attention.eval()(x, mask)  # switched off: explicit
    assert fused_calls.count == 1


def test_the_fused_path_gets_a_broadcast_bias_for_w_msa_and_one_mask_per_window_for_sw_msa(attention, fused_calls):
    with torch.no_grad():
        attention(torch.randn(3 * 4, 16, 32))  # W-MSA, 3 images of 4 windows
        attention(torch.randn(3 * 6, 16, 32), shifted_window_mask(8, 12, 4, 2))  # SW-MSA, 3 images of 6 windows
    w_msa, sw_msa = fused_calls.masks
    assert w_msa.shape == (1, 4, 16, 16)  # one (heads, N, N) bias broadcast over every window: no copy
    assert sw_msa.shape == (3 * 6, 4, 16, 16)
    assert torch.equal(sw_msa[6:12], sw_msa[:6])  # window w of every image gets mask w


@pytest.mark.parametrize("shifted", [False, True])
def test_fused_path_equals_explicit_path(attention, fused_calls, shifted):
    mask = shifted_window_mask(8, 12, 4, 2) if shifted else None  # 6 windows per image
    x = torch.randn(3 * 6, 16, 32)
    with torch.no_grad():
        fused = attention(x, mask)
        explicit, probs = attention(x, mask, return_attention=True)
    assert fused_calls.count == 1  # really two different paths
    assert torch.allclose(fused, explicit, atol=1e-5)
    assert probs.shape == (18, 4, 16, 16)
    assert torch.allclose(probs.sum(-1), torch.ones(18, 4, 16))


@pytest.mark.parametrize("shifted", [False, True])
def test_fused_and_explicit_gradients_are_equal(attention, fused_calls, monkeypatch, shifted):
    """The gradient of the input and of every parameter (the bias table learns through the fused kernel's mask)."""
    mask = shifted_window_mask(8, 12, 4, 2) if shifted else None
    x = torch.randn(2 * 6, 16, 32)
    target = torch.randn(2 * 6, 16, 32)
    explicit_module = copy.deepcopy(attention).train()
    explicit_module.fused = False
    monkeypatch.setattr(swin_edu.attention, "fused_kernel_is_faster", lambda x: True)  # fused in training too
    gradients = []
    for module in (attention.train(), explicit_module):
        inputs = x.clone().requires_grad_()
        loss = (module(inputs, mask) * target).sum()
        parameters = dict(module.named_parameters())
        grads = torch.autograd.grad(loss, [inputs, *parameters.values()])
        gradients.append(dict(zip(["input", *parameters], grads)))
    assert fused_calls.count == 1
    fused, explicit = gradients
    assert set(fused) == {"input", "qkv.weight", "qkv.bias", "relative_position_bias_table", "proj.weight", "proj.bias"}
    for name in fused:
        assert fused[name].abs().max() > 0, name
        assert torch.allclose(fused[name], explicit[name], atol=1e-5, rtol=1e-4), name


def test_masked_pairs_get_no_attention(attention):
    mask = shifted_window_mask(8, 8, 4, 2)  # 4 windows
    _, probs = attention(torch.randn(2 * 4, 16, 32), mask, return_attention=True)
    separated = (mask != 0).unsqueeze(1).repeat(2, 4, 1, 1)  # (B*nW, heads, N, N)
    assert separated.any() and (~separated).any()
    assert probs[separated].max() < 1e-20  # a -100 logit gets about exp(-100) ~ 4e-44 of the weight
    assert probs[~separated].min() > 1e-6


def test_window_attention_under_bf16_autocast_on_cpu(attention):
    x = torch.randn(4, 16, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = attention(x, shifted_window_mask(8, 8, 4, 2))
    assert out.dtype == torch.bfloat16
    assert torch.allclose(out.float(), attention(x, shifted_window_mask(8, 8, 4, 2)), atol=0.1)


def test_heads_must_divide_channels():
    with pytest.raises(ValueError, match="divisible"):
        WindowAttention(dim=30, window_size=7, num_heads=4)
