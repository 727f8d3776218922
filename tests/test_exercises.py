"""The exercise checks: a right answer is called correct in any form, a wrong or blank one gets a hint, never a crash.

Every check of swin_edu.exercises is found by walking the package and tried against every kind of bad answer.
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
from einops import rearrange

from swin_edu import exercises
from swin_edu.exercises import blocks, patches, position, shift, windows
from swin_edu.model import SwinTransformer


def partition_right(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    return rearrange(images, "b c (h p1) (w p2) -> b h w (c p1 p2)", p1=patch_size, p2=patch_size)


def partition_wrong_order(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    return rearrange(images, "b c (h p1) (w p2) -> b h w (p1 p2 c)", p1=patch_size, p2=patch_size)


def reverse_right(windows_: torch.Tensor, window_size: int, height: int, width: int) -> torch.Tensor:
    return rearrange(
        windows_, "(b nh nw) wh ww c -> b (nh wh) (nw ww) c", nh=height // window_size, nw=width // window_size
    )


def reverse_columns_first(windows_: torch.Tensor, window_size: int, height: int, width: int) -> torch.Tensor:
    return rearrange(
        windows_, "(b nw nh) wh ww c -> b (nh wh) (nw ww) c", nh=height // window_size, nw=width // window_size
    )


def failing(*args):
    raise RuntimeError("boom")


# (check, right answer, wrong answer) with the other arguments bound
CASES = {
    "num_tokens": (patches.check_num_tokens, 3136, 56),
    "num_tokens_vit": (lambda a: patches.check_num_tokens(a, img_size=224, patch_size=16), 196, 3136),
    "patch_length": (patches.check_patch_length, 48, 16),
    "embedding_parameters": (patches.check_embedding_parameters, 4704, 4608),
    "patch_partition": (patches.check_patch_partition, partition_right, partition_wrong_order),
    "num_windows": (lambda a: windows.check_num_windows(a, 14, 14, 7), 4, 2),
    "window_reverse": (windows.check_window_reverse, reverse_right, reverse_columns_first),
    "cost_ratio": (windows.check_cost_ratio, 13.81, 64.0),
    "cost_growth_msa": (lambda a: windows.check_cost_growth(a, "msa"), 15.31, 4),
    "cost_growth_wmsa": (lambda a: windows.check_cost_growth(a, "wmsa"), 4, 16),
    "table_rows": (position.check_table_rows, 529, 144),
    "pair_index": (position.check_pair_index, 62, 38),
    "collision": (lambda a: position.check_collision(*a), ((0, 1), (1, -6)), ((0, 6), (1, -6))),
    "regions_in_window": (lambda a: shift.check_regions_in_window(a, window=3), 4, 9),
    "masked_pairs": (lambda a: shift.check_masked_pairs(a, window=1), 2 * 28 * 21, 28 * 21),
    "reverse_shift": (
        shift.check_reverse_shift,
        lambda x, s: torch.roll(x, (s, s), (1, 2)),
        lambda x, s: torch.roll(x, (-s, -s), (1, 2)),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_right_answer_is_correct(name: str, capsys: pytest.CaptureFixture) -> None:
    check, right, _ = CASES[name]
    assert check(right) is True
    assert capsys.readouterr().out.strip() == "Correct"


@pytest.mark.parametrize("name", CASES)
def test_wrong_answer_gets_a_hint(name: str, capsys: pytest.CaptureFixture) -> None:
    check, _, wrong = CASES[name]
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ") and "Hint: " in out


@pytest.mark.parametrize(
    "name", ["num_tokens", "patch_partition", "window_reverse", "table_rows", "masked_pairs", "reverse_shift"]
)
def test_a_blank_answer_is_waited_for_not_called_wrong(name: str, capsys: pytest.CaptureFixture) -> None:
    check = CASES[name][0]
    assert check(None) is False
    out = capsys.readouterr().out
    assert out.startswith("Waiting for an answer: ") and "still None" in out and "Not yet" not in out, out


def test_a_failing_function_is_reported_not_raised(capsys: pytest.CaptureFixture) -> None:
    assert windows.check_window_reverse(failing) is False
    assert "raised RuntimeError: boom" in capsys.readouterr().out


def test_a_wrong_shape_is_named(capsys: pytest.CaptureFixture) -> None:
    assert patches.check_patch_partition(lambda images, p: images) is False
    assert "should be (2, 4, 3, 48), got (2, 3, 16, 12)" in capsys.readouterr().out


def test_offsets_outside_a_window_are_refused(capsys: pytest.CaptureFixture) -> None:
    assert position.check_collision((0, 7), (1, 0)) is False
    assert "not an offset inside a window" in capsys.readouterr().out


def test_checks_leave_the_global_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    patches.check_patch_partition(partition_right)
    patches.check_num_tokens(3136)
    patches.check_patch_length(48)
    patches.check_embedding_parameters(4704)
    position.check_table_rows(529)
    windows.check_window_reverse(reverse_right)
    shift.check_reverse_shift(lambda x, s: torch.roll(x, (s, s), (1, 2)))
    assert torch.equal(torch.rand(3), expected)


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


def local_head_setting() -> dict:
    model = SwinTransformer(img_size=32, in_chans=1, embed_dim=12, depths=(2, 2), num_heads=(3, 6), window_size=4)
    return {"model": model.eval(), "images": torch.randn(2, 1, 32, 32), "stage": 0, "block": 0}


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
    "exercises.windows.check_cost_growth": lambda: {"attention": "msa"},
    "exercises.shift.check_regions_in_window": lambda: {"window": 3},
    "exercises.shift.check_masked_pairs": lambda: {"window": 1},
    "exercises.attention_maps.check_most_local_head": local_head_setting,
}  # fmt: skip
CHECKS = discover_checks()


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


NUMERIC = [name for name, (_, right, _) in CASES.items() if isinstance(right, (int, float))]
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
@pytest.mark.parametrize("name", NUMERIC)
def test_a_right_number_is_correct_in_every_form(name: str, form: str, capsys: pytest.CaptureFixture) -> None:
    check, right, _ = CASES[name]
    assert check(FORMS[form](right)) is True
    assert capsys.readouterr().out.strip() == "Correct"


@pytest.mark.parametrize(
    "offsets",
    [
        ((0, 1), (1, -6)),
        (torch.tensor([0, 1]), torch.tensor([1, -6])),
        (np.array([0, 1]), (np.int64(1), np.int64(-6))),
        ((0.0, 1.0), [1, -6]),
    ],
)
def test_a_right_pair_of_offsets_is_correct_in_every_form(offsets, capsys: pytest.CaptureFixture) -> None:
    assert position.check_collision(*offsets) is True
    assert capsys.readouterr().out.strip() == "Correct"


@pytest.mark.parametrize(
    "offsets, says",
    [(((0.5, 1), (1, -6)), "should be a whole number"), (((0, 1, 2), (1, -6)), "pair of integers")],
)
def test_offsets_that_are_not_integer_pairs_are_refused(offsets, says, capsys: pytest.CaptureFixture) -> None:
    assert position.check_collision(*offsets) is False
    assert says in capsys.readouterr().out


def test_shapes_with_fractions_are_refused_not_rounded(capsys: pytest.CaptureFixture) -> None:
    assert not blocks.check_stage_shapes_swin_b_384([(96.5, 96, 128), (48, 48, 256), (24, 24, 512), (12, 12, 1024)])
    assert "96.5: it should be a whole number" in capsys.readouterr().out
    right = [torch.tensor([96, 96, 128]), np.array([48, 48, 256]), (24.0, 24, 512), (12, 12, np.int64(1024))]
    assert blocks.check_stage_shapes_swin_b_384(right)


# ------------------------------------------------------------------ verdicts: hints that grow, grading, choices


@pytest.fixture(autouse=True)
def fresh_tries():
    exercises.forget_tries()
    yield
    exercises.forget_tries()


def test_every_check_of_a_topic_module_is_an_exercise_check() -> None:
    """Topic checks count their tries and wait for blank answers; only the building blocks of __init__ are bare."""
    for name, check in CHECKS.items():
        if name.count(".") == 2:
            assert getattr(check, "is_exercise_check", False), f"{name} lacks @exercise_check"


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
