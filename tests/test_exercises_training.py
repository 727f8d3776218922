"""The exercise checks of notebooks 09 (the training recipe) and 10 (a training run): right answers pass, each known
mistake is named, the hints grow stronger with each wrong try, a blank answer waits; and the facts behind the
expected answers hold, computed another way."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from swin_edu.exercises import forget_tries
from swin_edu.exercises.training import (
    check_learning_rate_too_high,
    check_no_decay,
    check_smoothing_floor,
    small_swin,
)


@pytest.fixture(autouse=True)
def fresh_tries():
    forget_tries()
    yield
    forget_tries()


def verdict(capsys) -> str:
    return capsys.readouterr().out.strip()


def hint_labels(outs: list[str]) -> list[str]:
    labels = ("The way there:", "Stronger hint:", "Hint:")
    return [next(label for label in labels if label in out) for out in outs]


# notebook 09, exercise 1 (reason it out): which parameters skip weight decay


def official_no_decay(name: str, parameter: torch.Tensor) -> bool:
    """The official set_weight_decay's test (optimizer.py), written out: 1-D, '.bias', the bias tables."""
    return len(parameter.shape) == 1 or name.endswith(".bias") or "relative_position_bias_table" in name


def test_no_decay_accepts_the_official_rule(capsys):
    assert check_no_decay(official_no_decay)
    assert verdict(capsys).startswith("Correct: vectors (norm gains, biases) and the bias tables are left alone")
    assert check_no_decay(lambda name, p: p.ndim <= 1 or name.endswith("relative_position_bias_table"))


@pytest.mark.parametrize(
    "function, says",
    [
        (lambda name, p: p.ndim <= 1, "it is a relative position bias table (a matrix, but not a projection)"),
        (lambda name, p: "bias" in name, "it is a norm's gain (a vector)"),
        (lambda name, p: name.endswith("relative_position_bias_table"), "should skip weight decay: it is a bias"),
        (lambda name, p: True, "should get weight decay: it is a weight matrix"),
        (lambda name, p: not official_no_decay(name, p), "every parameter is on the wrong side"),
        (lambda name, p: 1, "return True or False"),
        (lambda name, p: p.undefined, "raised AttributeError"),
    ],
)
def test_no_decay_names_the_kind_of_parameter_it_gets_wrong(capsys, function, says):
    assert not check_no_decay(function)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_no_decay_counts_every_parameter_on_the_wrong_side(capsys):
    model = small_swin()
    tables = sum(name.endswith("relative_position_bias_table") for name, _ in model.named_parameters())
    assert tables == 4  # one per block: an independent count of what `ndim <= 1` misses
    check_no_decay(lambda name, p: p.ndim <= 1)
    assert f"{tables} of {len(list(model.parameters()))} parameters are on the wrong side" in verdict(capsys)


def test_no_decay_waits_for_the_template_and_escalates(capsys):
    def template(name, parameter):
        return None  # your code

    assert not check_no_decay(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    assert not check_no_decay(template)
    assert verdict(capsys).startswith("Waiting for an answer: what your function returns is still None")
    outs = []
    for _ in range(3):
        check_no_decay(lambda name, p: p.ndim <= 1)
        outs.append(verdict(capsys))
    assert hint_labels(outs) == ["Hint:", "Stronger hint:", "The way there:"]
    assert "ndim <= 1 or" not in outs[0] and "ndim <= 1 or" in outs[2]


# notebook 09, exercise 2 (break it and watch): a peak learning rate far too high


def test_learning_rate_right_answer(capsys):
    assert check_learning_rate_too_high("b")
    assert verdict(capsys).startswith("Correct: too large steps early on wrecked the model")


@pytest.mark.parametrize(
    "letter, says",
    [
        ("a", "reads a stopped run as a slow one"),
        ("c", "every loss the cell printed and drew is a finite number"),
        ("d", "blames label smoothing"),
        ("x", "is not one of the choices"),
    ],
)
def test_learning_rate_diagnoses_each_wrong_option(capsys, letter, says):
    assert not check_learning_rate_too_high(letter)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint: compare the value" in out, out


def test_learning_rate_hints_escalate_and_wait(capsys):
    assert not check_learning_rate_too_high(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for letter in ("a", "a", "d"):
        check_learning_rate_too_high(letter)
        outs.append(verdict(capsys))
    assert hint_labels(outs) == ["Hint:", "Stronger hint:", "The way there:"]


def test_a_uniform_prediction_scores_ln_10_whatever_the_smoothing():
    """Option b's ln 10: the cross entropy of equal logits against any target that sums to 1."""
    logits = torch.zeros(4, 10)
    for smoothing in (0.0, 0.1, 0.5):
        loss = F.cross_entropy(logits, torch.tensor([0, 3, 7, 9]), label_smoothing=smoothing)
        assert math.isclose(loss.item(), math.log(10), rel_tol=1e-6)


# notebook 09, exercise 3 (predict, then check): the lowest loss under label smoothing


def test_the_floor_is_what_gradient_descent_reaches():
    """The expected answer, found another way: Adam drives the logits of one image to the smoothed loss's floor."""
    logits = torch.zeros(10, requires_grad=True)
    optimizer = torch.optim.Adam([logits], lr=0.1)
    for _ in range(500):
        loss = F.cross_entropy(logits, torch.tensor(3), label_smoothing=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert check_smoothing_floor(loss.item())
    assert math.isclose(loss.item(), -(0.91 * math.log(0.91) + 9 * 0.01 * math.log(0.01)), rel_tol=1e-3)


def test_smoothing_floor_right_answer_in_any_form(capsys):
    assert check_smoothing_floor(0.5)  # a prediction within 5%
    assert verdict(capsys).startswith("Correct: the loss cannot go below the entropy of the smoothed target")
    assert check_smoothing_floor(np.float64(0.5003))
    assert check_smoothing_floor(torch.tensor(0.49))


@pytest.mark.parametrize(
    "answer, says",
    [
        (0, "the floor of one-hot targets"),
        (-math.log(0.91), "only the right class's term"),
        (0.1, "that is the smoothing"),
        (math.log(10), "the loss of a uniform guess"),
        (2.3026, "the loss of a uniform guess"),
        (1.0, "is 1.0, which is not right"),
        ("0.5", "should be a number"),
    ],
)
def test_smoothing_floor_names_the_mistake(capsys, answer, says):
    assert not check_smoothing_floor(answer)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_smoothing_floor_hints_escalate_without_the_number_first(capsys):
    assert not check_smoothing_floor(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for _ in range(3):
        check_smoothing_floor(1.0)
        outs.append(verdict(capsys))
    assert hint_labels(outs) == ["Hint:", "Stronger hint:", "The way there:"]
    assert "0.50" not in outs[0] and "0.50" not in outs[1] and "about 0.50" in outs[2]
