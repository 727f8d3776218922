"""The exercise checks of notebook 04 (swin_edu.exercises.shift): right answers pass, each known mistake is named,
hints grow stronger with every wrong try, and a blank answer is waited for."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from exercise_output import verdict

from swin_edu import exercises
from swin_edu.attention import WindowAttention
from swin_edu.exercises import grade, shift
from swin_edu.windows import cyclic_shift, reverse_cyclic_shift, shifted_window_mask, window_partition, window_reverse


def blocked_by_hand(labels: list[int]) -> list[list[int]]:
    """1 where two tokens have different region labels: the mask written out from the labels alone."""
    return [[int(a != b) for b in labels] for a in labels]


# exercise 1: which pairs window 3's mask blocks for H = W = 4, M = 2, s = 1 (official issue #38)

# the rolled 4 x 4 map's labels are [[0, 0, 1, 2], [0, 0, 1, 2], [3, 3, 4, 5], [6, 6, 7, 8]] (worked by hand from
# the official slices): window 3 (rows 2-3, columns 2-3) holds the labels 4, 5, 7, 8
WINDOW_3 = blocked_by_hand([4, 5, 7, 8])
WINDOW_1 = blocked_by_hand([1, 2, 1, 2])
WINDOW_2 = blocked_by_hand([3, 3, 6, 6])


@pytest.mark.parametrize(
    "form",
    [
        WINDOW_3,
        np.array(WINDOW_3),
        torch.tensor(WINDOW_3, dtype=torch.bool),
        -100.0 * torch.tensor(WINDOW_3, dtype=torch.float32),  # the mask itself
        (1 - torch.eye(4)).tolist(),
    ],
)
def test_blocked_pairs_accepts_the_right_matrix_in_any_form(form, capsys) -> None:
    assert shift.check_blocked_pairs(form) is True
    out = verdict(capsys)
    assert out.startswith("Correct: window 3 holds the regions [4, 5, 7, 8]"), out


@pytest.mark.parametrize(
    "answer, says",
    [
        ([[0] * 4] * 4, "nothing blocked: the mask lives in the rolled map, where window 3 holds tokens of 4 regions"),
        ([[1] * 4] * 4, "a token blocked from itself"),
        ([[0, 1, 1, 1], [0, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]], "not symmetric"),
        (WINDOW_1, "that is the mask of window 1, which holds 2 regions."),
        (WINDOW_2, "that is the mask of window 2, which holds 2 regions."),
        ([[0, 1, 1, 1], [1, 0, 1, 0], [1, 1, 0, 1], [1, 0, 1, 0]], "2 of the 16 entries are not right"),
        ([[0, 1], [1, 0]], "has shape (2, 2), expected (4, 4)"),
        ("all but the diagonal", "should be a 4 x 4 matrix of 0 and 1"),
        ([[0, 1, 1], [1, 0]], "should be a 4 x 4 matrix"),
    ],
)
def test_blocked_pairs_names_the_mistake(answer, says, capsys) -> None:
    assert shift.check_blocked_pairs(answer) is False
    out = verdict(capsys)
    assert out.startswith("Not yet: ") and says in out and "Hint: " in out, out


def test_blocked_pairs_another_windows_mask_says_how_many_regions_each_holds(capsys) -> None:
    # split only one way (rows: two blocks, as window 2 is), though window 3 is cut both ways into 4 regions
    assert shift.check_blocked_pairs(WINDOW_2) is False
    assert "window 3 is the one at row 1, column 1, and it holds 4 regions." in verdict(capsys)


def test_blocked_pairs_of_another_setting_come_from_its_labels(capsys) -> None:
    # 14 x 14, M = 7, s = 3: window 1 holds columns of labels 1 (4 columns) and 2 (3 columns), row after row
    labels = ([1] * 4 + [2] * 3) * 7
    assert shift.check_blocked_pairs(
        blocked_by_hand(labels), window=1, height=14, width=14, window_size=7, shift_size=3
    )
    assert verdict(capsys).startswith("Correct")


def test_blocked_pairs_hints_grow_until_the_way_there(capsys) -> None:
    outs = []
    for _ in range(3):
        shift.check_blocked_pairs([[0] * 4] * 4)
        outs.append(verdict(capsys))
    assert "Hint: the mask is built on the rolled map" in outs[0] and "[[" not in outs[0].split("Hint:")[1]
    assert "Stronger hint: number the window's tokens row by row" in outs[1]
    assert "The way there: window 3's tokens have the labels [4, 5, 7, 8]" in outs[2] and str(WINDOW_3) in outs[2]


# exercise 2: masked pairs in window 1, 14 x 14, M = 7, s = 2 (bands [7, 12) and [12, 14): 35 and 14 tokens)

SETTING = {"window": 1, "height": 14, "width": 14, "window_size": 7, "shift_size": 2}


def test_masked_pairs_right_answer(capsys) -> None:
    assert shift.check_masked_pairs(2 * 35 * 14, **SETTING) is True
    assert verdict(capsys) == "Correct"


@pytest.mark.parametrize(
    "answer, says",
    [
        (35 * 14, "490: each pair counted once"),
        (35 * 35 + 14 * 14, "1421: that counts the pairs that may attend"),
        (49 * 49, "2401: every pair of the window"),
        (2 * 28 * 21, "1176: that is the count for s = 3; this exercise shifts by s = 2"),
        (980.5, "980.5: a count is a whole number"),
        (7, "7, which is not right"),
    ],
)
def test_masked_pairs_names_the_mistake(answer, says, capsys) -> None:
    assert shift.check_masked_pairs(answer, **SETTING) is False
    out = verdict(capsys)
    assert out.startswith("Not yet: the number of masked pairs is ") and says in out, out


def test_masked_pairs_hints_grow_and_the_nudge_gives_no_number(capsys) -> None:
    outs = []
    for _ in range(4):
        shift.check_masked_pairs(490, **SETTING)
        outs.append(verdict(capsys))
    nudge = outs[0].split("Hint: ")[1]
    assert "window 1" in nudge and "980" not in nudge and "35" not in nudge
    assert "Stronger hint: a pair (query, key) is masked when its two tokens lie in different regions" in outs[1]
    assert "The way there: the regions in window 1 hold 35 and 14 tokens" in outs[2] and "= 980" in outs[2]
    assert outs[3] == outs[2]


# exercise 3: break it, remove the mask


@pytest.mark.parametrize(
    "answer, says",
    [
        ("a", "nothing here decays with distance"),
        ("b", "the bias only sees offsets inside the rolled window"),
        ("c", "credits the roll back"),
        ("e", 'is not one of the choices "a", "b", "c", "d"'),
    ],
)
def test_mask_break_diagnoses_each_wrong_choice(answer, says, capsys) -> None:
    assert shift.check_mask_break(answer) is False
    out = verdict(capsys)
    assert out.startswith("Not yet: ") and says in out and "Hint: " in out, out


def test_mask_break_right_choice_says_why(capsys) -> None:
    assert shift.check_mask_break(" D ") is True
    assert verdict(capsys).startswith("Correct: E fills rolled window 0 alone")


def test_mask_break_hint_gives_the_letter_only_at_the_end(capsys) -> None:
    outs = []
    for _ in range(3):
        shift.check_mask_break("a")
        outs.append(verdict(capsys))
    assert "choose d" not in outs[0] and "choose d" not in outs[1] and "choose d" in outs[2]


def shifted_attention(x: torch.Tensor, attention: WindowAttention, mask: torch.Tensor | None) -> torch.Tensor:
    """Roll, partition, attend, merge, roll back, step by step (14 x 14, M = 7, s = 3)."""
    windows = window_partition(cyclic_shift(x, 3), 7).flatten(1, 2)  # (nW, 49, C)
    out = attention(windows, mask).unflatten(1, (7, 7))
    return reverse_cyclic_shift(window_reverse(out, 7, 14, 14), 3)


def test_what_the_break_it_cell_shows_without_the_mask_only_window_e_keeps_its_outputs() -> None:
    """The facts behind the right choice b and the diagnosis of a: E (rows and columns 3-9) fills rolled window 0
    alone, and every other token attends across the wrap once the mask is gone."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        attention = WindowAttention(dim=8, window_size=7, num_heads=2)
        x = torch.randn(1, 14, 14, 8)
    with torch.no_grad():
        masked = shifted_attention(x, attention, shifted_window_mask(14, 14, 7, 3))
        unmasked = shifted_attention(x, attention, None)
    unchanged = ((masked - unmasked).abs().amax(dim=(0, 3)) <= 1e-6).nonzero().tolist()
    assert unchanged == [[row, col] for row in range(3, 10) for col in range(3, 10)]
    assert (
        not shifted_window_mask(14, 14, 7, 3)[0].any() and shifted_window_mask(14, 14, 7, 3)[1:].any(dim=(1, 2)).all()
    )


# exercise 4: undo the shift


def right_unshift(x, s):
    return torch.roll(x, shifts=(s, s), dims=(1, 2))


@pytest.mark.parametrize(
    "unshift",
    [right_unshift, lambda x, s: torch.roll(x, (s, s), (2, 1)), lambda x, s: torch.roll(torch.roll(x, s, 1), s, 2)],
)
def test_reverse_shift_accepts_every_right_roll(unshift, capsys) -> None:
    assert shift.check_reverse_shift(unshift) is True
    assert verdict(capsys).startswith("Correct: down and right by s")


@pytest.mark.parametrize(
    "unshift, says",
    [
        (lambda x, s: torch.roll(x, (-s, -s), (1, 2)), "rolls the same way as cyclic_shift"),
        (lambda x, s: torch.roll(x, (s, s), (0, 1)), "rolls dims (0, 1), the batch and the rows"),
        (lambda x, s: torch.roll(x, (s, s), (2, 3)), "rolls dims (2, 3), the columns and the channels"),
        (lambda x, s: torch.roll(x, s), "rolls without dims"),
        (lambda x, s: torch.roll(x, (s, -s), (1, 2)), "rolls the rows back but the columns further"),
        (lambda x, s: torch.roll(x, (-s, s), (1, 2)), "rolls the columns back but the rows further"),
        (lambda x, s: torch.roll(x, s, 1), "rolls only the rows"),
        (lambda x, s: torch.roll(x, s, 2), "rolls only the columns"),
        (lambda x, s: x, "returns the map as it came"),
        (lambda x, s: torch.roll(x, (2 * s, 2 * s), (1, 2)), "right shape but is not the map before the shift"),
        (lambda x, s: x[:, :-1], "has shape (2, 13, 14, 5), expected (2, 14, 14, 5)"),
    ],
)
def test_reverse_shift_diagnoses_each_wrong_roll(unshift, says, capsys) -> None:
    assert shift.check_reverse_shift(unshift) is False
    out = verdict(capsys)
    assert out.startswith("Not yet: ") and says in out, out


def test_reverse_shift_each_mistake_has_its_own_diagnosis_and_the_nudge_is_not_the_answer(capsys) -> None:
    diagnoses = set()
    for wrong in (
        lambda x, s: torch.roll(x, (-s, -s), (1, 2)),
        lambda x, s: torch.roll(x, (s, s), (0, 1)),
        lambda x, s: torch.roll(x, s),
    ):
        exercises.forget_tries()
        shift.check_reverse_shift(wrong)
        out = verdict(capsys)
        problem, nudge = out.split(" Hint: ")
        diagnoses.add(problem)
        assert "torch.roll(x, shifts=(s, s)" not in nudge and "dims=(1, 2)" not in nudge
    assert len(diagnoses) == 3


def test_reverse_shift_hints_grow(capsys) -> None:
    outs = []
    for _ in range(3):
        shift.check_reverse_shift(lambda x, s: torch.roll(x, s))
        outs.append(verdict(capsys))
    assert "Hint: undo exactly what cyclic_shift did" in outs[0]
    assert "Stronger hint: cyclic_shift(x, s) is torch.roll(x, shifts=(-s, -s), dims=(1, 2))" in outs[1]
    assert (
        "The way there: roll back the other way over the same dims: torch.roll(x, shifts=(s, s), dims=(1, 2))"
        in outs[2]
    )


def test_reverse_shift_leaves_the_students_input_alone(capsys) -> None:
    def in_place(x, s):
        x.zero_()
        return x

    assert shift.check_reverse_shift(in_place) is False  # no crash, and the other diagnoses still compare
    assert "not the map before the shift" in verdict(capsys)


# every check of notebook 04: a blank answer waits, grading is silent


@pytest.mark.parametrize(
    "check, right, settings",
    [
        (shift.check_blocked_pairs, WINDOW_3, {}),
        (shift.check_masked_pairs, 980, SETTING),
        (shift.check_mask_break, "d", {}),
        (shift.check_reverse_shift, right_unshift, {}),
    ],
)
def test_blank_waits_and_grade_is_silent(check, right, settings, capsys) -> None:
    assert check(None, **settings) is False
    out = verdict(capsys)
    assert out.startswith("Waiting for an answer: ") and "Not yet" not in out
    grade(check, right, **settings)
    with pytest.raises(AssertionError):
        grade(check, None, **settings)
    assert capsys.readouterr().out == ""
