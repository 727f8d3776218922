"""The exercise checks: a right answer is called correct, a wrong or blank one gets a hint."""

from __future__ import annotations

import pytest
import torch
from einops import rearrange

from swin_edu.exercises import patches, position, shift, windows


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
    "reverse_shift": (shift.check_reverse_shift, lambda x, s: torch.roll(x, (s, s), (1, 2)), lambda x, s: torch.roll(x, (-s, -s), (1, 2))),
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
def test_blank_answer_gets_a_hint(name: str, capsys: pytest.CaptureFixture) -> None:
    check = CASES[name][0]
    assert check(None) is False
    out = capsys.readouterr().out
    assert "still None" in out and "Hint: " in out


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
