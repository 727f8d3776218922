"""The checks of notebooks 00 and 02 (swin_edu.exercises.windows): right answers, named mistakes, escalating hints."""

from __future__ import annotations

import pytest
import torch
from einops import rearrange
from exercise_output import verdict

from swin_edu.exercises.windows import (
    CANDIDATE_TOKENS,
    check_attention_scale,
    check_closed_windows,
    check_global_growth,
    check_same_window,
    check_window_order,
    check_windows_in_stage,
)
from swin_edu.windows import window_partition, window_reverse


def stage_2_at_448(answer: object) -> bool:
    return check_windows_in_stage(answer, image_size=448, stride=8, window_size=7)


# right answers, worked out here by hand or by brute force


def test_windows_of_stage_2_at_448(capsys):
    assert stage_2_at_448((448 // 8 // 7) ** 2) is True
    assert verdict(capsys).startswith("Correct: a 56 x 56 map holds 8 x 8 windows of 49 tokens")


def test_windows_at_the_defaults_match_swin_t():
    assert check_windows_in_stage(64) is True  # stage 1 of Swin-T at 224: 56 x 56 tokens, 8 x 8 windows


def test_sizes_the_window_does_not_divide_are_refused():
    with pytest.raises(ValueError, match="divides"):
        check_windows_in_stage(1, image_size=230)


@pytest.mark.parametrize(
    "check, right, says",
    [
        (check_global_growth, "c", "attention term is already 80%"),
        (check_closed_windows, "a", "closed world"),
        (check_window_order, "b", "mirrored across the diagonal"),
        (check_attention_scale, "a", "spreads as sqrt(d)"),
    ],
)
def test_right_choices(capsys, check, right, says):
    assert check(right) is True
    out = verdict(capsys)
    assert out.startswith("Correct: ") and says in out, out


def test_global_growth_numbers_are_formula_1():
    """The 80% and 13.6x that the check prints, by hand: 4hwC^2 against 2(hw)^2C at 28 x 28, C = 96."""
    hw, c = 28 * 28, 96
    projections, attention = 4 * hw * c**2, 2 * hw**2 * c
    assert round(attention / (projections + attention), 2) == 0.80
    growth = (4 * 4 * hw * c**2 + 2 * (4 * hw) ** 2 * c) / (projections + attention)
    assert round(growth, 1) == 13.6


def test_the_only_candidate_in_the_querys_window_by_brute_force(capsys):
    labels = torch.zeros(1, 56, 56, 1)
    labels[0, 35, 13] = 1  # the query
    query_window = window_partition(labels, 7)[..., 0].flatten(1).sum(1).argmax()
    marked = []
    for letter, (row, col) in CANDIDATE_TOKENS.items():
        labels = torch.zeros(1, 56, 56, 1)
        labels[0, row, col] = 1
        if window_partition(labels, 7)[query_window].sum() == 1:
            marked.append(letter)
    assert marked == ["d"]
    assert check_same_window("d") is True
    assert "the farthest of the four" in verdict(capsys)


def test_the_wrong_partition_order_mirrors_whole_windows():
    """What exercise 2 of notebook 02 shows: (b nw nh) windows put back by window_reverse land transposed."""
    image = torch.rand(1, 12, 12, 3)
    wrong = rearrange(image, "b (nh wh) (nw ww) c -> (b nw nh) wh ww c", wh=4, ww=4)
    scrambled = window_reverse(wrong, 4, 12, 12)
    assert not torch.equal(scrambled, image)
    for r in range(3):
        for c in range(3):  # the window from (r, c) sits at (c, r), upright
            assert torch.equal(
                scrambled[0, 4 * c : 4 * c + 4, 4 * r : 4 * r + 4], image[0, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4]
            )


# the known mistakes are named


@pytest.mark.parametrize(
    "wrong, says",
    [
        (8, "along one side"),
        (56 * 56, "that counts tokens"),
        (256, "stage 1 (stride 4)"),
        (16, "for a 224 x 224 image"),
        (4096, "cuts pixels into windows"),
        (64.5, "a count is a whole number"),
    ],
)
def test_num_windows_names_the_mistake(capsys, wrong, says):
    assert stage_2_at_448(wrong) is False
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out, out


@pytest.mark.parametrize(
    "check, wrong, says",
    [
        (check_global_growth, "a", "no softmax term"),
        (check_global_growth, "b", "without noise"),
        (check_global_growth, "d", "sum over the heads"),
        (check_closed_windows, "b", "a convolution's neighbourhoods overlap"),
        (check_closed_windows, "c", "never tokens"),
        (check_closed_windows, "d", "never across tokens"),
        (check_window_order, "a", "it is upright"),
        (check_window_order, "c", "the same way every time"),
        (check_window_order, "d", "cannot know the order"),
        (check_same_window, "a", "(35, 14) lies in the window of rows 35-41, columns 14-20"),
        (check_same_window, "b", "(34, 13) lies in the window of rows 28-34, columns 7-13"),
        (check_same_window, "c", "(37, 15) lies in the window of rows 35-41, columns 14-20"),
        (check_attention_scale, "b", "when they are multiplied"),
        (check_attention_scale, "c", "weighted mean of the values"),
        (check_attention_scale, "d", "49 keys"),
    ],
)
def test_each_wrong_choice_gets_its_diagnosis(capsys, check, wrong, says):
    assert check(wrong) is False
    out = verdict(capsys)
    assert out.startswith(f'Not yet: "{wrong}"') and says in out, out


@pytest.mark.parametrize(
    "check", [check_global_growth, check_closed_windows, check_window_order, check_same_window, check_attention_scale]
)
def test_a_letter_that_is_no_choice_is_refused(capsys, check):
    assert check("e") is False
    assert 'is not one of the choices "a", "b", "c", "d"' in verdict(capsys)


# hints escalate: a nudge first, the way there last; a blank answer is waited for and not counted


@pytest.mark.parametrize(
    "check, wrong, right",
    [
        (stage_2_at_448, 1, "8 x 8 = 64 windows"),
        (check_global_growth, "b", "answer c"),
        (check_closed_windows, "b", "answer a"),
        (check_window_order, "a", "answer b"),
        (check_same_window, "a", "answer d"),
        (check_attention_scale, "b", "answer a"),
    ],
)
def test_hints_escalate_and_the_way_there_comes_last(capsys, check, wrong, right):
    assert check(None) is False
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for _ in range(3):
        assert check(wrong) is False
        outs.append(verdict(capsys))
    assert " Hint: " in outs[0] and right not in outs[0], outs[0]
    assert " Stronger hint: " in outs[1] and right not in outs[1], outs[1]
    assert " The way there: " in outs[2] and right in outs[2], outs[2]


def test_each_exercise_counts_its_own_tries(capsys):
    check_window_order("a")
    check_attention_scale("b")  # another exercise: its first try
    assert " Hint: " in verdict(capsys).splitlines()[-1]
