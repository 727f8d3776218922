"""The exercise checks of notebooks 06 and 07 (and a helper of 12): right answers pass, wrong ones get a hint."""

from __future__ import annotations

import pytest
import torch
from einops import rearrange
from exercise_output import verdict

from swin_edu import swin_t
from swin_edu.complexity import count_parameters

# notebook 06: the whole model and its weights (the checks of notebook 05 are in tests/test_exercises_blocks.py)


SWIN_T_10_CLASSES = 28_288_354 - (768 * 1000 + 1000) + (768 * 10 + 10)  # the Table 1 count, the head swapped by hand


def test_parameters_10_classes_right_answer_says_what_was_right(capsys):
    from swin_edu.exercises import model

    with torch.device("meta"):
        assert count_parameters(swin_t(num_classes=10)) == SWIN_T_10_CLASSES  # the model agrees by hand
    assert model.check_parameters_10_classes(SWIN_T_10_CLASSES)
    assert verdict(capsys) == (
        "Correct: the classifier shrinks from 769,000 to 7,690 parameters; the other 27,519,354 are the backbone, "
        "whatever the classes."
    )
    assert model.check_parameters_10_classes(float(SWIN_T_10_CLASSES))


@pytest.mark.parametrize(
    "answer, says",
    [
        (28_288_354, "the count of the 1000-class model"),
        (28_288_354 - 768 * 990, "not its bias"),
        (28_288_354 - 96 * 990 - 990, "8C = 768 channels, not C = 96"),
        (28_288_354 + 7_690, "kept the old one"),
        (7_690, "the new classifier alone"),
        (28_288_354 - 769_000, "the backbone alone"),
        (SWIN_T_10_CLASSES + 0.5, "a count is a whole number"),
        (SWIN_T_10_CLASSES + 1, "which is not right"),
    ],
)
def test_parameters_10_classes_name_the_mistake(capsys, answer, says):
    from swin_edu.exercises import model

    assert not model.check_parameters_10_classes(answer)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_parameters_10_classes_hints_grow_and_blank_waits(capsys):
    from swin_edu.exercises import model

    assert not model.check_parameters_10_classes(None)
    assert verdict(capsys).startswith("Waiting for an answer:")
    outs = []
    for _ in range(3):
        model.check_parameters_10_classes(1)
        outs.append(verdict(capsys))
    assert "Hint: which layers" in outs[0] and "768" not in outs[0].split("Hint:")[1]  # the nudge gives nothing away
    assert "Stronger hint: only the classifier changes" in outs[1]
    assert "The way there: 28,288,354 - (768 x 1000 + 1000) + (768 x 10 + 10)" in outs[2]


def test_bias_tables_account_for_the_extra_parameters_at_384():
    """The number exercise 3 of notebook 06 explains: the tables' growth equals the models' difference."""
    from swin_edu.exercises import model
    from swin_edu.model import VARIANTS, SwinTransformer

    with torch.device("meta"):
        at_224 = count_parameters(SwinTransformer(VARIANTS["swin_b"], img_size=224, window_size=7))
        at_384 = count_parameters(SwinTransformer(VARIANTS["swin_b"], img_size=384, window_size=12))
    heads = 2 * 4 + 2 * 8 + 18 * 16 + 2 * 32  # Swin-B's blocks times their heads, by hand
    assert at_384 - at_224 == (23**2 - 13**2) * heads == 135_360
    assert model.bias_table_rows("swin_b", 12) - model.bias_table_rows("swin_b", 7) == 135_360


# notebook 07: any input size, a change of resolution


def test_padded_maps_of_a_200_image(capsys):
    from swin_edu.exercises import model

    right = [(50, 56), (25, 28), (13, 14), (7, 7)]  # by hand: 200 / 4; 25 -> pad to 26 -> 13; 13 -> 14 -> 7
    assert model.padded_sides(200) == right
    assert model.check_padded_maps(right)
    assert verdict(capsys).startswith("Correct: sides [50, 25, 13, 7], padded to [56, 28, 14, 7]")
    assert model.check_padded_maps([(28, 28), (14, 14), (7, 7), (4, 7)], image_size=112)  # the size of issue #202


@pytest.mark.parametrize(
    "answer, says",
    [
        ([(50, 56), (25, 28), (12, 14), (6, 7)], "halved by rounding down"),
        ([(50, 50), (25, 25), (13, 13), (7, 7)], "no stage is padded"),
        ([(50, 56), (28, 28), (14, 14), (7, 7)], "the padding carried on"),
        ([(50, 49), (25, 21), (13, 7), (7, 7)], "rounded down to a multiple of 7"),
        ([(56, 50), (28, 25), (14, 13), (7, 7)], "stage 1: (56, 50) has the right numbers in another order"),
        ([(50, 56), (25, 28), (13, 14)], "there are 4 stages"),
        ("sizes", "should be a number, got str"),
        (42, "should be a list of 4"),
    ],
)
def test_padded_maps_name_the_mistake(capsys, answer, says):
    from swin_edu.exercises import model

    assert not model.check_padded_maps(answer)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_padded_maps_hints_grow_and_blank_waits(capsys):
    from swin_edu.exercises import model

    assert not model.check_padded_maps(None)
    assert verdict(capsys).startswith("Waiting for an answer:")
    outs = []
    for _ in range(3):
        model.check_padded_maps([(1, 7)] * 4)
        outs.append(verdict(capsys))
    assert "Hint: follow the side" in outs[0] and "50" not in outs[0].split("Hint:")[1]
    assert "Stronger hint: 200 / 4 = 50" in outs[1]
    assert "The way there: sides 50, 25, 13, 7" in outs[2] and "padded to 56, 28, 14, 7" in outs[2]


def adapt_right(state_dict, window):
    from swin_edu.position import resize_bias_table

    return {
        k: resize_bias_table(v, window) if k.endswith("relative_position_bias_table") else v
        for k, v in state_dict.items()
    }


def adapt_transposed(state_dict, window):  # exercise 2's bug: the rows of the table read as (w h)
    import torch.nn.functional as F

    def resize(table):
        side = int(table.shape[0] ** 0.5)
        image = rearrange(table, "(w h) heads -> 1 heads h w", h=side)
        image = F.interpolate(image, size=(2 * window - 1,) * 2, mode="bicubic", align_corners=False)
        return rearrange(image, "1 heads h w -> (h w) heads")

    return {k: resize(v) if k.endswith("relative_position_bias_table") else v for k, v in state_dict.items()}


def adapt_bilinear(state_dict, window):
    import torch.nn.functional as F

    def resize(table):
        image = rearrange(table, "(h w) heads -> 1 heads h w", h=int(table.shape[0] ** 0.5))
        image = F.interpolate(image, size=(2 * window - 1,) * 2, mode="bilinear", align_corners=False)
        return rearrange(image, "1 heads h w -> (h w) heads")

    return {k: resize(v) if k.endswith("relative_position_bias_table") else v for k, v in state_dict.items()}


def adapt_zero_padded(state_dict, window):
    import torch.nn.functional as F

    def pad(table):
        image = rearrange(table, "(h w) heads -> 1 heads h w", h=int(table.shape[0] ** 0.5))
        margin = window - 1 - (image.shape[-1] - 1) // 2
        return rearrange(F.pad(image, (margin,) * 4), "1 heads h w -> (h w) heads")

    return {k: pad(v) if k.endswith("relative_position_bias_table") else v for k, v in state_dict.items()}


def adapt_in_place(state_dict, window):
    for key in [k for k in state_dict if k.endswith("relative_position_bias_table")]:
        state_dict[key] = adapt_right({key: state_dict[key]}, window)[key]
    return state_dict


def adapt_emptying_the_input(state_dict, window):  # a new dict, but built by popping the caller's keys
    adapted = {}
    for key in list(state_dict):
        adapted[key] = adapt_right({key: state_dict.pop(key)}, window)[key]
    return adapted


def test_adapt_to_window_right_answer(capsys):
    from swin_edu.exercises import model

    assert model.check_adapt_to_window(adapt_right)
    assert verdict(capsys).startswith("Correct: every bias table resized bicubically")


@pytest.mark.parametrize(
    "adapt, says",
    [
        (lambda state_dict, window: dict(state_dict), "still have 13^2 = 169 rows"),
        (adapt_transposed, "the tables are transposed"),
        (adapt_bilinear, "not bicubically"),
        (adapt_zero_padded, "filled with zeros"),
        (adapt_in_place, "changed the state dict it was given"),
        (adapt_emptying_the_input, "changed the state dict it was given"),
        (lambda state_dict, window: {k: 2 * v for k, v in adapt_right(state_dict, window).items()}, "other numbers"),
        (lambda state_dict, window: {k: v for k, v in adapt_right(state_dict, window).items() if "head" not in k},
         "does not fit a model with window 12"),
        (lambda state_dict, window: list(state_dict), "should return a state dict"),
        (lambda state_dict: state_dict, "raised TypeError"),
    ],
)  # fmt: skip
def test_adapt_to_window_names_the_mistake(capsys, adapt, says):
    from swin_edu.exercises import model

    assert not model.check_adapt_to_window(adapt)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_adapt_to_window_hints_grow_and_the_template_waits(capsys):
    from swin_edu.exercises import model

    assert not model.check_adapt_to_window(lambda state_dict, window: None)  # the template: return None
    assert verdict(capsys).startswith("Waiting for an answer:")
    outs = []
    for _ in range(3):
        model.check_adapt_to_window(lambda state_dict, window: dict(state_dict))
        outs.append(verdict(capsys))
    assert "Hint: which tensors" in outs[0] and "resize_bias_table" not in outs[0]
    assert "Stronger hint: only the keys ending in 'relative_position_bias_table'" in outs[1]
    assert "The way there: return {key: resize_bias_table(value, new_window_size)" in outs[2]


# the choices of notebooks 06 and 07 are tested with those of 05, in tests/test_exercises_blocks.py


def test_the_transposed_resize_changes_only_a_head_with_a_direction():
    """What exercise 2 of notebook 07 shows: a table symmetric in dy and dx survives the bug, a directed one not."""
    from swin_edu.position import resize_bias_table

    dy, dx = torch.meshgrid(torch.arange(-6, 7.0), torch.arange(-6, 7.0), indexing="ij")
    distance = (dy**2 + dx**2).sqrt()
    tables = torch.stack([-0.3 * distance, -0.3 * distance + 0.2 * dx], dim=-1).flatten(0, 1)  # (169, 2)
    right = resize_bias_table(tables, 12)
    broken = adapt_transposed({"relative_position_bias_table": tables}, 12)["relative_position_bias_table"]
    assert torch.allclose(broken[:, 0], right[:, 0], atol=1e-5)
    assert torch.allclose(broken[:, 1].reshape(23, 23), right[:, 1].reshape(23, 23).T, atol=1e-5)
    assert not torch.allclose(broken[:, 1], right[:, 1], atol=1e-2)


# notebook 12: attention maps and the learned bias


@pytest.fixture
def three_head_model(make_tiny_model):
    """The shared tiny Swin with 3 heads in its first stage and 4 x 4 windows, on 1-channel 32 x 32 images."""
    return make_tiny_model(img_size=32, in_chans=1, embed_dim=12, depths=(2, 2), num_heads=(3, 6), window_size=4)


def test_mean_attention_distance_of_uniform_attention(three_head_model):
    from swin_edu.exercises import attention_maps

    model = three_head_model
    for layer in model.layers:  # zero queries and keys: every head attends uniformly within its window
        for block in layer.blocks:
            torch.nn.init.zeros_(block.attn.qkv.weight)
            torch.nn.init.zeros_(block.attn.qkv.bias)
            torch.nn.init.zeros_(block.attn.relative_position_bias_table)
    distances = attention_maps.mean_attention_distance(model, torch.randn(2, 1, 32, 32), stage=0, block=0)
    coords = torch.stack(torch.meshgrid(torch.arange(4.0), torch.arange(4.0), indexing="ij"), -1).reshape(16, 2)
    assert torch.allclose(distances, torch.cdist(coords, coords).mean().expand(3), atol=1e-5)
