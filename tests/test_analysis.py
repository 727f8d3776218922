"""Analysis of a model's attention, against a brute force of which keys each query may see; eval_mode."""

import math

import numpy as np
import pytest
import torch

from swin_edu.analysis import attention_map, block_attention, mean_attention_distance
from swin_edu.model import SwinConfig, SwinTransformer, eval_mode

# patch 2 on a 20 x 24 image: a 10 x 12 map, padded to 12 x 12 for windows of 4, shifted by 2 in block 1
CONFIG = SwinConfig(img_size=24, patch_size=2, embed_dim=8, depths=(2,), num_heads=(2,), window_size=4, num_classes=0)
HEIGHT, WIDTH, PADDED, WINDOW = 10, 12, 12, 4


@pytest.fixture
def uniform_model() -> SwinTransformer:
    """Zero queries and a zero bias table: every query weighs equally each key its (shifted) window lets it see."""
    model = SwinTransformer(CONFIG).train()  # train mode: the analysis must switch to eval and back
    with torch.no_grad():
        for block in model.layers[0].blocks:
            block.attn.qkv.weight[: block.attn.dim] = 0
            block.attn.qkv.bias[: block.attn.dim] = 0
            block.attn.relative_position_bias_table.zero_()
    return model


def groups(length: int, shift: int) -> list[int]:
    """The window each row (or column) of the padded map belongs to, without any roll: [0, s) is a partial window."""
    return [(position - shift) // WINDOW for position in range(length)]


def visible_keys(query: tuple[int, int], shift: int) -> list[tuple[int, int]]:
    """Every token of the padded map (padding included) in the same shifted window as ``query``, as in Fig. 2."""
    rows, cols = groups(PADDED, shift), groups(PADDED, shift)
    return [
        (r, c) for r in range(PADDED) for c in range(PADDED) if rows[r] == rows[query[0]] and cols[c] == cols[query[1]]
    ]


@pytest.mark.parametrize("block", [0, 1])
def test_attention_map_of_uniform_attention_by_brute_force(uniform_model, block):
    image = torch.randn(3, 2 * HEIGHT, 2 * WIDTH)
    shift = 2 * block
    for query in [(0, 0), (1, 11), (9, 5), (5, 6)]:
        placed, window_row = attention_map(uniform_model, image, 0, block, 1, query)
        keys = visible_keys(query, shift)  # padding included: it takes its share of the attention
        for r in range(HEIGHT):
            for c in range(WIDTH):
                if (r, c) in keys:
                    assert placed[r, c] == pytest.approx(1 / len(keys), rel=1e-5), (query, r, c)
                elif not np.isnan(placed[r, c]):  # the same rolled window, another region: masked out
                    assert placed[r, c] < 1e-20, (query, r, c)
        assert window_row.shape == (WINDOW, WINDOW) and math.isclose(window_row.sum(), 1.0, rel_tol=1e-5)
    assert uniform_model.training  # modes restored


@pytest.mark.parametrize("block", [0, 1])
def test_mean_attention_distance_of_uniform_attention_by_brute_force(uniform_model, block):
    images = torch.randn(2, 3, 2 * HEIGHT, 2 * WIDTH)
    shift = 2 * block
    distances = [
        np.mean([math.dist(query, key) for key in visible_keys(query, shift)])
        for query in [(r, c) for r in range(HEIGHT) for c in range(WIDTH)]  # real queries only
    ]
    measured = mean_attention_distance(uniform_model, images, 0, block)
    assert measured.shape == (2,)
    assert torch.allclose(measured, torch.tensor(np.mean(distances), dtype=torch.float32).expand(2), atol=1e-4)
    assert uniform_model.training


def test_block_attention_shapes_and_grid(uniform_model):
    probs, grid = block_attention(uniform_model, torch.randn(3, 3, 2 * HEIGHT, 2 * WIDTH), 0, 1)
    assert probs.shape == (3, 9, 2, 16, 16)  # 3 images, 3 x 3 windows, 2 heads
    assert (grid.height, grid.width, grid.padded_height, grid.shift) == (HEIGHT, WIDTH, PADDED, (2, 2))
    assert torch.allclose(probs.sum(-1), torch.ones(3, 9, 2, 16))


def test_a_query_outside_the_map_is_refused(uniform_model):
    with pytest.raises(ValueError, match=r"query \(10, 0\) is outside the 10x12 map of stage 0"):
        attention_map(uniform_model, torch.randn(3, 20, 24), 0, 0, 0, (10, 0))


def test_eval_mode_restores_every_submodule_even_after_an_error():
    model = SwinTransformer(CONFIG).train()
    model.layers[0].blocks[1].eval()  # a mixed state: model.train(previous) would not restore it
    before = {name: module.training for name, module in model.named_modules()}
    with eval_mode(model) as same:
        assert same is model and not any(module.training for module in model.modules())
    assert {name: module.training for name, module in model.named_modules()} == before
    with pytest.raises(RuntimeError, match="inside"), eval_mode(model):
        raise RuntimeError("inside")
    assert {name: module.training for name, module in model.named_modules()} == before
