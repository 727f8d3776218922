"""The verdict on an answer: waiting, correct, or not yet with a hint that grows stronger on every wrong try.

One exercise is one check with its settings (``check_masked_pairs(answer, window=1)``); the wrong tries are counted
per exercise for as long as the kernel lives, so the first wrong try gets a nudge, the second a stronger hint and
the third the way there. nbgrader's grading cells run the same checks through :func:`grade`, silently and without
counting a try.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import io
from collections.abc import Callable, Sequence

# wrong tries so far, per exercise: (check name, its settings) -> count; kept for the life of the kernel
_wrong_tries: dict[tuple[str, str], int] = {}
# the exercise whose check is running (set by exercise_check), and whether a grading cell is running it
_current_exercise: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("exercise", default=None)
_grading: contextvars.ContextVar[bool] = contextvars.ContextVar("grading", default=False)

HINT_LABELS = ("Hint", "Stronger hint", "The way there")


def exercise_check(check: Callable[..., bool]) -> Callable[..., bool]:
    """Mark ``check(answer, ...)`` as an exercise check.

    A blank answer (``None`` as the first argument) prints ``Waiting for an answer`` and is not counted as a try;
    every other call is one try of the exercise that the check's other arguments describe, so :func:`report` can
    make its hint stronger on the next wrong try.
    """

    answer_name = next(iter(inspect.signature(check).parameters))  # the first parameter is the answer

    @functools.wraps(check)
    def checked(*args, **kwargs) -> bool:
        answer = args[0] if args else kwargs.get(answer_name)
        if answer is None:
            return waiting()
        settings = {name: value for name, value in kwargs.items() if name != answer_name}
        token = _current_exercise.set((check.__qualname__, repr((args[1:], sorted(settings.items())))))
        try:
            return check(*args, **kwargs)
        finally:
            _current_exercise.reset(token)

    checked.is_exercise_check = True
    return checked


def waiting(what: str = "the answer") -> bool:
    """Print that the exercise waits for an answer (``what`` is still None) and return False."""
    print(f"Waiting for an answer: {what} is still None. Replace None with yours and run this cell again.")
    return False


def report(correct: bool, problem: str = "", hint: str | Sequence[str] = "", praise: str = "") -> bool:
    """Print the verdict on an answer and return it.

    Args:
        correct: whether the answer is right.
        problem: what is wrong with it (used only when it is not right); name the mistake where it is a known one.
        hint: a nudge towards the right answer, or a list of hints from a nudge to the way there: wrong try ``n`` of
            the same exercise shows hint ``n`` (the last one from then on).
        praise: what was right, printed after ``Correct:`` (optional).
    """
    if correct:
        print(f"Correct: {praise}" if praise else "Correct")
        return True
    hints = [hint] if isinstance(hint, str) else list(hint)
    tries = _count_wrong_try()
    level = min(tries, len(hints)) - 1
    label = HINT_LABELS[min(level, len(HINT_LABELS) - 1)]
    print(f"Not yet: {problem} {label}: {hints[level]}")
    return False


def _count_wrong_try() -> int:
    """Count one more wrong try of the running exercise; return how many there have been (1 outside a check)."""
    exercise = _current_exercise.get()
    if exercise is None or _grading.get():
        return 1
    _wrong_tries[exercise] = _wrong_tries.get(exercise, 0) + 1
    return _wrong_tries[exercise]


def forget_tries() -> None:
    """Start every exercise afresh: the next wrong try gets the first hint again."""
    _wrong_tries.clear()


def grade(check: Callable[..., bool], *answers: object, **settings: object) -> None:
    """For nbgrader's grading cells: run ``check`` silently; raise AssertionError unless the answer is right.

    The try is not counted, so grading never changes the hints a student sees.
    """
    token = _grading.set(True)
    try:
        with contextlib.redirect_stdout(io.StringIO()) as verdict:
            correct = check(*answers, **settings)
    finally:
        _grading.reset(token)
    if correct is not True:
        raise AssertionError(f"{check.__name__}: not answered correctly yet ({verdict.getvalue().strip()})")
