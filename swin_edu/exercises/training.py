"""Checks for notebook 09 (the training recipe): the linear scaling rule, which parameters skip weight decay,
soft targets."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from swin_edu.exercises import check_number, exercise_check, report, run_answer
from swin_edu.model import SwinTransformer
from swin_edu.recipe import parameter_groups, scaled_lr


@exercise_check
def check_peak_lr(answer: object) -> bool:
    """Exercise 1: the peak learning rate of the paper's recipe (1e-3 at batch 1024) for a batch of 128."""
    hint = "the learning rate grows in proportion to the batch size: lr = 1e-3 * batch / 1024."
    return check_number(answer, scaled_lr(1e-3, 128), hint, "the learning rate", rel_tol=1e-6)


@exercise_check
def check_no_decay(function: object) -> bool:
    """Exercise 2: ``function(name, parameter) -> bool``, True for the parameters that get no weight decay."""
    hint = (
        "look at parameter.ndim (norm gains and biases are vectors) and at the name of the relative "
        "position bias tables, which are matrices but are not projections."
    )
    model = SwinTransformer(embed_dim=12, depths=(2, 2), num_heads=(1, 2), window_size=4, img_size=32, num_classes=10)
    _, no_decay = parameter_groups(model, 0.05)
    expected = {id(parameter) for parameter in no_decay["params"]}
    for name, parameter in model.named_parameters():
        answer, problem = run_answer(function, (name, parameter), "your function")
        if problem is not None:
            return report(False, problem, hint)
        if not isinstance(answer, bool):
            return report(False, f"your function returned {answer!r} for {name}; return True or False.", hint)
        if answer != (id(parameter) in expected):
            should = "skip" if id(parameter) in expected else "get"
            return report(False, f"{name} (shape {tuple(parameter.shape)}) should {should} weight decay.", hint)
    return report(True)


@exercise_check
def check_mixed_target(function: object) -> bool:
    """Exercise 3: ``function(label_a, label_b, lam, num_classes, smoothing)``, the smoothed soft target of a mix."""
    hint = (
        "start from lam * one_hot(label_a) + (1 - lam) * one_hot(label_b), then smooth: "
        "(1 - smoothing) * target + smoothing / num_classes."
    )
    cases = [(3, 7, 0.7, 10, 0.1), (2, 2, 0.4, 5, 0.0), (0, 4, 1.0, 5, 0.2)]
    for label_a, label_b, lam, num_classes, smoothing in cases:
        answer, problem = run_answer(function, (label_a, label_b, lam, num_classes, smoothing), "your function")
        if problem is None and not isinstance(answer, torch.Tensor):
            problem = f"your function should return a torch.Tensor, got {type(answer).__name__}."
        if problem is not None:
            return report(False, problem, hint)
        mix = lam * F.one_hot(torch.tensor(label_a), num_classes) + (1 - lam) * F.one_hot(
            torch.tensor(label_b), num_classes
        )
        expected = (1 - smoothing) * mix + smoothing / num_classes
        if tuple(answer.shape) != (num_classes,):
            return report(False, f"the target has shape {tuple(answer.shape)}, expected ({num_classes},).", hint)
        if not torch.allclose(answer.float(), expected.float(), atol=1e-6):
            return report(
                False,
                f"for labels {label_a}, {label_b}, lam={lam}, smoothing={smoothing} the target "
                f"{[round(v, 3) for v in answer.tolist()]} is not right.",
                hint,
            )
    return report(True)
