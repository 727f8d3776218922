"""The exact receptive field: windows, shifted windows that never wrap, patch merging, and the gradient check."""

import pytest
import torch

from swin_edu.model import SwinConfig, SwinTransformer
from swin_edu.receptive_field import (
    effective_receptive_field,
    every_receptive_field,
    receptive_field,
    spread_through_merging,
)
from swin_edu.windows import effective_shift

SWIN_T = SwinConfig()


def window_box(token: tuple[int, int], stage: int, config: SwinConfig) -> torch.Tensor:
    """The patches under the (unshifted) window of a stage-``stage`` token: bool (H0, W0)."""
    grid = config.img_size // config.patch_size
    side = config.window_size * 2**stage  # a window's side in input patches
    top, left = (token[0] // config.window_size) * side, (token[1] // config.window_size) * side
    box = torch.zeros(grid, grid, dtype=torch.bool)
    box[top : top + side, left : left + side] = True
    return box


def is_filled_rectangle(field: torch.Tensor) -> bool:
    rows, cols = field.nonzero(as_tuple=True)
    area = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    return int(field.sum()) == int(area)


def test_stage_sizes_and_block_positions():
    assert SWIN_T.stage_sizes() == [(56, 56), (28, 28), (14, 14), (7, 7)]
    assert SwinConfig(img_size=120).stage_sizes() == [(30, 30), (15, 15), (8, 8), (4, 4)]
    assert SWIN_T.block_positions()[:3] == [(0, 0), (0, 1), (1, 0)] and len(SWIN_T.block_positions()) == 12


@pytest.mark.parametrize("token", [(0, 0), (10, 20), (55, 55), (6, 7), (30, 3)])
def test_after_block_1_the_field_is_the_tokens_window(token):
    field = receptive_field(token, stage=0, block=0)
    assert torch.equal(field, window_box(token, 0, SWIN_T))
    assert int(field.sum()) == 49


@pytest.mark.parametrize("token_on_grid", [(0, 0), (17, 40), (55, 1), (27, 28)])
def test_wmsa_never_crosses_a_window_boundary_within_a_stage(token_on_grid):
    for stage, block in SWIN_T.block_positions():
        token = (token_on_grid[0] >> stage, token_on_grid[1] >> stage)
        field = receptive_field(token, stage, block, mode="wmsa")
        # exactly the token's window of this stage, at every block of the stage: merging alone makes it grow
        assert torch.equal(field, window_box(token, stage, SWIN_T)), (stage, block)


def test_shifted_windows_grow_the_field_within_a_stage():
    assert int(receptive_field((10, 10), 0, 1).sum()) > int(receptive_field((10, 10), 0, 0).sum())
    assert int(receptive_field((10, 10), 0, 1).sum()) == 14 * 14  # four windows of block 1 meet in one shifted window


def test_shifted_windows_never_wrap_around_the_border():
    # the tokens that the cyclic shift wraps lie within s = 3 of the border: check them all along each side
    near_border = [0, 2, 3, 52, 53, 55]
    tokens = {(row, col) for row in near_border for col in range(0, 56, 4)}
    tokens |= {(row, col) for col in near_border for row in range(1, 56, 4)}
    for token in sorted(tokens):
        field = receptive_field(token, stage=0, block=1)
        assert is_filled_rectangle(field), token  # a wrap would split it into far-apart pieces
    # the corner token: its shifted window also holds the opposite corner, but the mask keeps them apart
    corner = receptive_field((0, 0), stage=0, block=1)
    assert torch.equal(corner, window_box((0, 0), 0, SWIN_T))
    assert not corner[-1, -1] and not corner[0, -1] and not corner[-1, 0]


def test_deeper_fields_stay_rectangles_and_reach_the_whole_image():
    for stage, block in SWIN_T.block_positions():
        field = receptive_field((0, 0), stage, block)
        assert is_filled_rectangle(field)
        assert bool(field[0, 0])
    assert bool(receptive_field((0, 0), 2, 2).all())  # the whole 56x56 grid by stage 3, block 3
    assert not bool(receptive_field((0, 0), 2, 1).all())


def test_vit_is_global_after_the_first_block():
    assert bool(receptive_field((5, 9), 0, 0, mode="vit").all())


def test_no_shift_along_an_axis_that_one_window_covers():
    expected = {(56, 56): (3, 3), (7, 7): (0, 0), (14, 7): (3, 0), (7, 21): (0, 3)}
    for (height, width), shifts in expected.items():
        assert effective_shift(height, width, 7, 3) == shifts


def test_merging_maps_a_token_to_its_2x2_group_and_crops_padding():
    field = torch.zeros(4, 4, dtype=torch.bool)
    field[3, 1] = True
    before = spread_through_merging(field, 7, 8)
    assert before.shape == (7, 8)
    assert before.nonzero().tolist() == [[6, 2], [6, 3]]  # row 7 was padding


@pytest.mark.parametrize("mode", ["swin", "wmsa", "vit"])
@pytest.mark.parametrize(
    "config",
    [
        SwinConfig(img_size=100, patch_size=4, window_size=7),  # 25x25 patches: odd sizes, padding, a late map < M
        SwinConfig(img_size=36, patch_size=2, window_size=4, depths=(2, 3, 2), num_heads=(1, 2, 4)),
    ],
    ids=["25x25_M7", "18x18_M4_3stages"],
)
def test_every_field_at_once_equals_the_walk_back_from_each_token(config: SwinConfig, mode: str):
    """Rows times columns, walked forward for all tokens, give each token's field walked back over the 2-D map."""
    every = every_receptive_field(config, mode)
    sizes = config.stage_sizes()
    assert set(every) == {(s, b) for s, depth in enumerate(config.depths) for b in range(-1, depth)}
    for (stage, block), (rows, cols) in every.items():
        assert rows.shape == (sizes[stage][0], sizes[0][0]) and cols.shape == (sizes[stage][1], sizes[0][1])
        tokens = [(r, c) for r in range(sizes[stage][0]) for c in range(sizes[stage][1])]
        for token in tokens[:: max(1, len(tokens) // 8)]:
            field = rows[token[0]][:, None] & cols[token[1]][None, :]
            if block >= 0:
                expected = receptive_field(token, stage, block, config, mode)
            else:  # after merging: the union of the 2x2 group's fields after the previous stage (the input: itself)
                expected = torch.zeros(sizes[0], dtype=torch.bool)
                if stage == 0:
                    expected[token] = True
                group = [
                    (r, c)
                    for r in (2 * token[0], 2 * token[0] + 1)
                    for c in (2 * token[1], 2 * token[1] + 1)
                    if stage > 0 and r < sizes[stage - 1][0] and c < sizes[stage - 1][1]
                ]
                for member in group:
                    expected |= receptive_field(member, stage - 1, config.depths[stage - 1] - 1, config, mode)
            assert torch.equal(field, expected), (stage, block, token)


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        receptive_field((56, 0), 0, 0)
    with pytest.raises(ValueError):
        receptive_field((0, 0), 0, 2)
    with pytest.raises(ValueError):
        receptive_field((0, 0), 0, 0, mode="cnn")


def uniform_attention_model(model: SwinTransformer, monkeypatch) -> SwinTransformer:
    """A model whose attention is uniform over what the mask leaves open, with masked pairs weighted exactly 0."""
    import swin_edu.blocks

    real_mask = swin_edu.blocks.cached_shift_mask
    monkeypatch.setattr(
        swin_edu.blocks,
        "cached_shift_mask",
        lambda *args: real_mask(*args).masked_fill(real_mask(*args) < 0, float("-inf")),
    )
    model = model.double().eval()
    with torch.no_grad():
        for stage in model.layers:
            for block in stage.blocks:
                dim = block.attn.dim
                block.attn.qkv.weight[:dim] = 0  # queries are zero: every logit is bias + mask
                block.attn.qkv.bias[:dim] = 0
                block.attn.relative_position_bias_table.zero_()
    return model


@pytest.mark.parametrize("img_size", [112, 120])  # 120: a 30x30 grid, padded to windows and odd at merging
def test_exact_field_equals_the_nonzero_gradient_of_a_uniform_attention_model(img_size, make_tiny_model, monkeypatch):
    model = uniform_attention_model(make_tiny_model(img_size=img_size, depths=(2, 2, 2, 2)), monkeypatch)
    config = model.config
    images = torch.rand(1, 3, img_size, img_size, dtype=torch.float64)
    sizes = config.stage_sizes()
    checked = 0
    for stage, block in config.block_positions():
        height, width = sizes[stage]
        for token in [(0, 0), (height - 1, width // 2)]:
            gradient = effective_receptive_field(model, images, token, stage, block)
            exact = receptive_field(token, stage, block, config)
            assert torch.equal(gradient != 0, exact), (stage, block, token)
            checked += 1
    assert checked == 2 * len(config.block_positions())


def test_effective_field_of_a_real_model_lies_in_the_exact_field(tiny_model):
    model, config = tiny_model.train(), tiny_model.config
    images = torch.rand(1, 3, 112, 112)
    gradient = effective_receptive_field(model, images, (3, 4), 0, 1)
    exact = receptive_field((3, 4), 0, 1, config)
    assert model.training  # restored
    assert 0 < int(exact.sum()) < exact.numel()
    assert gradient[exact].min() > 0
    assert gradient[~exact].max() < 1e-30 * gradient.max()  # only the mask's e^-100 leaks out
    assert all(parameter.grad is None for parameter in model.parameters())
