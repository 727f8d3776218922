"""Exercise checks for the course notebooks: one module per topic.

A check compares the student's answer with what ``swin_edu`` itself computes and prints one verdict:

- ``Waiting for an answer: ...`` while the answer is still ``None`` (the exercise has not been tried);
- ``Correct`` (with what was right, where there is more to say);
- ``Not yet: <what is wrong> Hint: <a nudge>``; on a second wrong try of the same exercise the hint gets
  stronger (``Stronger hint: ...``), and from the third the way to the answer is spelled out (``The way there:``).
  Common wrong answers are recognised and the mistake is named (``mistakes=`` of :func:`check_number`).

It returns True or False. A check never raises and never calls a wrong answer right: NaN, infinities, strings,
lists, tensors of another shape and functions that raise all get a hint. A number may come in any form a student
computes it in: ``3136``, ``3136.0``, ``np.int64(3136)``, ``torch.tensor(3136)``.

Every check is marked with :func:`exercise_check`, which handles the blank answer and counts the wrong tries.
nbgrader's grading cells call :func:`grade`: the same check, silent, raising when the answer is not right.

Modules:
    patches         notebooks 00 and 01: token counts and grids, the flatten order, the rank of the embedding
    windows         notebooks 00 and 02: windows per stage, global against window cost, window order, the scale
    position        notebook 03: the offsets a query uses, the index multiplier, colliding offsets
    shift           notebook 04: the mask of issue #38, masked pairs, attention without the mask, the unshift
    blocks          notebook 05: stage shapes, the merge order, crossing windows without the shift
    model           notebooks 06 and 07: parameters, load errors, padded maps, bias tables for a new window
    receptive_field notebook 08: how far a token sees
    training        notebook 09: weight decay, a learning rate too high, the label-smoothing floor
    training_run    notebook 10: a confusion matrix, train mode at evaluation, chance
    experiments     notebook 11: what each piece buys
    attention_maps  notebook 12: what a trained Swin attends to
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence

import numpy as np
import torch

from swin_edu.exercises.verdicts import exercise_check, forget_tries, grade, report, waiting

__all__ = ["exercise_check", "forget_tries", "grade", "report", "waiting"]  # re-exported: every check uses them


def number_value(answer: object, what: str = "the answer") -> tuple[int | float | None, str | None]:
    """The plain Python number in ``answer``: ``(value, None)``, or ``(None, what is wrong with it)``.

    Accepted forms of a number: ``int``, ``float`` (and any other real number, such as ``Fraction``), numpy
    scalars (``np.int64(3)``), 0-d tensors (``torch.tensor(3)``, ``x.sum()``) and 0-d numpy arrays. Refused
    with a reason: None, bool, strings, sequences, tensors or arrays of more than one number, complex numbers,
    NaN and infinities.
    """
    if answer is None:
        return None, f"{what} is still None."
    if isinstance(answer, (torch.Tensor, np.ndarray)):
        if answer.ndim != 0:
            kind = "tensor" if isinstance(answer, torch.Tensor) else "numpy array"
            return None, f"{what} should be one number, got a {kind} of shape {tuple(answer.shape)}."
        if isinstance(answer, torch.Tensor) and answer.is_meta:
            return None, f"{what} is a tensor on the meta device: it has a shape but no value."
        answer = answer.item()
    elif isinstance(answer, np.generic):
        answer = answer.item()
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, numbers.Real):
        return None, f"{what} should be a number, got {type(answer).__name__}: {_short(answer)}."
    answer = int(answer) if isinstance(answer, numbers.Integral) else float(answer)  # Fraction(1, 2) -> 0.5
    if isinstance(answer, float) and not math.isfinite(answer):
        return None, f"{what} is {answer}: not a finite number (look for a division by zero or a log of 0)."
    if abs(answer) > sys.float_info.max:  # an int too large for any float (exact comparison, no overflow)
        return None, f"{what} has {len(str(abs(answer)))} digits: far too large."
    return answer, None


def whole_number(answer: object, what: str = "the answer") -> tuple[int | None, str | None]:
    """Like :func:`number_value`, for counts and indices: ``3``, ``3.0`` and ``np.int64(3)`` give ``3``; ``3.5`` is
    refused, never rounded."""
    value, problem = number_value(answer, what)
    if problem is not None:
        return None, problem
    if value != int(value):
        return None, f"{what} is {value}: it should be a whole number."
    return int(value), None


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def named_mistakes(expected: float, candidates: list[tuple[float, str]]) -> dict[float, str]:
    """``{wrong answer: the mistake}`` for :func:`check_number`, from candidates in order of priority.

    Where two mistakes give the same number, the first one names it; a candidate equal to the right answer (a
    mistake that happens to give it for these settings) is left out.
    """
    mistakes: dict[float, str] = {}
    for wrong, mistake in candidates:
        if wrong != expected:
            mistakes.setdefault(wrong, mistake)
    return mistakes


def check_number(
    answer: object,
    expected: float,
    hint: str | Sequence[str],
    what: str = "the answer",
    rel_tol: float = 0.0,
    mistakes: dict[float, str] | None = None,
    praise: str = "",
) -> bool:
    """Check a numeric answer against ``expected`` (exactly, or within ``rel_tol`` relative to it).

    Any form :func:`number_value` accepts; NaN, infinities and non-numbers are never correct. ``mistakes`` maps
    common wrong answers to the mistake that gives them (``{490: "each pair counted once: ..."}``); a count that is
    not a whole number is named as such when ``expected`` is one.
    """
    if answer is None:
        return waiting(what)
    value, problem = number_value(answer, what)
    if problem is not None:
        return report(False, problem, hint)
    if abs(value - expected) <= rel_tol * abs(expected):  # written so that any NaN would fail
        return report(True, praise=praise)
    for wrong, mistake in (mistakes or {}).items():
        if abs(value - wrong) <= rel_tol * abs(wrong):
            return report(False, f"{what} is {value}: {mistake}", hint)
    if isinstance(expected, int) and value != int(value):
        return report(False, f"{what} is {value}: a count is a whole number.", hint)
    return report(False, f"{what} is {value}, which is not right.", hint)


def check_choice(
    answer: object, right: str, options: dict[str, str], hint: str | Sequence[str], praise: str = ""
) -> bool:
    """Check a multiple-choice answer: one letter of ``options`` (any case; spaces and brackets around it ignored).

    ``options`` maps each letter to what choosing it means when it is wrong (the mistake behind it), so a wrong
    choice is answered with its own diagnosis; ``right`` is the right letter.
    """
    letters = ", ".join(f'"{letter}"' for letter in options)
    if answer is None:
        return waiting()
    if not isinstance(answer, str):
        return report(False, f"the answer should be one letter ({letters}), got {type(answer).__name__}.", hint)
    choice = answer.strip().strip("()[].:'\" ").lower()  # "b", " B ", "(b)", "b)" all mean b
    if choice not in options:
        return report(False, f'"{_short(answer)[1:-1]}" is not one of the choices {letters}.', hint)
    if choice == right:
        return report(True, praise=praise)
    return report(False, f'"{choice}" {options[choice]}', hint)


def check_shape_list(
    answer: object, expected: list[tuple[int, ...]], hint: str | Sequence[str], layout: str, level: str = "stage"
) -> bool:
    """Check a list of shapes, one per stage or pyramid level, saying which one is wrong and how."""
    if answer is None:
        return waiting("shapes")
    try:
        given = [tuple(whole_number(n, f"a number in the {level} shapes") for n in shape) for shape in answer]
    except TypeError:  # not a list of sequences
        return report(False, f"shapes should be a list of {len(expected)} {layout} tuples.", hint)
    problems = [problem for shape in given for _, problem in shape if problem is not None]
    if problems:
        return report(False, problems[0], hint)
    given = [tuple(number for number, _ in shape) for shape in given]
    if len(given) != len(expected):
        return report(False, f"there are {len(expected)} {level}s, your list has {len(given)} shapes.", hint)
    for index, (mine, right) in enumerate(zip(given, expected), start=1):
        if mine != right:
            order = " has the right numbers in another order" if sorted(mine) == sorted(right) else " is not right"
            return report(False, f"{level} {index}: {mine}{order}; shapes are {layout}.", hint)
    return report(True)


def tensor_form_problem(answer: object, shape: tuple[int, ...], what: str = "the result") -> str | None:
    """Say what keeps ``answer`` from being a real-valued tensor of ``shape`` with finite numbers, or None."""
    if answer is None:
        return f"{what} is still None."
    if not isinstance(answer, torch.Tensor):
        return f"{what} should be a torch.Tensor, got {type(answer).__name__}."
    if tuple(answer.shape) != tuple(shape):
        return f"{what} has shape {tuple(answer.shape)}, expected {tuple(shape)}."
    if answer.is_meta:
        return f"{what} is on the meta device: it has a shape but no numbers."
    if answer.is_complex():
        return f"{what} holds complex numbers ({answer.dtype}); expected real ones."
    if answer.is_floating_point() and not torch.isfinite(answer).all():
        return f"{what} contains NaN or infinity."
    return None


def tensor_problem(answer: object, expected: torch.Tensor, what: str = "the result") -> str | None:
    """Say what is wrong with a tensor answer compared with ``expected``, or None when they agree.

    Shape first, then values, compared as float64 on the CPU (any real dtype and device may hold a right answer).
    """
    problem = tensor_form_problem(answer, tuple(expected.shape), what)
    if problem is not None:
        return problem
    values = answer.detach().cpu().double()
    if not torch.allclose(values, expected.detach().cpu().double(), atol=1e-5, rtol=1e-5):
        return f"{what} has the right shape {tuple(expected.shape)} but different values."
    return None


def check_tensor(answer: object, expected: torch.Tensor, hint: str | Sequence[str], what: str = "the result") -> bool:
    """Check a tensor answer against ``expected`` (shape first, then values)."""
    if answer is None:
        return waiting(what)
    problem = tensor_problem(answer, expected, what)
    return report(problem is None, problem or "", hint)


def run_answer(function: object, arguments: tuple, what: str) -> tuple[object, str | None]:
    """Call the student's ``function(*arguments)``: ``(result, None)``, or ``(None, what went wrong)``."""
    if function is None:
        return None, f"{what} is still None: define the function first."
    if not callable(function):
        return None, f"{what} should be a function, got {type(function).__name__}."
    try:
        return function(*arguments), None
    except Exception as error:  # the student's code may fail in any way; say how
        return None, f"calling {what} raised {type(error).__name__}: {error}."


def check_function(
    function: object, arguments: tuple, expected: torch.Tensor, hint: str | Sequence[str], what: str
) -> bool:
    """Call the student's ``function(*arguments)`` and check its result against ``expected``.

    A function that is None, or returns None (the template's ``return None``), is still waiting for an answer.
    """
    if function is None:
        return waiting(what)
    result, problem = run_answer(function, arguments, what)
    if problem is not None:
        return report(False, problem, hint)
    if result is None:
        return waiting(f"what {what} returns")
    return check_tensor(result, expected, hint, f"the result of {what}")
