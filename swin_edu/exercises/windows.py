"""Checks for notebooks 00 and 02: windows, what attention costs, and what a window lets a token see (section 3.2)."""

from __future__ import annotations

import torch

from swin_edu.complexity import msa_cost
from swin_edu.exercises import check_choice, check_number, exercise_check, named_mistakes
from swin_edu.windows import window_partition

# the four tokens of notebook 02's exercise: which one shares a window with the query (35, 13), the top-right
# corner of the window of rows 35-41, columns 7-13? (Not (20, 30): the notebook prints that token's window.)
CANDIDATE_TOKENS = {"a": (35, 14), "b": (34, 13), "c": (37, 15), "d": (41, 7)}


@exercise_check
def check_windows_in_stage(answer: object, image_size: int = 224, stride: int = 4, window_size: int = 7) -> bool:
    """How many M x M windows does the feature map of a stage at ``stride`` hold, for an image of ``image_size``?"""
    side = image_size // stride  # tokens along one side of the stage's map
    if side % window_size:
        raise ValueError(f"choose sizes whose map ({side} tokens a side) the window {window_size} divides")
    expected = window_partition(torch.zeros(1, side, side, 1), window_size).shape[0]
    per_side = side // window_size
    mistakes = named_mistakes(
        expected,
        [
            (per_side, f"that is the windows along one side of the map; there are {per_side} rows of them."),
            (side * side, f"that counts tokens; a window holds {window_size} x {window_size} of them."),
            (((image_size // 4) // window_size) ** 2, f"that is stage 1 (stride 4), not stride {stride}."),
            (((224 // stride) // window_size) ** 2, f"that is the count for a 224 x 224 image, not {image_size}."),
            ((image_size // window_size) ** 2, f"that cuts pixels into windows of {window_size}; a window is "
             f"{window_size} x {window_size} tokens, and a token here is {stride} x {stride} pixels."),
        ],
    )  # fmt: skip
    hints = [
        "first find how many tokens this stage's map has along one side; then count windows along that side.",
        f"at stride {stride} a token covers {stride} x {stride} pixels, so the map is {image_size} / {stride} tokens "
        f"a side. A window is {window_size} tokens a side, and the map is a square grid of windows.",
        f"{image_size} / {stride} = {side} tokens a side, {side} / {window_size} = {per_side} windows a side: "
        f"{per_side} x {per_side} = {expected} windows.",
    ]
    pixels = window_size * stride
    praise = (
        f"a {side} x {side} map holds {per_side} x {per_side} windows of {window_size * window_size} tokens, each "
        f"window {pixels} x {pixels} pixels of the image."
    )
    return check_number(answer, expected, hints, what="the number of windows", mistakes=mistakes, praise=praise)


@exercise_check
def check_global_growth(answer: object, side: int = 28, channels: int = 96) -> bool:
    """Why does one global attention layer cost between 4x and 16x more when the map side doubles?"""
    projections, attention = 4 * side**2 * channels**2, 2 * side**4 * channels  # the two terms of formula (1)
    growth = msa_cost(2 * side, 2 * side, channels) / msa_cost(side, side, channels)
    share = projections / (projections + attention)
    options = {
        "a": "cannot be: the measured multiply-adds equal formula (1), which has no softmax term, exactly.",
        "b": f"cannot be: a FLOP counter counts operations, without noise, and the measured {growth:.1f}x equals "
        "formula (1) exactly. Part of formula (1) is not quadratic.",
        "c": "",
        "d": "cannot be: both layers have 3 heads at both sizes, and splitting the C channels into heads does not "
        "change the multiply-adds: (hw)^2 C is the sum over the heads.",
    }
    hints = [
        "formula (1) has two terms. How does each grow when the side doubles (the tokens hw grow 4x)?",
        "4hwC^2 grows as hw: 4x. 2(hw)^2 C grows as (hw)^2: 16x. What share of the cost is each term at "
        f"{side} x {side} tokens?",
        f"at {side} x {side} tokens (C = {channels}) the projections are {share:.0%} of formula (1) and the "
        f"attention {1 - share:.0%}; the total grows {share:.2f} x 4 + {1 - share:.2f} x 16 = {growth:.1f}x: "
        "answer c.",
    ]
    praise = (
        f"at {side} x {side} tokens the attention term is already {1 - share:.0%} of the cost, and the bigger the "
        "map, the closer the growth comes to 16x. Window attention grows exactly 4x: both terms of formula (2) "
        "are linear in hw."
    )
    return check_choice(answer, "c", options, hints, praise=praise)


@exercise_check
def check_closed_windows(answer: object) -> bool:
    """Can a stack of window-attention blocks without shift or merging carry information across a window border?"""
    options = {
        "a": "",
        "b": "is how a stack of convolutions works, because a convolution's neighbourhoods overlap. These windows "
        "do not: every block mixes the same 49 tokens of a window, and only those.",
        "c": "cannot be: the MLP works on each token by itself (the same MLP, token by token). It mixes channels, "
        "never tokens.",
        "d": "cannot be: LayerNorm normalises each token over its own channels, never across tokens.",
    }
    hints = [
        "go through one block step by step (LayerNorm, window attention, MLP, the residual additions): which "
        "tokens does each step let a token read?",
        "only attention mixes tokens, and only the tokens of one window; LayerNorm, the MLP and the residual "
        "additions work token by token. Do the windows ever change from block to block?",
        "(0, 0) is in the window of columns 0-6, (0, 7) in the next one. No step reads across that border, in "
        "any block, so no number of blocks can: answer a.",
    ]
    praise = (
        "every step stays inside one window or inside one token, and the windows never move, so each window is a "
        "closed world. Swin opens it by shifting the windows in every second block (notebook 04) and by merging "
        "patches (notebook 05); notebook 08 measures how far a token then sees."
    )
    return check_choice(answer, "a", options, hints, praise=praise)


@exercise_check
def check_window_order(answer: object) -> bool:
    """What happens to a picture cut into windows columns first, (b nw nh), and put back by ``window_reverse``?"""
    options = {
        "a": "does not happen: look inside one window, it is upright. The wrong pattern reorders whole windows "
        "(nh and nw), never the rows and columns inside one (wh and ww).",
        "b": "",
        "c": "does not happen: einops only reorders, the same way every time. Run the cell again: the picture is "
        "the same, and the windows follow a rule.",
        "d": "does not happen: window_reverse cannot know the order; it reads any batch of windows as (b nh nw), "
        "and the cell printed that the picture is not the photo.",
    }
    hints = [
        "find one window you recognise in the scrambled picture: where was it in the photo, and where is it now?",
        "the wrong pattern listed the windows column by column, and window_reverse placed them row by row. "
        "Where does the second window of the list, the one below the first, end up?",
        "item i of the wrong list is the window at row i % nh, column i // nh; window_reverse puts item i at "
        "row i // nw, column i % nw. On a square grid of windows that is row c, column r: answer b.",
    ]
    praise = (
        "whole windows land mirrored across the diagonal, each upright inside. The order of the batch is a "
        "contract between partition and reverse (and the masks of notebook 04): break it on one side and every "
        "shape is still right, so nothing warns you but the picture."
    )
    return check_choice(answer, "b", options, hints, praise=praise)


@exercise_check
def check_same_window(
    answer: object, query: tuple[int, int] = (35, 13), window_size: int = 7, height: int = 56, width: int = 56
) -> bool:
    """Which of ``CANDIDATE_TOKENS`` can change the W-MSA output at the query token of an H x W map?"""
    numbers = torch.arange(height * width).reshape(1, height, width, 1)  # every token labelled by its number
    windows = window_partition(numbers, window_size)[..., 0].flatten(1)  # (nW, M*M): the token numbers of a window
    window_of = {int(token): index for index, window in enumerate(windows) for token in window}

    def window(token: tuple[int, int]) -> int:
        return window_of[token[0] * width + token[1]]

    def extent(token: tuple[int, int]) -> str:
        top, left = (token[0] // window_size) * window_size, (token[1] // window_size) * window_size
        return f"rows {top}-{top + window_size - 1}, columns {left}-{left + window_size - 1}"

    same = [letter for letter, token in CANDIDATE_TOKENS.items() if window(token) == window(query)]
    if len(same) != 1:
        raise ValueError(f"exactly one candidate token must share the window of {query}, got {same}")
    options = {
        letter: ""
        if letter in same
        else f"{token} lies in the window of {extent(token)}, the query in the window of "
        f"{extent(query)}: W-MSA never lets them meet, however close they are."
        for letter, token in CANDIDATE_TOKENS.items()
    }
    hints = [
        "in W-MSA a token attends only to the tokens of its own window. Which window is each token in?",
        f"the windows are {window_size} x {window_size} tokens, starting at row 0 and column 0: token (r, c) is in "
        f"window row r // {window_size}, window column c // {window_size}. Distance does not matter.",
        f"the query {query} is in the window of {extent(query)}; only {CANDIDATE_TOKENS[same[0]]} is too: answer "
        f"{same[0]}.",
    ]
    distances = {letter: abs(r - query[0]) + abs(c - query[1]) for letter, (r, c) in CANDIDATE_TOKENS.items()}
    farthest = " the farthest of the four, yet" if distances[same[0]] == max(distances.values()) else ""
    praise = (
        f"{CANDIDATE_TOKENS[same[0]]} is{farthest} the only one in the query's window ({extent(query)}). In W-MSA "
        "the window border decides, not the distance: the query's neighbours across a border are invisible to it "
        "until the windows shift (notebook 04)."
    )
    return check_choice(answer, same[0], options, hints, praise=praise)


@exercise_check
def check_attention_scale(answer: object) -> bool:
    """Why does softmax(q k^T) without the 1/sqrt(d) become nearly one-hot as the head width d grows?"""
    options = {
        "a": "",
        "b": "cannot be: softmax does not change when the same number is added to every logit, but it does when "
        "they are multiplied: the printed largest probabilities differ for the very same q and k.",
        "c": "cannot be: the output is a weighted mean of the values with weights that sum to 1, so it cannot grow; "
        "what changes is how the weight is shared among the keys.",
        "d": "cannot be: there are 49 keys (one window) for every d; d is the length of each query and key vector.",
    }
    hints = [
        "look at the printed spread (standard deviation) of the logits without the scale: how does it change each "
        "time d grows 4x?",
        "q . k is a sum of d products of independent numbers of variance 1, so its variance is d. What does the "
        "softmax's exponential do to logits spread over tens of units?",
        "the spread doubles each time d grows 4x: it is sqrt(d). Exponentials of logits that far apart give "
        "nearly all the weight to the largest one. Dividing by sqrt(d) keeps the spread at 1 for any d: answer a.",
    ]
    praise = (
        "a dot product of d terms spreads as sqrt(d), so without the scale a wide head starts out nearly one-hot, "
        "where the softmax's gradients vanish (Vaswani et al. 2017, section 3.2.1 and its footnote 4). Swin scales "
        "by head_dim ** -0.5 as well (qk_scale in the official WindowAttention)."
    )
    return check_choice(answer, "a", options, hints, praise=praise)
