"""The exercise checks of notebook 08 (receptive field): right answers pass, each known mistake is named, the hints
grow stronger with each wrong try, a blank answer waits; and the facts the checks teach hold for a real model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from exercise_output import verdict

from swin_edu.exercises.receptive_field import check_corner_and_inner, check_shift_off, check_training_and_field
from swin_edu.images import sample_photo
from swin_edu.receptive_field import effective_receptive_field
from swin_edu.widgets.receptive_field import default_model


def gradient_field(model, token: tuple[int, int], stage: int, block: int) -> torch.Tensor:
    """Where a real model's token after a block has a non-zero gradient: bool (56, 56). Independent of the check,
    which reads the architecture (``swin_edu.receptive_field.receptive_field``)."""
    return effective_receptive_field(model, sample_photo()[None], token, stage, block) > 1e-30


# exercise 1 (predict, then check): the corner token and the inner token after block 2


def test_corner_and_inner_right_answer_in_any_form(capsys):
    assert check_corner_and_inner((49, 196))
    assert verdict(capsys).startswith("Correct: the inner token's shifted window spans four windows")
    assert check_corner_and_inner([np.int64(49), torch.tensor(196.0)])
    assert verdict(capsys).startswith("Correct")


def test_corner_and_inner_are_what_a_real_model_sees():
    """The expected answer is the real model's: its gradient is non-zero on 49 and 196 patches; without the mask
    the corner would see four corner windows (196 patches), as the diagnosis of that mistake says."""
    model = default_model()
    assert int(gradient_field(model, (0, 0), 0, 1).sum()) == 49
    assert int(gradient_field(model, (3, 3), 0, 1).sum()) == 196
    model.layers[0].blocks[1].shift_mask = lambda *args: None  # block 2 without its mask
    unmasked = gradient_field(model, (0, 0), 0, 1)
    corners = torch.zeros(56, 56, dtype=torch.bool)
    for rows in (slice(0, 7), slice(49, 56)):
        for cols in (slice(0, 7), slice(49, 56)):
            corners[rows, cols] = True
    assert torch.equal(unmasked, corners)


@pytest.mark.parametrize(
    "answer, says",
    [
        ((196, 196), "corner = 196 counts four windows"),  # the mask forgotten
        ((9, 196), "corner = 9 is the 3 x 3 region"),  # block 1 forgotten
        ((9, 49), "what block 2 alone lets each token attend to"),  # block 1 forgotten for both tokens
        ((49, 49), "inner = 49 is one window, as if the windows never shifted"),
        ((196, 49), "the two numbers are swapped"),
        ((49, 100), "inner = 100 is not right"),
        ((49.5, 196), "whole number"),
        (49, "a pair (corner, inner)"),
        ((49, 196, 3136), "a pair (corner, inner)"),
        ((49, None), "inner is still None"),
    ],
)
def test_corner_and_inner_names_the_mistake(capsys, answer, says):
    assert not check_corner_and_inner(answer)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_corner_and_inner_hints_escalate_without_giving_the_answer_first(capsys):
    outs = []
    for _ in range(3):
        assert not check_corner_and_inner((1, 2))
        outs.append(verdict(capsys))
    assert "Hint: walk back from the token" in outs[0] and "49" not in outs[0] and "196" not in outs[0]
    assert "Stronger hint: block 2 rolls the map" in outs[1] and "196" not in outs[1]
    assert "The way there:" in outs[2] and "4 x 49 = 196" in outs[2]


def test_corner_and_inner_waits_for_a_blank_answer(capsys):
    assert not check_corner_and_inner(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    assert not check_corner_and_inner((1, 2))
    assert "Hint: walk back" in verdict(capsys)  # the blank answer was not counted as a try


# exercise 2 (break it and watch): the shift switched off


def test_without_the_shift_the_field_is_one_window_of_the_stage():
    """What the exercise's cells show, from a real model: a 14 x 14 square after block 4 and one 28 x 28 square of
    patches (a stage-3 window) after block 10, with a gradient of exactly zero outside."""
    model = default_model()
    for stage in model.layers:
        for block in stage.blocks:
            block.shift_size = 0
    after_4 = gradient_field(model, (10, 8), 1, 1)  # the token holding patch (20, 17)
    window = torch.zeros(56, 56, dtype=torch.bool)
    window[14:28, 14:28] = True
    assert torch.equal(after_4, window)
    after_10 = gradient_field(model, (5, 4), 2, 5)
    window = torch.zeros(56, 56, dtype=torch.bool)
    window[0:28, 0:28] = True
    assert torch.equal(after_10, window)


def test_shift_off_right_answer(capsys):
    assert check_shift_off("c")
    assert verdict(capsys).startswith("Correct: the windows of every block are the same without the shift")
    assert check_shift_off(" C ")


@pytest.mark.parametrize(
    "letter, says",
    [
        ("a", "a block without a shift has no mask at all"),
        ("b", "the bias only adds to the scores of pairs inside one window"),
        ("d", "confuses the exact field with the effective one"),
        ("e", "is not one of the choices"),
        (2, "should be one letter"),
    ],
)
def test_shift_off_diagnoses_each_wrong_option(capsys, letter, says):
    assert not check_shift_off(letter)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_shift_off_hints_escalate_and_wait(capsys):
    assert not check_shift_off(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for letter in ("a", "b", "d"):
        check_shift_off(letter)
        outs.append(verdict(capsys))
    assert "Hint: look at the square in the right panel" in outs[0]
    assert "Stronger hint: the dotted lines are the windows of stage 2" in outs[1]
    assert "The way there: every block partitions the map into the same windows" in outs[2]


# exercise 3 (reason it out): what training can change about the field


def test_training_and_field_right_answer(capsys):
    assert check_training_and_field("d")
    assert verdict(capsys).startswith("Correct: the architecture fixes where the gradient can be non-zero")


def test_the_exact_field_does_not_depend_on_the_weights():
    """Option a's diagnosis, checked: two models with different weights have their gradient non-zero on the same
    1470 patches after block 4."""
    first, second = default_model(seed=0), default_model(seed=1)
    assert torch.equal(gradient_field(first, (10, 8), 1, 1), gradient_field(second, (10, 8), 1, 1))
    assert int(gradient_field(first, (10, 8), 1, 1).sum()) == 1470


@pytest.mark.parametrize(
    "letter, says",
    [
        ("a", "the architecture has none"),
        ("b", "treats a small attention weight as a missing connection"),
        ("c", "treats the effective field as fixed"),
    ],
)
def test_training_and_field_diagnoses_each_wrong_option(capsys, letter, says):
    assert not check_training_and_field(letter)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint: two fields are on the page" in out, out


def test_training_and_field_hints_escalate_and_wait(capsys):
    assert not check_training_and_field(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for _ in range(3):
        check_training_and_field("a")
        outs.append(verdict(capsys))
    assert "Hint:" in outs[0] and "Stronger hint:" in outs[1] and "The way there:" in outs[2]
