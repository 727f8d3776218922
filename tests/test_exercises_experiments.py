"""The exercise checks of notebook 11 (swin_edu.exercises.experiments): right answers pass, each known mistake is
named, hints grow stronger with every wrong try, and a blank answer is waited for."""

from __future__ import annotations

import copy

import pytest
import torch
from exercise_output import verdict

from swin_edu import exercises
from swin_edu.exercises import experiments, grade
from swin_edu.experiments import load_results


def hint_labels(check, wrong: object, capsys: pytest.CaptureFixture, tries: int = 3, **settings) -> list[str]:
    """The label of the hint after each of ``tries`` wrong tries of the same exercise."""
    labels = []
    for _ in range(tries):
        assert check(wrong, **settings) is False
        out = verdict(capsys)
        assert out.startswith("Not yet: "), out
        labels.append(next(label for label in ("The way there", "Stronger hint", "Hint") if f" {label}: " in out))
    return labels


def with_wmsa(accuracy: float, per_seed: list[float]) -> dict:
    """The stored shift results with the ``wmsa`` variant replaced (to see that the check reads them)."""
    results = copy.deepcopy(load_results("shift"))
    results["variants"]["wmsa"].update(accuracy=accuracy, per_seed=per_seed)
    return results


# exercise 1 (predict, then check): what W-MSA only scores on the two-marks task


def test_shift_prediction_is_checked_against_the_stored_results(capsys) -> None:
    stored = load_results("shift")["variants"]["wmsa"]
    assert stored["accuracy"] <= 0.6  # read independently: the stored wmsa run is near chance
    assert experiments.check_shift_prediction("a") is True
    out = verdict(capsys)
    assert out.startswith("Correct: W-MSA only scored") and f"{stored['accuracy']:.1%}" in out, out


@pytest.mark.parametrize(
    "answer, says",
    [
        ("b", "the second one uses the same windows as the first"),
        ("c", "nothing holds both marks, so the colours are never compared"),
    ],
)
def test_shift_prediction_names_each_wrong_option(answer, says, capsys) -> None:
    assert experiments.check_shift_prediction(answer) is False
    out = verdict(capsys)
    assert out.startswith(f'Not yet: "{answer}" is not what happened: W-MSA only scored 48.4%') and says in out, out


@pytest.mark.parametrize("accuracy, right", [(0.97, "b"), (0.75, "c"), (0.52, "a")])
def test_shift_prediction_follows_the_results_it_is_given(accuracy, right, capsys) -> None:
    results = with_wmsa(accuracy, [accuracy, accuracy])
    assert experiments.check_shift_prediction(right, results=results) is True
    for wrong in {"a", "b", "c"} - {right}:
        assert experiments.check_shift_prediction(wrong, results=results) is False
    assert f"W-MSA only scored {accuracy:.1%}" in verdict(capsys)


def test_shift_prediction_hints_escalate_and_the_nudge_keeps_the_answer(capsys) -> None:
    assert hint_labels(experiments.check_shift_prediction, "b", capsys) == ["Hint", "Stronger hint", "The way there"]
    exercises.forget_tries()
    experiments.check_shift_prediction("b")
    nudge = verdict(capsys).split(" Hint: ")[1]
    assert '"a"' not in nudge and "48.4%" not in nudge and "chance" not in nudge


# exercise 2 (break it and watch): why a trained model without its shift falls to chance


def test_shift_removed_accepts_c_and_diagnoses_every_other_option(capsys) -> None:
    assert experiments.check_shift_removed(" C ") is True
    assert verdict(capsys).startswith("Correct: the trained weights compare the colours")
    for answer, says in [("a", "every weight is unchanged"), ("b", "W-MSA needs no mask"), ("d", "unshift")]:
        assert experiments.check_shift_removed(answer) is False
        assert says in verdict(capsys)
    assert experiments.check_shift_removed("e") is False
    assert "is not one of the choices" in verdict(capsys)


def test_shift_removed_hints_escalate_and_grade_counts_no_try(capsys) -> None:
    with pytest.raises(AssertionError):
        grade(experiments.check_shift_removed, "a")
    assert verdict(capsys) == ""  # grading is silent
    assert hint_labels(experiments.check_shift_removed, "b", capsys) == ["Hint", "Stronger hint", "The way there"]
    grade(experiments.check_shift_removed, "c")


# exercise 3 (reason it out): the wrap-around partners of token (0, 0), 8 x 8 map, M = 4, s = 2

# by hand: rolled up and left by 2, token (0, 0) lands at (6, 6), in the bottom-right window, which holds the
# original rows and columns 6, 7, 0, 1; those in row or column 6 or 7 came from the far border
WRAPPED = {(r, c) for r in (6, 7, 0, 1) for c in (6, 7, 0, 1) if r >= 6 or c >= 6}


@pytest.mark.parametrize("form", [WRAPPED, sorted(WRAPPED), [list(pair) for pair in WRAPPED]])
def test_wrapped_partners_accepts_the_twelve_in_any_form(form, capsys) -> None:
    assert len(WRAPPED) == 12 and experiments.check_wrapped_partners(form) is True
    assert verdict(capsys) == "Correct: 12 tokens from the opposite borders: the mask keeps them apart."


@pytest.mark.parametrize(
    "answer, says",
    [
        (WRAPPED | {(0, 0), (1, 1)}, "are (0, 0) itself or its neighbours in the image"),
        ({(6, 6), (6, 7), (7, 6), (7, 7)}, "tokens that wrapped along one axis only count too"),
        (WRAPPED - {(0, 7)}, "1 missing (e.g. [(0, 7)])."),
        (WRAPPED | {(3, 3)}, "1 that do not belong (e.g. [(3, 3)])."),
        # the same twelve read off the rolled map (rolled row r holds original row r + 2): rows and columns 4..7
        ({(r, c) for r in (4, 5, 6, 7) for c in (4, 5, 6, 7) if r < 6 or c < 6}, "at their places in the rolled map"),
        ("7,7", "give a set of (row, col) pairs"),
    ],
)
def test_wrapped_partners_names_each_mistake(answer, says, capsys) -> None:
    assert experiments.check_wrapped_partners(answer) is False
    assert says in verdict(capsys)


def test_wrapped_partners_hints_escalate_to_the_way_there(capsys) -> None:
    assert hint_labels(experiments.check_wrapped_partners, {(7, 7)}, capsys) == [
        "Hint",
        "Stronger hint",
        "The way there",
    ]
    exercises.forget_tries()
    experiments.check_wrapped_partners({(7, 7)})
    assert "(6, 6)" not in verdict(capsys).split(" Hint: ")[1]  # the nudge asks where (0, 0) lands, not says


# exercise 4 (reason it out): small data and official issues #23 and #225


def test_small_data_accepts_b_with_the_stored_numbers(capsys) -> None:
    stored = {name: v["accuracy"] for name, v in load_results("small_data")["variants"].items()}
    assert stored["small CNN"] > stored["swin, 3x steps"] > stored["swin"] > stored["swin + shifts"]  # the premise
    assert experiments.check_small_data("b") is True
    out = verdict(capsys)
    assert f"{stored['small CNN']:.1%}" in out and f"{stored['swin, 3x steps']:.1%}" in out, out


def test_small_data_diagnoses_with_parameter_counts_computed_here(capsys) -> None:
    from swin_edu.experiments.small_data import small_cnn

    # the CNN counted by hand: conv 1x16x3x3 + 16, conv 16x32x3x3 + 32, linear 32*4*4 x 10 + 10
    assert sum(p.numel() for p in small_cnn(16).parameters()) == 160 + 4640 + 5130
    assert experiments.check_small_data("d") is False
    assert "the CNN's 9,930, and the smaller model wins" in verdict(capsys)
    for answer, says in [("a", "chance 10%"), ("c", "random shifts of up to one pixel took the Swin from 85.7%")]:
        assert experiments.check_small_data(answer) is False
        assert says in verdict(capsys)


def test_small_data_blank_waits_and_hints_escalate(capsys) -> None:
    assert experiments.check_small_data(None) is False
    assert verdict(capsys).startswith("Waiting for an answer: ")
    assert hint_labels(experiments.check_small_data, "a", capsys) == ["Hint", "Stronger hint", "The way there"]


@pytest.mark.parametrize(
    "check", [experiments.check_shift_prediction, experiments.check_shift_removed, experiments.check_wrapped_partners]
)
def test_a_blank_answer_is_waited_for(check, capsys) -> None:
    assert check(None) is False
    out = verdict(capsys)
    assert out.startswith("Waiting for an answer: ") and "Not yet" not in out


def test_checks_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    experiments.check_small_data("b")  # builds two models
    assert torch.equal(torch.rand(3), expected)
