"""The Swin block, proven against a brute-force shifted-window attention; patch merging; drop path."""

import pytest
import torch
import torch.nn.functional as F

from swin_edu.blocks import DropPath, SwinBlock
from swin_edu.patches import PatchMerging
from swin_edu.windows import shifted_window_mask


def window_groups(length: int, window: int, shift: int) -> torch.Tensor:
    """Which shifted window each row (or column) belongs to, in the un-rolled map: [0, s) is a partial window."""
    positions = torch.arange(length)
    return torch.div(positions - shift, window, rounding_mode="floor")  # -1 for the partial window at the start


def brute_force_shifted_attention(block: SwinBlock, x: torch.Tensor) -> torch.Tensor:
    """SW-MSA without roll and without mask: gather each shifted window's own tokens and attend among them.

    x: (B, H, W, C), H and W multiples of the window. Windows near the border are partial (the paper's Fig. 2).
    """
    attn = block.attn
    batch, height, width, channels = x.shape
    window, shift = block.window_size, block.shift_size
    rows, cols = window_groups(height, window, shift), window_groups(width, window, shift)
    out = torch.zeros_like(x)
    for row_group in rows.unique():
        for col_group in cols.unique():
            ys, xs = torch.meshgrid(
                torch.nonzero(rows == row_group)[:, 0], torch.nonzero(cols == col_group)[:, 0], indexing="ij"
            )
            ys, xs = ys.flatten(), xs.flatten()
            tokens = x[:, ys, xs, :]  # (B, n, C), n <= M*M tokens of this window
            q, k, v = (
                attn.qkv(tokens)
                .reshape(batch, -1, 3, attn.num_heads, channels // attn.num_heads)
                .permute(2, 0, 3, 1, 4)
            )
            dy, dx = ys[:, None] - ys[None, :], xs[:, None] - xs[None, :]  # true offsets, nothing wrapped
            bias = attn.relative_position_bias_table[(dy + window - 1) * (2 * window - 1) + (dx + window - 1)]
            logits = (q * attn.scale) @ k.transpose(-2, -1) + bias.permute(2, 0, 1)
            attended = (logits.softmax(-1) @ v).transpose(1, 2).reshape(batch, -1, channels)
            out[:, ys, xs, :] = attn.proj(attended)
    return out


@pytest.mark.parametrize("height, width, window, shift", [(14, 14, 7, 3), (8, 12, 4, 2), (12, 12, 4, 1), (8, 8, 4, 0)])
def test_roll_and_mask_equal_brute_force_shifted_windows(height, width, window, shift):
    block = SwinBlock(dim=16, num_heads=2, window_size=window, shift_size=shift).eval()
    torch.nn.init.normal_(block.attn.relative_position_bias_table, std=1.0)
    x = torch.randn(2, height, width, 16)
    with torch.no_grad():
        assert torch.allclose(block.window_attention(x), brute_force_shifted_attention(block, x), atol=1e-5)


def test_shift_mask_follows_size_dtype_and_device():
    block = SwinBlock(dim=16, num_heads=2, window_size=4, shift_size=2)
    cases = [((8, 8), torch.float32, "cpu"), ((12, 8), torch.float32, "cpu"), ((8, 8), torch.bfloat16, "cpu")]
    cases += [((8, 8), torch.float16, "meta"), ((8, 12), torch.float32, "cpu"), ((8, 8), torch.float32, "cpu")]
    for (height, width), dtype, device in cases:  # the same block, asked again and again: never a stale mask
        mask = block.shift_mask(height, width, (2, 2), torch.device(device), dtype)
        assert mask.dtype == dtype and mask.device.type == device
        assert mask.shape == (height * width // 16, 16, 16)
        if device != "meta":
            assert torch.equal(mask.float(), shifted_window_mask(height, width, 4, 2))
    assert block.shift_mask(8, 8, (0, 0), torch.device("cpu"), torch.float32) is None  # W-MSA: no mask


@pytest.mark.parametrize("sizes", [[(8, 8), (12, 8), (8, 8)], [(12, 8), (8, 12), (8, 8)]])
def test_a_block_gives_what_a_fresh_block_gives_whatever_ran_before(sizes):
    block = SwinBlock(dim=16, num_heads=2, window_size=4, shift_size=2).eval()
    torch.nn.init.normal_(block.attn.relative_position_bias_table, std=1.0)
    attributes = set(vars(block))
    for height, width in sizes:
        x = torch.randn(2, height, width, 16)
        fresh = SwinBlock(dim=16, num_heads=2, window_size=4, shift_size=2).eval()
        fresh.load_state_dict(block.state_dict())
        with torch.no_grad():
            assert torch.equal(block(x), fresh(x))
            assert torch.allclose(block.window_attention(x), brute_force_shifted_attention(block, x), atol=1e-5)
    assert set(vars(block)) == attributes  # forward assigned nothing to the module
    assert [name for name, _ in block.named_buffers()] == ["attn.relative_position_index"]
    assert not any("mask" in key for key in block.state_dict())


def test_no_shift_when_a_single_window_covers_the_map():
    shifted = SwinBlock(dim=16, num_heads=2, window_size=7, shift_size=3).eval()
    regular = SwinBlock(dim=16, num_heads=2, window_size=7, shift_size=0).eval()
    regular.load_state_dict(shifted.state_dict())
    x = torch.randn(2, 7, 7, 16)  # the last stage of Swin-T at 224
    assert torch.equal(shifted(x), regular(x))
    assert shifted.window_grid(7, 14).shift == (0, 3)


def test_patch_merging_keeps_the_reference_channel_order():
    merging = PatchMerging(dim=3)
    x = torch.randn(2, 6, 8, 3)
    x0, x1, x2, x3 = x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]  # the official code
    expected = merging.reduction(merging.norm(torch.cat([x0, x1, x2, x3], dim=-1)))
    assert torch.allclose(merging(x), expected)
    assert merging(torch.randn(1, 7, 5, 3)).shape == (1, 4, 3, 6)  # odd sizes are padded


def test_patch_merging_pads_odd_sizes_with_zeros():
    merging = PatchMerging(dim=2)
    x = torch.randn(1, 3, 3, 2)
    assert torch.allclose(merging(x), merging(F.pad(x, (0, 0, 0, 1, 0, 1))))


def test_drop_path():
    drop = DropPath(0.5)
    x = torch.ones(2000, 3)
    drop.train()
    out = drop(x)
    kept = out[:, 0] != 0
    assert 0.4 < kept.float().mean() < 0.6
    assert torch.all(out[kept] == 2.0)  # kept samples are scaled by 1 / keep_prob
    drop.eval()
    assert torch.equal(drop(x), x)


def test_block_refuses_a_shift_as_large_as_the_window():
    with pytest.raises(ValueError, match="shift_size"):
        SwinBlock(dim=16, num_heads=2, window_size=4, shift_size=4)
