"""The exercise checks of notebook 12 (swin_edu.exercises.attention_maps): right answers pass, each known mistake is
named, hints grow stronger with every wrong try, and a blank answer is waited for."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from exercise_output import verdict

from swin_edu import exercises
from swin_edu.exercises import attention_maps, grade
from swin_edu.model import SwinTransformer


def hint_labels(check, wrong: object, capsys: pytest.CaptureFixture, **settings) -> list[str]:
    """The label of the hint after each of three wrong tries of the same exercise."""
    labels = []
    for _ in range(3):
        assert check(wrong, **settings) is False
        out = verdict(capsys)
        assert out.startswith("Not yet: "), out
        labels.append(next(label for label in ("The way there", "Stronger hint", "Hint") if f" {label}: " in out))
    return labels


def mean_distance(rows: int, cols: int) -> float:
    """Uniform attention inside a rows x cols group of tokens: the mean query-key distance, by brute force."""
    cells = list(itertools.product(range(rows), range(cols)))
    return sum(math.dist(a, b) for a in cells for b in cells) / len(cells) ** 2


@pytest.fixture
def two_stage_model() -> tuple[SwinTransformer, torch.Tensor]:
    """Notebook 12's layout, small: patches of 4 on 32 x 32 digits, an 8 x 8 then a 4 x 4 map, M = 4."""
    torch.manual_seed(0)
    model = SwinTransformer(img_size=32, in_chans=1, embed_dim=12, depths=(2, 2), num_heads=(3, 6), window_size=4)
    return model.eval(), torch.randn(4, 1, 32, 32)


# exercise 1 (predict, then check): the mean attention distance in pixels, stage 1 -> stage 2


def test_distance_growth_doubles_in_pixels_for_uniform_like_attention(two_stage_model, capsys) -> None:
    model, images = two_stage_model  # untrained: close to uniform attention
    assert attention_maps.check_distance_growth("a", model, images) is True
    out = verdict(capsys)
    # by hand: uniform over a 4 x 4 window is mean_distance(4, 4) tokens; tokens of 4 px, then 8 px
    uniform = mean_distance(4, 4)
    assert f"uniform attention {4 * uniform:.1f} -> {8 * uniform:.1f} px (x2.0)" in out, out


@pytest.mark.parametrize(
    "answer, says",
    [
        ("b", "uniform attention, which learned nothing, grows just as much"),
        ("c", "a stage-2 token is 8 x 8 pixels, a stage-1 token 4 x 4"),
        ("d", "confuses area with length"),
    ],
)
def test_distance_growth_names_each_wrong_option(two_stage_model, answer, says, capsys) -> None:
    model, images = two_stage_model
    assert attention_maps.check_distance_growth(answer, model, images) is False
    out = verdict(capsys)
    assert says in out and "measured, the trained model looks" in out, out


def test_distance_growth_is_measured_on_the_model_given(two_stage_model, capsys) -> None:
    model, images = two_stage_model
    with torch.no_grad():  # stage 2's first block attends to the query itself: offset (0, 0), row (M-1)(2M-1)+M-1
        model.layers[1].blocks[0].attn.relative_position_bias_table[3 * 7 + 3] = 100.0
    assert attention_maps.check_distance_growth("c", model, images) is True
    assert attention_maps.check_distance_growth("a", model, images) is False
    assert "does not fit this model" in verdict(capsys)


def test_distance_growth_hints_escalate_and_the_nudge_keeps_the_answer(two_stage_model, capsys) -> None:
    model, images = two_stage_model
    labels = hint_labels(attention_maps.check_distance_growth, "d", capsys, model=model, images=images)
    assert labels == ["Hint", "Stronger hint", "The way there"]
    exercises.forget_tries()
    attention_maps.check_distance_growth("d", model, images)
    nudge = verdict(capsys).split(" Hint: ")[1]
    assert "option" not in nudge and "double" not in nudge, nudge
    grade(attention_maps.check_distance_growth, "a", model, images)


# exercise 2 (reason it out): uniform attention looks nearer in a shifted block


def test_local_without_constraint_reports_distances_worked_out_by_hand(capsys) -> None:
    # by hand: 8 x 8, M = 4, s = 2; one shifted window whole, one split into 4 x 2 regions, one into 2 x 4, one
    # into 2 x 2: every query attends uniformly within its region
    shifted = (mean_distance(4, 4) + mean_distance(4, 2) + mean_distance(2, 4) + mean_distance(2, 2)) / 4
    assert attention_maps.check_local_without_constraint("d") is True
    out = verdict(capsys)
    assert f"{mean_distance(4, 4):.2f} tokens in the W-MSA block and {shifted:.2f} in the SW-MSA block" in out, out


@pytest.mark.parametrize(
    "answer, says",
    [("a", "the roll is undone for measuring"), ("b", "bias tables are zero"), ("c", "learned nothing")],
)
def test_local_without_constraint_diagnoses_every_wrong_option(answer, says, capsys) -> None:
    assert attention_maps.check_local_without_constraint(answer) is False
    assert says in verdict(capsys)


def test_local_without_constraint_hints_escalate(capsys) -> None:
    labels = hint_labels(attention_maps.check_local_without_constraint, "a", capsys)
    assert labels == ["Hint", "Stronger hint", "The way there"]


# exercise 3 (break it and watch): zeroing the bias tables of the trained model


@pytest.mark.parametrize(
    "answer, says",
    [("a", "added at every forward pass"), ("c", "have no mask"), ("d", "nothing was trained after")],
)
def test_zero_bias_diagnoses_every_wrong_option(answer, says, capsys) -> None:
    assert attention_maps.check_zero_bias(answer) is False
    assert says in verdict(capsys)


def test_zero_bias_accepts_b_and_hints_escalate(capsys) -> None:
    assert attention_maps.check_zero_bias("b") is True
    assert verdict(capsys).startswith("Correct: the bias is small next to the spread of q·k/√d")
    assert hint_labels(attention_maps.check_zero_bias, "c", capsys) == ["Hint", "Stronger hint", "The way there"]
    with pytest.raises(AssertionError):
        grade(attention_maps.check_zero_bias, "d")


@pytest.mark.parametrize("check", [attention_maps.check_local_without_constraint, attention_maps.check_zero_bias])
def test_a_blank_answer_is_waited_for(check, capsys) -> None:
    assert check(None) is False
    out = verdict(capsys)
    assert out.startswith("Waiting for an answer: ") and "Not yet" not in out


def test_a_blank_prediction_is_waited_for_without_measuring(two_stage_model, capsys) -> None:
    model, images = two_stage_model
    assert attention_maps.check_distance_growth(None, model, images) is False
    assert verdict(capsys).startswith("Waiting for an answer: ")


def test_checks_leave_the_global_random_state_alone(two_stage_model) -> None:
    model, images = two_stage_model
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    attention_maps.check_local_without_constraint("a")  # builds a model
    attention_maps.check_distance_growth("a", model, images)
    assert torch.equal(torch.rand(3), expected)
