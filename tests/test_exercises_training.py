"""The exercise checks of notebooks 09 (the training recipe) and 10 (a training run): right answers pass, each known
mistake is named, the hints grow stronger with each wrong try, a blank answer waits; and the facts behind the
expected answers hold, computed another way."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from exercise_output import verdict

from swin_edu.exercises import training_run
from swin_edu.exercises.training import (
    check_learning_rate_too_high,
    check_no_decay,
    check_smoothing_floor,
    small_swin,
)


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
    assert "ndim" not in outs[0] and "ndim 1" in outs[1] and "ndim <= 1 or" in outs[2]  # the nudge names no rule


# notebook 09, exercise 2 (break it and watch): a peak learning rate far too high


def test_learning_rate_right_answer(capsys):
    assert check_learning_rate_too_high("a")
    assert verdict(capsys).startswith("Correct: too large steps early on wrecked the model")


@pytest.mark.parametrize(
    "letter, says",
    [
        ("b", "reads a stopped run as a slow one"),
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
    for letter in ("b", "b", "d"):
        check_learning_rate_too_high(letter)
        outs.append(verdict(capsys))
    assert hint_labels(outs) == ["Hint:", "Stronger hint:", "The way there:"]


def test_a_uniform_prediction_scores_ln_10_whatever_the_smoothing():
    """The praise's ln 10: the cross entropy of equal logits against any target that sums to 1."""
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
        (0.5448, "over the nine other classes only"),  # -(0.9 ln 0.9 + 0.1 ln(0.1 / 9))
        (0.4145, "only the nine other classes' terms"),  # -9 * 0.01 * ln 0.01
        (0.7218, "in bits"),  # 0.5003 / ln 2
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


# notebook 10, exercise 1 (reason it out): the class with the lowest recall


def right_lowest_recall(c):
    return int((c.diag() / c.sum(dim=1)).argmin())  # argmin takes the first of equal minima


def test_lowest_recall_right_answers_in_any_form(capsys):
    def by_loop(c):  # the same, written out with exact fractions: an independent answer
        shares = [Fraction(int(c[k, k]), int(c[k].sum())) for k in range(len(c))]
        return min(range(len(c)), key=lambda k: (shares[k], k))

    for confusion in training_run.example_confusions():
        assert right_lowest_recall(confusion) == by_loop(confusion)
    assert training_run.check_lowest_recall(right_lowest_recall)
    assert verdict(capsys).startswith("Correct: recall is a share of the row")
    assert training_run.check_lowest_recall(lambda c: np.int64(right_lowest_recall(c)))
    assert training_run.check_lowest_recall(lambda c: float(right_lowest_recall(c)))  # 2.0 is the class 2


def most_mistakes(c):  # counts, not shares: wrong when the classes have different sizes
    return int((c.sum(dim=1) - c.diag()).argmax())


def last_of_ties(c):
    recall = (c.diag() / c.sum(dim=1)).tolist()
    return max(k for k in range(len(c)) if recall[k] == min(recall))


def by_column(c):  # the share of the predictions of a class that are right (precision), not recall
    return int((c.diag() / c.sum(dim=0)).argmin())


@pytest.mark.parametrize(
    "function, says",
    [
        (most_mistakes, "the most mistakes counted, not the smallest share"),
        (last_of_ties, "on a tie the smallest class index is the answer"),
        (by_column, "that is precision, not recall"),
        (lambda c: 0, "its recall is"),  # right only while every recall ties
        (lambda c: len(c), "the classes are 0 to 2"),
        (lambda c: 1.5, "whole number"),  # never rounded into a right class
        (lambda c: (c.diag() / c.sum(dim=1)).argmin(keepdim=True), "one number"),
        (lambda c: c[5, 5], "raised IndexError"),
    ],
)
def test_lowest_recall_names_the_mistake(capsys, function, says):
    assert not training_run.check_lowest_recall(function)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_lowest_recall_waits_for_the_template_and_escalates(capsys):
    def template(confusion):
        return None  # your code

    assert not training_run.check_lowest_recall(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    assert not training_run.check_lowest_recall(template)
    assert verdict(capsys).startswith("Waiting for an answer: what lowest_recall returns is still None")
    outs = []
    for _ in range(3):
        training_run.check_lowest_recall(most_mistakes)
        outs.append(verdict(capsys))
    assert hint_labels(outs) == ["Hint:", "Stronger hint:", "The way there:"]
    assert "argmin" not in outs[0] and "argmin" in outs[2]


# notebook 10, exercise 2 (break it and watch): evaluated in train mode with stochastic depth on


def test_train_mode_right_answer(capsys):
    assert training_run.check_train_mode_evaluation("b")
    assert verdict(capsys).startswith("Correct: stochastic depth drops whole residual branches")


@pytest.mark.parametrize(
    "letter, says",
    [
        ("a", "nothing updated them"),
        ("c", "LayerNorm normalises each token over its own channels"),
        ("d", "the validation loader does not shuffle"),
    ],
)
def test_train_mode_diagnoses_each_wrong_option(capsys, letter, says):
    assert not training_run.check_train_mode_evaluation(letter)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint: two passes over the same images" in out, out


def test_train_mode_hints_escalate_and_wait(capsys):
    assert not training_run.check_train_mode_evaluation(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for _ in range(3):
        training_run.check_train_mode_evaluation("c")
        outs.append(verdict(capsys))
    assert hint_labels(outs) == ["Hint:", "Stronger hint:", "The way there:"]


def test_the_facts_behind_the_train_mode_options(make_tiny_model):
    """b: with drop path on, two train-mode passes differ and eval mode repeats itself; c: LayerNorm gives the same
    output in both modes; a: a forward pass without an optimizer changes no weight."""
    model = make_tiny_model(num_classes=10)
    for stage in model.layers:
        for block in stage.blocks:
            block.drop_path.drop_prob = 0.5
    images = torch.randn(8, 3, 112, 112)
    weights = {name: p.clone() for name, p in model.state_dict().items()}
    with torch.no_grad():
        model.train()
        first, second = model(images), model(images)
        model.eval()
        third, fourth = model(images), model(images)
    assert not torch.equal(first, second) and torch.equal(third, fourth)
    assert all(torch.equal(p, weights[name]) for name, p in model.state_dict().items())
    norm, tokens = torch.nn.LayerNorm(16), torch.randn(4, 16)
    assert torch.equal(norm.train()(tokens), norm.eval()(tokens))


# notebook 10, exercise 3 (predict, then check): the accuracy against shuffled labels


def test_shuffled_accuracy_is_chance_for_a_perfect_model():
    """The expected answer, simulated: a model right on every image, scored against 2000 shuffles of 36 labels of
    each of 10 classes, averages 1/10."""
    labels = torch.arange(10).repeat_interleave(36)
    generator = torch.Generator().manual_seed(0)
    scores = [(labels[torch.randperm(360, generator=generator)] == labels).float().mean() for _ in range(2000)]
    assert training_run.check_shuffled_accuracy(torch.stack(scores).mean())
    assert abs(torch.stack(scores).mean().item() - 0.1) < 0.002


def test_shuffled_accuracy_right_answer(capsys):
    assert training_run.check_shuffled_accuracy(0.1)
    assert verdict(capsys).startswith("Correct: chance, 1 / 10")
    assert training_run.check_shuffled_accuracy(0.089)  # what the notebook measures: a prediction within 30%
    assert training_run.check_shuffled_accuracy(torch.tensor(1 / 3), num_classes=3)


@pytest.mark.parametrize(
    "answer, says",
    [
        (0, "a shuffled label still lands on a label of the image's own class"),
        (10, "write it as a share between 0 and 1"),
        (0.989, "about the model's own accuracy"),
        (0.3, "is 0.3, which is not right"),
        ("10%", "should be a number"),
    ],
)
def test_shuffled_accuracy_names_the_mistake(capsys, answer, says):
    assert not training_run.check_shuffled_accuracy(answer)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_shuffled_accuracy_hints_escalate_without_the_number_first(capsys):
    assert not training_run.check_shuffled_accuracy(None)
    assert verdict(capsys).startswith("Waiting for an answer")
    outs = []
    for _ in range(3):
        training_run.check_shuffled_accuracy(0.5)
        outs.append(verdict(capsys))
    assert hint_labels(outs) == ["Hint:", "Stronger hint:", "The way there:"]
    assert "0.1" not in outs[0] and "0.1" not in outs[1] and "= 0.1" in outs[2]
