"""The exercise machinery: a right answer is correct in any form, a wrong or blank one gets a hint, never a crash.

The building blocks of ``swin_edu.exercises`` (check_number, check_choice, check_tensor, check_function,
check_shape_list) and the verdicts (hints that grow, grading) are tested on small checks defined here. Every topic
check of the package is found by walking it and tried against every kind of bad answer; each topic's own cases
(the right answer, the mistakes it names) live in tests/test_exercises_<topic>.py.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
import torch

from swin_edu import exercises
from swin_edu.exercises import check_function, check_number, check_shape_list, check_tensor
from swin_edu.model import SwinTransformer


def failing(*args):
    raise RuntimeError("boom")


# ------------------------------------------------------------------ the building blocks

FORMS = {
    "int or float": lambda x: x,
    "float": float,
    "numpy scalar": lambda x: np.float64(x) if isinstance(x, float) else np.int64(x),
    "0-d tensor": torch.tensor,
    "0-d float32 tensor": lambda x: torch.tensor(x, dtype=torch.float32),
    "0-d numpy array": np.array,
    "a tensor's sum": lambda x: torch.tensor([x, 0]).sum(),
    "fraction": Fraction,
}


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("right", [3136, 13.75])
def test_a_right_number_is_correct_in_every_form(right: float, form: str, capsys: pytest.CaptureFixture) -> None:
    assert check_number(FORMS[form](right), right, "h") is True
    assert capsys.readouterr().out.strip() == "Correct"


def test_a_number_within_its_tolerance_is_correct_and_one_outside_is_not(capsys: pytest.CaptureFixture) -> None:
    assert check_number(13.81, 13.8125, "h", rel_tol=0.01) is True
    assert check_number(14.0, 13.8125, "h", rel_tol=0.01) is False
    assert "14.0, which is not right. Hint: h" in capsys.readouterr().out


def test_a_right_answer_can_say_what_was_right(capsys: pytest.CaptureFixture) -> None:
    assert check_number(980, 980, "h", praise="both orders of every mixed pair.") is True
    assert capsys.readouterr().out.strip() == "Correct: both orders of every mixed pair."


def test_a_failing_function_is_reported_not_raised(capsys: pytest.CaptureFixture) -> None:
    assert check_function(failing, (torch.ones(2),), torch.ones(2), "h", "double") is False
    assert "calling double raised RuntimeError: boom" in capsys.readouterr().out


def test_a_wrong_shape_is_named(capsys: pytest.CaptureFixture) -> None:
    assert check_function(lambda x: x.T, (torch.ones(2, 3),), torch.ones(2, 3), "h", "same") is False
    assert "the result of same has shape (3, 2), expected (2, 3)" in capsys.readouterr().out


def test_a_function_that_still_returns_none_is_waited_for(capsys: pytest.CaptureFixture) -> None:
    assert check_function(lambda x: None, (torch.ones(2),), torch.ones(2), "h", "double") is False
    assert capsys.readouterr().out.startswith("Waiting for an answer: what double returns is still None")


def test_a_tensor_of_another_dtype_with_the_right_values_is_correct(capsys: pytest.CaptureFixture) -> None:
    assert check_tensor(torch.ones(2, 2, dtype=torch.long), torch.ones(2, 2), "h") is True
    assert check_tensor(torch.ones(2, 2) * 2, torch.ones(2, 2), "h") is False
    assert "right shape (2, 2) but different values" in capsys.readouterr().out


def test_shapes_with_fractions_are_refused_not_rounded(capsys: pytest.CaptureFixture) -> None:
    expected = [(96, 96, 128), (48, 48, 256)]
    assert not check_shape_list([(96.5, 96, 128), (48, 48, 256)], expected, "h", "(H, W, C)")
    assert "96.5: it should be a whole number" in capsys.readouterr().out
    assert check_shape_list([torch.tensor([96, 96, 128]), (48.0, 48, np.int64(256))], expected, "h", "(H, W, C)")
    assert not check_shape_list([(96, 128, 96), (48, 48, 256)], expected, "h", "(H, W, C)")
    assert "stage 1: (96, 128, 96) has the right numbers in another order" in capsys.readouterr().out


# ------------------------------------------------------------------ every check, against every kind of bad answer


def discover_checks() -> dict[str, Callable]:
    """Every ``check_*`` function of swin_edu.exercises and its modules, found by walking the package."""
    modules = [exercises] + [
        importlib.import_module(f"swin_edu.exercises.{info.name}") for info in pkgutil.iter_modules(exercises.__path__)
    ]
    return {
        f"{module.__name__.removeprefix('swin_edu.')}.{name}": function
        for module in modules
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("check_") and function.__module__ == module.__name__
    }


def two_stage_model_and_images() -> dict:
    """A small two-stage Swin (32 x 32, one channel, windows of 4) and two images for it."""
    model = SwinTransformer(img_size=32, in_chans=1, embed_dim=12, depths=(2, 2), num_heads=(3, 6), window_size=4)
    return {"model": model.eval(), "images": torch.randn(2, 1, 32, 32)}


# the arguments that are not the student's answer, for checks that need them (the rest have defaults)
SETTINGS: dict[str, Callable[[], dict]] = {
    "exercises.check_number": lambda: {"expected": 3136, "hint": "h"},
    "exercises.check_tensor": lambda: {"expected": torch.ones(2, 3), "hint": "h"},
    "exercises.check_function": lambda: {
        "arguments": (torch.ones(2, 3),), "expected": torch.ones(2, 3), "hint": "h", "what": "f"
    },
    "exercises.check_shape_list": lambda: {
        "expected": [(56, 56, 96), (28, 28, 192)], "hint": "h", "layout": "(H, W, C)"
    },
    "exercises.check_choice": lambda: {"right": "a", "options": {"a": "", "b": "is not it."}, "hint": "h"},
    "exercises.shift.check_masked_pairs": lambda: {"window": 1},
    "exercises.attention_maps.check_distance_growth": two_stage_model_and_images,
}  # fmt: skip
CHECKS = discover_checks()


def test_settings_name_only_checks_that_exist() -> None:
    stale = sorted(set(SETTINGS) - set(CHECKS))
    assert not stale, f"SETTINGS names checks that are gone: {stale}"


def raises(*args):
    raise ValueError("my code is not finished")


nan = float("nan")
BAD_ANSWERS = {
    "None": None,
    "nan": nan,
    "inf": float("inf"),
    "-inf": float("-inf"),
    "numpy nan": np.float64(nan),
    "0-d tensor nan": torch.tensor(nan),
    "0-d array nan": np.array(nan),
    "string": "3136",
    "list": [1, 2],
    "dict": {},
    "bool": True,
    "complex": 1j,
    "huge int": 10**400,
    "wrong-shape tensor": torch.zeros(3, 5),
    "tensor of ints": torch.ones(2, 2, dtype=torch.long),
    "one-element vector": torch.tensor([1.0]),
    "meta tensor": torch.zeros(2, 3, device="meta"),
    "function that raises": raises,
    "function returning None": lambda *args: None,
    "function returning nan": lambda *args: nan,
    "function returning a string": lambda *args: "done",
    "function returning nan like its input": lambda first, *rest: (
        torch.full_like(first, nan, dtype=torch.float32) if isinstance(first, torch.Tensor) else nan
    ),
    "function returning a tensor of ints": lambda *args: torch.ones(2, 2, dtype=torch.long),
    "function returning a nan pair": lambda *args: (nan, nan),
}


def test_every_check_is_covered() -> None:
    """Each check's required arguments are its answers or are given in SETTINGS: a new check cannot hide."""
    assert len(CHECKS) >= 30, sorted(CHECKS)
    for name, check in CHECKS.items():
        required = [p.name for p in inspect.signature(check).parameters.values() if p.default is p.empty]
        answers = [p for p in required if p not in SETTINGS.get(name, dict)()]
        assert 1 <= len(answers) <= 2, f"{name}: tell this test how to call it (answers {answers}, of {required})"


@pytest.mark.parametrize("bad", BAD_ANSWERS)
@pytest.mark.parametrize("name", CHECKS)
def test_no_check_crashes_or_accepts_a_wrong_answer(name: str, bad: str, capsys: pytest.CaptureFixture) -> None:
    check, settings = CHECKS[name], SETTINGS.get(name, dict)()
    required = [p.name for p in inspect.signature(check).parameters.values() if p.default is p.empty]
    answers = {p: BAD_ANSWERS[bad] for p in required if p not in settings}
    assert check(**answers, **settings) is False
    out = capsys.readouterr().out
    if bad == "None" or out.startswith("Waiting") and bad == "function returning None":
        assert out.startswith("Waiting for an answer: ") and "Correct" not in out, out  # not answered yet
    else:
        assert out.startswith("Not yet: ") and "Hint: " in out and "Correct" not in out, out


def test_every_check_of_a_topic_module_is_an_exercise_check() -> None:
    """Topic checks count their tries and wait for blank answers; only the building blocks of __init__ are bare."""
    for name, check in CHECKS.items():
        if name.count(".") == 2:
            assert getattr(check, "is_exercise_check", False), f"{name} lacks @exercise_check"


@pytest.mark.parametrize("name", [name for name in CHECKS if name.count(".") == 2])
def test_every_topic_check_gives_a_stronger_hint_on_a_second_wrong_try(name: str, capsys) -> None:
    """notebooks/README.md: at least two hints, a nudge first; the second wrong try of an exercise gets the next."""
    check, settings = CHECKS[name], SETTINGS.get(name, dict)()
    required = [p.name for p in inspect.signature(check).parameters.values() if p.default is p.empty]
    answers = {p: "not an answer" for p in required if p not in settings}
    exercises.forget_tries()
    verdicts = []
    for _ in range(2):
        check(**answers, **settings)
        verdicts.append(capsys.readouterr().out)
    assert " Hint: " in verdicts[0] and " Stronger hint: " in verdicts[1], f"{name}: {verdicts}"


def test_checks_leave_the_global_random_state_alone() -> None:
    """A check that builds a model or random inputs uses its own generator: the student's random state stays."""
    for name, check in CHECKS.items():
        settings = SETTINGS.get(name, dict)()
        required = [p.name for p in inspect.signature(check).parameters.values() if p.default is p.empty]
        state = torch.random.get_rng_state()
        with torch.random.fork_rng():  # the walk itself must not disturb the next test either
            torch.random.set_rng_state(state)
            for answer in (0, torch.zeros(2, 3), lambda *args: torch.zeros(1)):
                check(**{p: answer for p in required if p not in settings}, **settings)
            assert torch.equal(torch.random.get_rng_state(), state), f"{name} changed the global random state"


# ------------------------------------------------------------------ verdicts: hints that grow, grading, choices


@exercises.exercise_check
def check_count_of_pairs(answer: object, window: int = 1) -> bool:
    hints = ["count the tokens of each region.", "pairs in different regions, both orders.", "2 * 35 * 14 = 980."]
    return exercises.check_number(answer, 980, hints, what="the count", mistakes={490: "each pair counted once."})


def test_hints_grow_stronger_with_each_wrong_try_of_the_same_exercise(capsys: pytest.CaptureFixture) -> None:
    verdicts = []
    for answer in (None, 7, 7, 7, 7):
        assert check_count_of_pairs(answer) is False
        verdicts.append(capsys.readouterr().out.strip())
    assert verdicts[0].startswith("Waiting for an answer: ")  # not a try
    assert verdicts[1].endswith("Hint: count the tokens of each region.")
    assert verdicts[2].endswith("Stronger hint: pairs in different regions, both orders.")
    assert verdicts[3].endswith("The way there: 2 * 35 * 14 = 980.")
    assert verdicts[4] == verdicts[3]
    check_count_of_pairs(7, window=2)  # another exercise of the same check starts with the nudge
    assert capsys.readouterr().out.strip().endswith("Hint: count the tokens of each region.")


def test_a_known_wrong_answer_names_the_mistake(capsys: pytest.CaptureFixture) -> None:
    assert check_count_of_pairs(490) is False
    assert "the count is 490: each pair counted once." in capsys.readouterr().out
    assert check_count_of_pairs(2.5) is False
    assert "a count is a whole number" in capsys.readouterr().out
    assert check_count_of_pairs(980.0) is True


def test_grade_is_silent_does_not_count_a_try_and_raises_when_wrong(capsys: pytest.CaptureFixture) -> None:
    exercises.grade(check_count_of_pairs, 980)
    for blank_or_wrong in (None, 7):
        with pytest.raises(AssertionError, match="check_count_of_pairs: not answered correctly yet"):
            exercises.grade(check_count_of_pairs, blank_or_wrong)
    assert capsys.readouterr().out == ""
    check_count_of_pairs(7)  # the student's first wrong try still gets the nudge
    assert capsys.readouterr().out.strip().endswith("Hint: count the tokens of each region.")


@pytest.mark.parametrize(
    "answer, says",
    [
        ("b", 'Not yet: "b" rolls the wrong way.'),
        ("(b)", 'Not yet: "b" rolls the wrong way.'),  # the brackets of "(b)" in the question are forgiven
        (" A ", "Correct: the roll moves the top-left corner to the bottom right."),
        ("d", 'Not yet: "d" is not one of the choices "a", "b", "c".'),
        (2, "should be one letter"),
        (None, "Waiting for an answer"),
    ],
)
def test_a_choice_gets_the_diagnosis_of_the_option_chosen(answer, says, capsys: pytest.CaptureFixture) -> None:
    options = {"a": "", "b": "rolls the wrong way.", "c": "rolls only the rows."}
    praise = "the roll moves the top-left corner to the bottom right."
    correct = exercises.check_choice(answer, "a", options, "h", praise=praise)
    assert correct is (says.startswith("Correct"))
    assert says in capsys.readouterr().out


def test_an_answer_equal_to_a_setting_is_still_the_same_exercise(capsys: pytest.CaptureFixture) -> None:
    """Small ints are one object in CPython: an answer of 1 must not hide the setting window=1 (R3's case)."""
    for answer in (7, 1):  # the second answer is the same object as the setting window=1
        check_count_of_pairs(answer, window=1)
    assert " Stronger hint: " in capsys.readouterr().out.splitlines()[-1]
    check_count_of_pairs(answer=5, window=1)  # the answer by keyword: still the same exercise
    assert " The way there: " in capsys.readouterr().out
