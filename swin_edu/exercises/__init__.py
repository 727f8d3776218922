"""Exercise checks for the course notebooks: one module per topic.

A check compares the student's answer with what ``swin_edu`` itself computes. It prints ``Correct`` or
``Not yet: <what is wrong> Hint: <how to get there>`` and returns True or False, so a notebook cell can call it
on a blank answer (``None``) and show the hint.

Modules:
    patches    notebooks 00 and 01: token counts, patch partition as a linear layer
    windows    notebooks 00 and 02: windows, window reverse, attention cost
    position   notebook 03: the relative position index and bias table
    shift      notebook 04: cyclic shift, regions and the attention mask
"""

from __future__ import annotations

import torch


def report(correct: bool, problem: str = "", hint: str = "") -> bool:
    """Print the verdict on an answer and return it.

    Args:
        correct: whether the answer is right.
        problem: what is wrong with it (used only when it is not right).
        hint: a nudge towards the right answer.
    """
    if correct:
        print("Correct")
    else:
        print(f"Not yet: {problem} Hint: {hint}")
    return correct


def check_number(answer: object, expected: float, hint: str, what: str = "the answer", rel_tol: float = 0.0) -> bool:
    """Check a numeric answer against ``expected`` (exactly, or within ``rel_tol`` relative to it)."""
    if answer is None:
        return report(False, f"{what} is still None.", hint)
    if isinstance(answer, torch.Tensor):
        answer = answer.item()
    if not isinstance(answer, (int, float)) or isinstance(answer, bool):
        return report(False, f"{what} should be a number, got {type(answer).__name__}.", hint)
    if abs(answer - expected) > rel_tol * abs(expected):
        return report(False, f"{what} is {answer}, which is not right.", hint)
    return report(True)


def tensor_problem(answer: object, expected: torch.Tensor, what: str = "the result") -> str | None:
    """Say what is wrong with a tensor answer compared with ``expected``, or None when they agree."""
    if answer is None:
        return f"{what} is still None."
    if not isinstance(answer, torch.Tensor):
        return f"{what} should be a torch.Tensor, got {type(answer).__name__}."
    if tuple(answer.shape) != tuple(expected.shape):
        return f"{what} has shape {tuple(answer.shape)}, expected {tuple(expected.shape)}."
    if not torch.allclose(answer.to(expected.dtype), expected, atol=1e-5, rtol=1e-5):
        return f"{what} has the right shape {tuple(expected.shape)} but different values."
    return None


def check_tensor(answer: object, expected: torch.Tensor, hint: str, what: str = "the result") -> bool:
    """Check a tensor answer against ``expected`` (shape first, then values)."""
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


def check_function(function: object, arguments: tuple, expected: torch.Tensor, hint: str, what: str) -> bool:
    """Call the student's ``function(*arguments)`` and check its result against ``expected``."""
    result, problem = run_answer(function, arguments, what)
    if problem is not None:
        return report(False, problem, hint)
    return check_tensor(result, expected, hint, f"the result of {what}")
