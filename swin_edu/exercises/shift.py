"""Checks for notebook 04: the cyclic shift, its regions and the attention mask (paper Figure 4)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from swin_edu.exercises import (
    check_choice,
    check_number,
    exercise_check,
    report,
    run_answer,
    tensor_form_problem,
    waiting,
)
from swin_edu.windows import cyclic_shift, region_labels, reverse_cyclic_shift, shifted_window_mask, window_partition


def window_labels(window: int, height: int, width: int, window_size: int, shift_size: int) -> torch.Tensor:
    """The region label of each token of window ``window`` of the rolled map, row by row: ``(M*M,)`` ints."""
    labels = region_labels(height, width, window_size, shift_size)[None, :, :, None]  # (1, H, W, 1)
    return window_partition(labels, window_size)[window].flatten().int()  # (M*M,)


def _regions(count: int) -> str:
    """``count`` regions, in words: "1 region", "4 regions"."""
    return f"{count} region" + "s" * (count != 1)


@exercise_check
def check_blocked_pairs(
    answer: object, window: int = 3, height: int = 4, width: int = 4, window_size: int = 2, shift_size: int = 1
) -> bool:
    """Which (query, key) pairs of window ``window`` does the shift mask block?

    ``answer``: an ``(M*M, M*M)`` matrix (nested lists, numpy or a tensor), query rows and key columns numbered
    row by row inside the window, with 1 (or True, or -100) where the pair is blocked and 0 where it may attend.
    """
    blocked = shifted_window_mask(height, width, window_size, shift_size) != 0  # (nW, N, N)
    expected = blocked[window]
    tokens = window_size * window_size
    labels = window_labels(window, height, width, window_size, shift_size)
    hint = [
        "the mask is built on the rolled map, not on the original one: after the roll, which regions does "
        f"window {window} hold?",
        "number the window's tokens row by row (token = row * M + col inside the window) and read their region "
        "labels (region_labels, or the explorer's left panel); a pair is blocked exactly when its two labels differ.",
        f"window {window}'s tokens have the labels {labels.tolist()}: blocked = labels[:, None] != labels[None, :], "
        f"that is {expected.int().tolist()}.",
    ]
    what = f"the matrix of window {window}"
    form = (
        f"a {tokens} x {tokens} matrix of 0 and 1 (window {window} has M * M = {tokens} tokens: "
        "a row per query, a column per key)"
    )
    if isinstance(answer, torch.Tensor):
        given = answer.detach()
    else:
        try:
            given = torch.as_tensor(answer)
        except (TypeError, ValueError, RuntimeError):  # strings, ragged lists, functions, huge numbers, ...
            return report(False, f"{what} should be {form}, got {type(answer).__name__}.", hint)
    if given.dtype == torch.bool:
        given = given.int()
    problem = tensor_form_problem(given, (tokens, tokens), what)
    if problem is not None:
        return report(False, f"{problem} Expected {form}.", hint)
    given = given.cpu()
    mine = given != 0  # 1, True or -100: blocked
    if torch.equal(mine, expected):
        praise = (
            f"window {window} holds the regions {sorted(set(labels.tolist()))} of the rolled map; a pair is blocked "
            "exactly when its two tokens came from different regions."
        )
        return report(True, praise=praise)
    if not mine.any():
        problem = (
            f"nothing blocked: the mask lives in the rolled map, where window {window} holds tokens of "
            f"{labels.unique().numel()} regions, pieces of the map that were apart before the roll."
        )
    elif mine.diagonal().any():
        problem = "a token blocked from itself: a token is always in its own region, so the diagonal is never masked."
    elif not torch.equal(mine, mine.T):
        problem = "not symmetric: 'in different regions' goes both ways, so (i, j) and (j, i) are blocked together."
    elif any(torch.equal(mine, other) for other in blocked):
        other = next(index for index, other in enumerate(blocked) if torch.equal(mine, other))
        theirs, ours = window_labels(other, height, width, window_size, shift_size).unique().numel(), labels.unique()
        problem = (
            f"that is the mask of window {other}, which holds {_regions(theirs)}. Windows are numbered row by row "
            f"over the rolled map, so window {window} is the one at row {window // (width // window_size)}, column "
            f"{window % (width // window_size)}, and it holds {_regions(ours.numel())}."
        )
    else:
        wrong = (mine != expected).nonzero().tolist()
        problem = (
            f"{len(wrong)} of the {tokens * tokens} entries are not right, among them (query, key) = {tuple(wrong[0])}."
        )
    return report(False, problem, hint)


@exercise_check
def check_masked_pairs(
    answer: object, window: int = 1, height: int = 14, width: int = 14, window_size: int = 7, shift_size: int = 3
) -> bool:
    """How many (query, key) pairs of window ``window`` get -100 in the attention mask?"""
    mask = shifted_window_mask(height, width, window_size, shift_size)  # (nW, N, N)
    expected = int((mask[window] != 0).sum())
    tokens = window_size * window_size
    sizes = torch.unique(window_labels(window, height, width, window_size, shift_size), return_counts=True)[1]
    same = int((sizes * sizes).sum())
    hint = [
        f"which regions of the rolled map does window {window} hold, and how many of its {tokens} tokens are in each?",
        "a pair (query, key) is masked when its two tokens lie in different regions; count ordered pairs: "
        "(i, j) and (j, i) are two entries of the mask.",
        f"the regions in window {window} hold {' and '.join(map(str, sizes.tolist()))} tokens: of the {tokens} x "
        f"{tokens} = {tokens * tokens} pairs, {same} stay in one region, and {tokens * tokens} - {same} = {expected} "
        "are masked.",
    ]
    mistakes = {
        expected / 2: "each pair counted once: the mask has an entry for (i, j) and one for (j, i), both -100.",
        tokens * tokens - expected: "that counts the pairs that may attend (same region), not the masked ones.",
        tokens * tokens: "every pair of the window: pairs within one region are not masked.",
    }
    default = window_size // 2  # the shift every notebook uses
    if default != shift_size:
        other = int((shifted_window_mask(height, width, window_size, default)[window] != 0).sum())
        mistakes.setdefault(other, f"that is the count for s = {default}; this exercise shifts by s = {shift_size}.")
    mistakes.pop(expected, None)  # a mistake never shadows the right answer
    return check_number(answer, expected, hint, what="the number of masked pairs", mistakes=mistakes)


@exercise_check
def check_mask_break(answer: object) -> bool:
    """Multiple choice (notebook 04, exercise 3): without the mask, why do exactly the tokens of window E keep their
    outputs?"""
    options = {
        "a": "says the far-away tokens barely matter, but nothing here decays with distance: tokens from the "
        "opposite edge got large weights in the other windows. Look at which windows changed, not how far apart.",
        "b": "credits the relative position bias, but the bias only sees offsets inside the rolled window, where the "
        "tokens that wrapped around sit right next to the others: it cannot tell them apart. Only the mask can.",
        "c": "credits the roll back, but it moves every token, those of E too: it changes where outputs are written, "
        "not what they are.",
        "d": "",
    }
    hint = [
        "in the rolled map, in which regular window do the tokens of E sit, and what else is in that window?",
        "after the roll, E fills regular window 0 all alone: print shifted_window_mask(14, 14, 7, 3)[0].unique().",
        "window 0 holds one region, so its mask is all zeros; adding zeros or nothing gives the same logits. "
        "Windows 1-3 hold pieces that wrapped around; only there does the mask change anything: choose d.",
    ]
    praise = (
        "E fills rolled window 0 alone, one region, so its mask is all zeros and removing it changes nothing there; "
        "in windows 1-3 the mask is what keeps the pieces that wrapped around apart."
    )
    return check_choice(answer, "d", options, hint, praise=praise)


def _numbered_map() -> torch.Tensor:
    """A ``(2, 14, 14, 5)`` map of all-different numbers: every wrong roll gives another map (5 channels, since a roll
    by s = 3 over 3 channels would change nothing)."""
    return torch.arange(2 * 14 * 14 * 5, dtype=torch.float32).reshape(2, 14, 14, 5)


def _roll_mistakes(shift: int) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The usual wrong ways to undo ``cyclic_shift``, by the mistake they make."""
    return {
        "rolls the same way as cyclic_shift (by -s): the map moves another s up and left instead of back.": (
            lambda x: torch.roll(x, (-shift, -shift), (1, 2))
        ),
        "rolls dims (0, 1), the batch and the rows; a (B, H, W, C) map keeps its rows and columns at dims 1 and 2.": (
            lambda x: torch.roll(x, (shift, shift), (0, 1))
        ),
        "rolls dims (2, 3), the columns and the channels; a (B, H, W, C) map keeps its rows and columns at dims 1 "
        "and 2.": lambda x: torch.roll(x, (shift, shift), (2, 3)),
        "rolls without dims: torch.roll then flattens the tensor and rolls it as one long vector, so every number "
        "moves s places in memory order instead of s rows and s columns. Name the dims.": (
            lambda x: torch.roll(x, shift)
        ),
        "rolls the rows back but the columns further (shifts (s, -s)): cyclic_shift rolled both by -s.": (
            lambda x: torch.roll(x, (shift, -shift), (1, 2))
        ),
        "rolls the columns back but the rows further (shifts (-s, s)): cyclic_shift rolled both by -s.": (
            lambda x: torch.roll(x, (-shift, shift), (1, 2))
        ),
        "rolls only the rows (dim 1): the columns are still shifted.": lambda x: torch.roll(x, shift, 1),
        "rolls only the columns (dim 2): the rows are still shifted.": lambda x: torch.roll(x, shift, 2),
        "returns the map as it came: it is still shifted.": lambda x: x,
    }


@exercise_check
def check_reverse_shift(unshift: object) -> bool:
    """Check ``unshift(x (B, H, W, C), s) -> (B, H, W, C)``: it must undo ``cyclic_shift(x, s)``."""
    shift = 3
    x = _numbered_map()
    shifted = cyclic_shift(x, shift)
    expected = reverse_cyclic_shift(shifted, shift)  # == x
    hint = [
        "undo exactly what cyclic_shift did: which way did it roll the map, and along which dims?",
        "cyclic_shift(x, s) is torch.roll(x, shifts=(-s, -s), dims=(1, 2)): up and left, over the rows (dim 1) "
        "and columns (dim 2) of (B, H, W, C).",
        "roll back the other way over the same dims: torch.roll(x, shifts=(s, s), dims=(1, 2)).",
    ]
    result, problem = run_answer(unshift, (shifted.clone(), shift), "unshift")
    if problem is not None:
        return report(False, problem, hint)
    if result is None:
        return waiting("what unshift returns")
    problem = tensor_form_problem(result, tuple(expected.shape), "the result of unshift")
    if problem is not None:
        return report(False, problem, hint)
    result = result.detach().cpu().float()
    if torch.equal(result, expected):
        return report(True, praise="down and right by s, over the rows and columns: the map is back where it was.")
    for mistake, wrong in _roll_mistakes(shift).items():
        if torch.equal(result, wrong(shifted)):
            return report(False, f"unshift {mistake}", hint)
    return report(False, "the result of unshift has the right shape but is not the map before the shift.", hint)
