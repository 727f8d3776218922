"""Checks for notebook 12: what a trained Swin attends to, and its learned relative position bias.

check_distance_growth           predict, then check: how the mean attention distance, in pixels, grows with depth
check_local_without_constraint  reason it out: why uniform attention looks nearer in a shifted block
check_zero_bias                 break it and watch: why zeroing a trained model's bias tables changes so little
"""

from __future__ import annotations

import copy

import torch

from swin_edu.analysis import mean_attention_distance
from swin_edu.exercises import check_choice, exercise_check
from swin_edu.model import SwinConfig, SwinTransformer


def uniform_attention(model: SwinTransformer) -> SwinTransformer:
    """A copy of ``model`` whose queries, keys and bias tables are zero: every score of a window is equal."""
    uniform = copy.deepcopy(model)
    with torch.no_grad():
        for layer in uniform.layers:
            for block in layer.blocks:
                channels = block.attn.qkv.in_features
                block.attn.qkv.weight[: 2 * channels] = 0  # the q and k rows of the qkv projection
                if block.attn.qkv.bias is not None:
                    block.attn.qkv.bias[: 2 * channels] = 0
                block.attn.relative_position_bias_table.zero_()
    return uniform


def distance_in_pixels(model: SwinTransformer, images: torch.Tensor, stage: int) -> float:
    """The mean attention distance of the first block of ``stage``, averaged over heads, in input pixels."""
    token_pixels = model.config.patch_size * 2**stage  # each patch merging doubles a token's side
    return float(mean_attention_distance(model, images, stage, 0).mean()) * token_pixels


def distance_outcome(ratio: float) -> str:
    """The option of :func:`check_distance_growth` that a growth factor from stage 1 to stage 2 falls in."""
    if ratio < 1.4:
        return "c"
    return "a" if ratio <= 2.8 else "d"


@exercise_check
def check_distance_growth(answer: object, model: SwinTransformer, images: torch.Tensor) -> bool:
    """From stage 1 to stage 2, how does the mean attention distance in pixels change (first block of each)?

    a: about doubles, as uniform attention does; b: about doubles, only because training made deeper heads look
    farther; c: stays about the same; d: grows about four times. The right option is measured on ``model``.
    """
    trained = [distance_in_pixels(model, images, stage) for stage in (0, 1)]
    uniform_model = uniform_attention(model)
    uniform = [distance_in_pixels(uniform_model, images, stage) for stage in (0, 1)]
    ratio, uniform_ratio = trained[1] / trained[0], uniform[1] / uniform[0]
    sides = [model.config.patch_size * 2**stage for stage in (0, 1)]
    measured = (
        f"measured, the trained model looks {trained[0]:.1f} px in stage 1 and {trained[1]:.1f} px in stage 2 "
        f"(x{ratio:.1f}); uniform attention {uniform[0]:.1f} -> {uniform[1]:.1f} px (x{uniform_ratio:.1f})"
    )
    why = {
        "a": "does not fit this model",
        "b": "does not fit: uniform attention, which learned nothing, grows just as much; the growth is built in",
        "c": (
            f"counts in tokens: the window is {model.config.window_size} x {model.config.window_size} tokens in "
            f"both stages, but a stage-2 token is {sides[1]} x {sides[1]} pixels, a stage-1 token {sides[0]} x "
            f"{sides[0]}"
        ),
        "d": (
            "confuses area with length: merging joins 2 x 2 tokens, so each side doubles; a distance is a length "
            "and doubles, the area grows four times"
        ),
    }
    right = distance_outcome(ratio)
    options = {letter: f"{reason}: {measured}." for letter, reason in why.items()}
    hints = [
        "what does patch merging do to the size of a token in pixels, and what does it leave the same?",
        f"a stage-1 token is {sides[0]} x {sides[0]} pixels, a stage-2 token {sides[1]} x {sides[1]}; both stages "
        "attend within windows of the same number of tokens. What would uniform attention, which learns nothing, "
        "measure in each stage?",
        f'{measured}: option "{right}".',
    ]
    praise = (
        f"{measured}. The window keeps its size in tokens while patch merging doubles a token's side, so even "
        "uniform attention, which learned nothing, reaches twice as far in pixels in stage 2: in this model the "
        "growth is built into patch merging, not learned."
    )
    return check_choice(answer, right, options, hints, praise=praise)


def uniform_distances(grid: int = 8, window: int = 4) -> tuple[float, float]:
    """Mean attention distance (tokens) of uniform attention in a W-MSA and an SW-MSA block of a ``grid`` map."""
    config = SwinConfig(
        img_size=grid, patch_size=1, in_chans=1, embed_dim=8, depths=(2,), num_heads=(1,), window_size=window
    )
    with torch.random.fork_rng(devices=[]):  # building initialises weights: leave the caller's random state
        model = uniform_attention(SwinTransformer(config).eval())
        images = torch.zeros(1, 1, grid, grid)
    return tuple(float(mean_attention_distance(model, images, 0, block)) for block in (0, 1))


@exercise_check
def check_local_without_constraint(answer: object) -> bool:
    """Why does uniform attention (no queries, keys or bias) look nearer in a shifted block than in a regular one?"""
    regular, shifted = uniform_distances()
    options = {
        "a": (
            "does not fit: the distances are measured where the tokens sit in the image (the roll is undone for "
            "measuring), and a shifted window that the mask leaves whole holds 4 x 4 neighbours like a regular one."
        ),
        "b": "does not fit: the uniform model's bias tables are zero, like its queries and keys; no score prefers "
        "any key.",
        "c": "does not fit: the uniform model learned nothing, and the untrained model measures the same distances.",
        "d": "",
    }
    hints = [
        "the uniform model gives every key it may see the same weight. So ask: which keys may a query of a shifted "
        "block see?",
        "in a shifted block, some windows hold tokens from different parts of the image. What keeps those apart, "
        "and how large are the groups a query may still attend to?",
        "the mask: it splits three of the four shifted windows into regions (4 x 2, 2 x 4 and 2 x 2 tokens), a "
        "query attends only within its region, and a region's keys are nearer than a whole window's: option \"d\".",
    ]
    praise = (
        f"uniform attention on an 8 x 8 map with M = 4 looks {regular:.2f} tokens in the W-MSA block and "
        f"{shifted:.2f} in the SW-MSA block: the mask cuts the shifted windows into smaller regions, so a head "
        "can look local without preferring any key."
    )
    return check_choice(answer, "d", options, hints, praise=praise)


@exercise_check
def check_zero_bias(answer: object) -> bool:
    """Why does zeroing every bias table of the trained model change its maps and accuracy so little?"""
    options = {
        "a": (
            "does not fit: the bias is added at every forward pass; section 2's inline softmax added it to the "
            "scores of a trained model in eval mode and matched swin_edu."
        ),
        "b": "",
        "c": (
            "does not fit: the mask acts only in shifted blocks, on pairs from different regions; stage 1's first "
            "block and both blocks of stage 2 have no mask, and they barely changed either."
        ),
        "d": "does not fit: nothing was trained after the tables were zeroed; the cell only evaluates.",
    }
    hints = [
        "a score is q·k/√d plus the bias. Compare the sizes of the two terms the cell printed.",
        "the softmax only cares about how much the scores differ between keys. Which term differs more from key "
        "to key, and what happens to a softmax when a much smaller term is removed?",
        "the spread of q·k/√d over a query's keys is several times the spread of the bias, so zeroing the bias "
        "moves each softmax little; the heads' concentration comes from q·k, from what the tokens contain: "
        'option "b".',
    ]
    praise = (
        "the bias is small next to the spread of q·k/√d, so removing it moves only a few percent of a query's "
        "attention (the cell printed it): this model's attention comes mostly from q·k, from what the tokens "
        "contain, not from the bias."
    )
    return check_choice(answer, "b", options, hints, praise=praise)
