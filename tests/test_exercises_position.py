"""The exercise checks of notebook 03 (swin_edu.exercises.position): right answers pass, each known mistake is named,
hints grow stronger with every wrong try, and a blank answer is waited for."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from exercise_output import verdict

from swin_edu.exercises import grade, position
from swin_edu.position import relative_offsets, relative_position_bias, relative_position_index


def three_tries(check, answer, capsys) -> list[str]:
    outs = []
    for _ in range(3):
        check(answer)
        outs.append(verdict(capsys))
    return outs


# exercise 1: which offsets the corner query uses


def test_corner_offsets_the_right_letter_is_what_the_offsets_give(capsys) -> None:
    # by hand: query (0, 0), keys (r, c) with r, c in 0..6 -> (dy, dx) = (-r, -c): the top-left quarter, "c"
    offsets = {(0 - r, 0 - c) for r in range(7) for c in range(7)}
    assert min(offsets) == (-6, -6) and max(offsets) == (0, 0) and len(offsets) == 49
    assert position.check_corner_offsets("c") is True
    assert verdict(capsys).startswith("Correct: query row and column are 0")


@pytest.mark.parametrize(
    "answer, says",
    [
        ("a", "is where the centre query's offsets lie"),
        ("b", "takes key - query"),
        ("d", "reads 49 rows of the table, not 169"),
        ("top left", 'is not one of the choices "a", "b", "c", "d"'),
        (2, "should be one letter"),
    ],
)
def test_corner_offsets_diagnoses_each_wrong_choice(answer, says, capsys) -> None:
    assert position.check_corner_offsets(answer) is False
    out = verdict(capsys)
    assert out.startswith("Not yet: ") and says in out and "Hint: " in out, out


def test_corner_offsets_hints_grow_and_only_the_last_names_the_letter(capsys) -> None:
    outs = three_tries(position.check_corner_offsets, "b", capsys)
    assert "Hint: write out the offset of two keys by hand" in outs[0]
    assert "Stronger hint: dy = query row - key row" in outs[1]
    assert "The way there: dy and dx both run from -6 to 0" in outs[2]
    assert all("choose c" not in out for out in outs[:2]) and "choose c" in outs[2]


# exercise 2: break it, the wrong multiplier


def test_wrong_multiplier_facts_the_options_rest_on() -> None:
    """The numbers the diagnoses quote, from the offsets alone: the largest wrong row, and the rows read."""
    shifted = [(dy + 6, dx + 6) for dy in range(-6, 7) for dx in range(-6, 7)]
    wrong = {a * 7 + b for a, b in shifted}
    assert max(wrong) == 96 and len(wrong) == 97 and 169 - len(wrong) == 72


def test_what_the_break_it_cell_shows_a_near_table_read_with_the_multiplier_m_no_longer_peaks_at_the_query() -> None:
    """The praise's claim: the near-keys pattern follows the query with 2M - 1, not with M (a hand-made table)."""
    near = torch.tensor([[-abs(dy) - abs(dx)] for dy in range(-6, 7) for dx in range(-6, 7)], dtype=torch.float32)
    shifted = relative_offsets(7) + 6
    wrong = shifted[..., 0] * 7 + shifted[..., 1]
    right_peaks = relative_position_bias(near, relative_position_index(7))[0].argmax(dim=-1)
    wrong_peaks = relative_position_bias(near, wrong)[0].argmax(dim=-1)
    assert torch.equal(right_peaks, torch.arange(49))  # every query's strongest bias: itself
    assert not (wrong_peaks == torch.arange(49)).any()  # with M: no query's


def test_wrong_multiplier_right_choice(capsys) -> None:
    assert position.check_wrong_multiplier("a") is True
    assert verdict(capsys).startswith("Correct: different offsets that read the same row get the same bias")


@pytest.mark.parametrize(
    "answer, says",
    [
        ("b", "training changes the values in the table, not which offsets share a row"),
        ("c", "the largest index the wrong formula gives is 96"),
        ("d", "169 offsets are squeezed into 97 rows"),
    ],
)
def test_wrong_multiplier_diagnoses_each_wrong_choice(answer, says, capsys) -> None:
    assert position.check_wrong_multiplier(answer) is False
    out = verdict(capsys)
    assert out.startswith("Not yet: ") and says in out and "Hint: " in out, out


def test_wrong_multiplier_hints_grow(capsys) -> None:
    outs = three_tries(position.check_wrong_multiplier, "b", capsys)
    assert "Hint: the cell printed two numbers" in outs[0]
    assert "Stronger hint: 169 offsets in 97 rows" in outs[1]
    assert "The way there: no: offsets that share a row share their bias forever" in outs[2] and "choose a" in outs[2]


# exercise 3: a collision of the wrong formula


def wrong_row(dy: int, dx: int) -> int:
    return (dy + 6) * 7 + (dx + 6)


@pytest.mark.parametrize(
    "answer",
    [
        ((0, 1), (1, -6)),
        ((2, 6), (3, -1)),  # any offset with a shifted dx of 7 or more and the one a row down, 7 columns left
        [torch.tensor([0, 1]), torch.tensor([1, -6])],
        np.array([[0, 1], [1, -6]]),
        ((0.0, 1.0), (np.int64(1), -6)),
    ],
)
def test_collision_accepts_every_colliding_pair_in_any_form(answer, capsys) -> None:
    pairs = [tuple(int(v) for v in offset) for offset in answer]
    assert wrong_row(*pairs[0]) == wrong_row(*pairs[1])  # the pair does collide, computed by hand
    assert position.check_collision(answer) is True
    out = verdict(capsys)
    assert out.startswith(f"Correct: both read row {wrong_row(*pairs[0])} with the multiplier M"), out


@pytest.mark.parametrize(
    "answer, says",
    [
        (((0, 1), (1, 0)), "rows 49 and 55: no collision"),
        (((0, 1), (0, 1)), "the two offsets are the same offset"),
        (((6, 7), (7, 0)), "these look like the shifted coordinates (after adding M - 1 = 6)"),
        (((0, 8), (1, 0)), "(0, 8) is not an offset inside a window"),
        (((0, 1),), "should be two offsets ((dy, dx), (dy, dx))"),
        (((0, 1, 2), (1, -6)), "the first offset should be a pair of integers"),
        (((0.5, 1), (1, -6)), "dy of the first offset is 0.5: it should be a whole number"),
        ("(0, 1), (1, -6)", "should be two offsets"),
    ],
)
def test_collision_names_the_mistake(answer, says, capsys) -> None:
    assert position.check_collision(answer) is False
    out = verdict(capsys)
    assert out.startswith("Not yet: ") and says in out and "Hint: " in out, out


def test_collision_hints_grow_and_the_nudge_names_no_offset(capsys) -> None:
    outs = three_tries(position.check_collision, ((0, 1), (1, 0)), capsys)
    nudge = outs[0].split("Hint: ")[1]
    assert "base 7" in nudge and "(0, 1)" not in nudge and "49" not in nudge
    assert "Stronger hint: a shifted dx of 7 or more carries into the dy digit" in outs[1]
    assert "The way there: (0, 1) shifts to (6, 7): 6 * 7 + 7 = 49; (1, -6) shifts to (7, 0)" in outs[2]


def test_collision_in_a_smaller_window(capsys) -> None:
    # M = 3: shifted coordinates in 0..4, base 3; (0, 1) -> (2, 3) -> 9 and (1, -2) -> (3, 0) -> 9
    assert position.check_collision(((0, 1), (1, -2)), window_size=3) is True
    assert position.check_collision(((0, 1), (1, -6)), window_size=3) is False
    assert "(1, -6) is not an offset inside a window: both lie in [-2, 2]" in verdict(capsys)


# every check of notebook 03: a blank answer waits, grading is silent


@pytest.mark.parametrize(
    "check, right",
    [
        (position.check_corner_offsets, "c"),
        (position.check_wrong_multiplier, "a"),
        (position.check_collision, ((0, 1), (1, -6))),
    ],
)
def test_blank_waits_and_grade_is_silent(check, right, capsys) -> None:
    assert check(None) is False
    out = verdict(capsys)
    assert out.startswith("Waiting for an answer: ") and "Not yet" not in out
    grade(check, right)
    with pytest.raises(AssertionError):
        grade(check, None)
    assert capsys.readouterr().out == ""
