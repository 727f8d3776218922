"""The checks of notebooks 00 and 01 (swin_edu.exercises.patches): right answers, named mistakes, escalating hints."""

from __future__ import annotations

import pytest
import torch
from einops import rearrange
from exercise_output import verdict

from swin_edu.exercises.patches import check_embedding_rank, check_flatten_order, check_num_tokens, check_token_grid
from swin_edu.images import sample_photo

# right answers, worked out here by hand or by brute force, not by the code under test


def test_vit_tokens_at_384(capsys):
    assert check_num_tokens(24 * 24, img_size=384, patch_size=16) is True
    out = verdict(capsys)
    assert out.startswith("Correct: a 24 x 24 grid") and "576 tokens" in out and "2.9 times" in out


def test_token_grid_of_a_230_image_is_what_a_stride_4_convolution_reads(capsys):
    conv = torch.nn.Conv2d(3, 1, kernel_size=4, stride=4)  # an independent count: the plain layer
    side = conv(torch.zeros(1, 3, 230, 230)).shape[-1]
    assert side == 57
    assert check_token_grid(side) is True
    assert "the last 2 pixel rows and columns are never read" in verdict(capsys)


def test_flatten_order_right_choice(capsys):
    assert check_flatten_order(" D ") is True
    assert "permute the weight to 'o (p1 p2 c)'" in verdict(capsys)


def test_embedding_rank_is_the_patch_length(capsys):
    assert check_embedding_rank(48) is True
    assert "48-dimensional subspace" in verdict(capsys)
    patches = torch.rand(500, 3 * 8 * 8, dtype=torch.float64)  # brute force for another patch size
    weight = torch.randn(512, 3 * 8 * 8, dtype=torch.float64)
    assert int(torch.linalg.matrix_rank(patches @ weight.T)) == 192
    assert check_embedding_rank(192, patch_size=8, embed_dim=512) is True


def test_the_flatten_order_really_breaks_a_convolutions_weights():
    """What exercise 2 of notebook 01 shows: (p1 p2 c) patches through conv weights do not match the convolution."""
    conv = torch.nn.Conv2d(3, 8, kernel_size=4, stride=4)
    images = torch.rand(1, 3, 8, 8)
    weight = conv.weight.flatten(1)  # (8, 48) in the order (c p1 p2)
    with torch.no_grad():
        by_conv = rearrange(conv(images), "b c h w -> b h w c")
        right = rearrange(images, "b c (h p1) (w p2) -> b h w (c p1 p2)", p1=4, p2=4) @ weight.T + conv.bias
        wrong = rearrange(images, "b c (h p1) (w p2) -> b h w (p1 p2 c)", p1=4, p2=4) @ weight.T + conv.bias
    assert torch.allclose(right, by_conv, atol=1e-6)
    assert not torch.allclose(wrong, by_conv, atol=1e-2)


# the known mistakes are named


@pytest.mark.parametrize(
    "wrong, says",
    [
        (24, "along one side"),
        (9216, "Swin's 4 x 4 patches"),
        (196, "for a 224 x 224 image"),
        (384 * 384, "that counts pixels"),
        (3 * 384 * 384, "every number of the image"),
        (768, "the length of one patch"),
        (577, "ViT's class token"),
        (28 * 28, "the window explorer pads"),  # the explorer's readout at 384 px, patch 16: 24x24 padded to 28x28
        (576.5, "a count is a whole number"),
    ],
)
def test_num_tokens_names_the_mistake(capsys, wrong, says):
    assert check_num_tokens(wrong, img_size=384, patch_size=16) is False
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out, out


def test_num_tokens_names_the_vit_patch_for_a_swin_question(capsys):
    assert check_num_tokens(196, img_size=224, patch_size=4) is False
    assert "ViT's 16 x 16 patches" in verdict(capsys)


@pytest.mark.parametrize(
    "wrong, says",
    [(57.5, "no half a token"), (58, "pads the image to 232"), (57 * 57, "the whole grid"), (56, "one patch too few")],
)
def test_token_grid_names_the_mistake(capsys, wrong, says):
    assert check_token_grid(wrong) is False
    assert says in verdict(capsys)


@pytest.mark.parametrize(
    "wrong, says", [("a", "a rearrange only reorders"), ("b", "6th or 7th digit"), ("c", "columns permuted")]
)
def test_flatten_order_diagnoses_each_wrong_choice(capsys, wrong, says):
    assert check_flatten_order(wrong) is False
    out = verdict(capsys)
    assert out.startswith(f'Not yet: "{wrong}"') and says in out, out


@pytest.mark.parametrize(
    "wrong, says",
    [(96, "the width of a token"), (3136, "number of rows"), (49, "counts the bias"), (3, "colour channels")],
)
def test_embedding_rank_names_the_mistake(capsys, wrong, says):
    assert check_embedding_rank(wrong) is False
    assert says in verdict(capsys)


def test_the_photos_patches_span_all_48_directions_and_a_float32_rank_is_named(capsys):
    """Hint 3 says the photo's 3136 patches fill all 48 directions (in float64); a lower float32 rank is named."""
    patches = rearrange(sample_photo(), "c (h p1) (w p2) -> (h w) (c p1 p2)", p1=4, p2=4)  # (3136, 48)
    assert int(torch.linalg.matrix_rank(patches.double())) == 48
    assert check_embedding_rank(45) is False
    out = verdict(capsys)
    assert "float32 rank" in out and "48" not in out.split("Hint:")[0], out  # names the cause, not the answer


# hints escalate: a nudge first, the way there last; a blank answer is waited for and not counted


@pytest.mark.parametrize(
    "check, wrong, right",
    [
        (lambda a: check_num_tokens(a, img_size=384, patch_size=16), 1, "576 tokens"),
        (check_token_grid, 1, "230 // 4 = 57"),
        (check_flatten_order, "a", "answer d"),
        (check_embedding_rank, 1, "the rank is 48"),
    ],
)
def test_hints_escalate_and_the_way_there_comes_last(capsys, check, wrong, right):
    assert check(None) is False
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for _ in range(4):
        assert check(wrong) is False
        outs.append(verdict(capsys))
    assert " Hint: " in outs[0] and right not in outs[0], outs[0]  # the nudge does not give it away
    assert " Stronger hint: " in outs[1] and right not in outs[1], outs[1]
    assert " The way there: " in outs[2] and right in outs[2], outs[2]
    assert outs[3] == outs[2]  # from then on, the way there


def test_a_blank_answer_does_not_count_as_a_try(capsys):
    for _ in range(3):
        check_token_grid(None)
    check_token_grid(1)
    assert " Hint: " in verdict(capsys).splitlines()[-1]


def test_checks_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_num_tokens(576, img_size=384, patch_size=16)
    check_token_grid(57)
    check_embedding_rank(48)
    assert torch.equal(torch.rand(3), expected)
