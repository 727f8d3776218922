"""Checks for notebooks 00 and 01: how an image becomes tokens (paper section 3.1)."""

from __future__ import annotations

import math

import torch

from swin_edu.exercises import (
    check_choice,
    check_number,
    exercise_check,
    named_mistakes,
)
from swin_edu.patches import PatchEmbed


def token_grid(img_size: int, patch_size: int, in_chans: int = 3, embed_dim: int = 1) -> tuple[int, int]:
    """The (rows, columns) of tokens that ``PatchEmbed`` makes of an ``img_size`` x ``img_size`` image."""
    with torch.random.fork_rng(), torch.no_grad():  # building a layer must not move the student's random state
        embed = PatchEmbed(patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim)
        tokens = embed(torch.zeros(1, in_chans, img_size, img_size))  # (1, H/P, W/P, C)
    return tokens.shape[1], tokens.shape[2]


@exercise_check
def check_num_tokens(answer: object, img_size: int = 224, patch_size: int = 4) -> bool:
    """How many tokens (patches) does an ``img_size`` x ``img_size`` image give with P x P patches?"""
    rows, columns = token_grid(img_size, patch_size)
    expected = rows * columns
    padded = -(-rows // 7) * 7  # the side the window explorer pads the map to, for 7 x 7 windows
    these = f"these are {patch_size} x {patch_size}"
    mistakes = named_mistakes(
        expected,
        [
            (rows, f"that is the number of patches along one side; the grid has {rows} rows of them."),
            (expected + 1, f"that adds ViT's class token; the question counts patches: {rows} x {columns} of them."),
            (padded**2, f"that is the {padded} x {padded} map the window explorer pads for Swin's 7 x 7 windows; "
             f"ViT has no windows and pads nothing: count the {rows} x {columns} patches."),
            ((img_size // 4) ** 2, f"that is the count for Swin's 4 x 4 patches; {these}."),
            ((img_size // 16) ** 2, f"that is the count for ViT's 16 x 16 patches; {these}."),
            ((224 // patch_size) ** 2, f"that is the count for a 224 x 224 image, not {img_size} x {img_size}."),
            (img_size**2, f"that counts pixels; a token is a whole {patch_size} x {patch_size} patch of pixels."),
            (3 * img_size**2, "that counts every number of the image (pixels x 3 colours); a token is a whole patch."),
            (3 * patch_size**2, "that is the length of one patch (the numbers in it), not the number of patches."),
        ],
    )  # fmt: skip
    hints = [
        "a token is one patch. How many patches fit along one side of the image?",
        "divide the image side by the patch side to count the patches along one side; the image is a square grid "
        "of patches, so count the rows too.",
        f"{img_size} / {patch_size} = {rows} patches a side, so {rows} x {columns} = {expected} tokens.",
    ]
    praise = f"a {rows} x {columns} grid of {patch_size} x {patch_size}-pixel patches, {expected} tokens"
    if img_size != 224:
        praise += f": {expected / (224 // patch_size) ** 2:.1f} times as many as at 224 x 224"
    return check_number(answer, expected, hints, what="the number of tokens", mistakes=mistakes, praise=praise + ".")


@exercise_check
def check_token_grid(answer: object, img_size: int = 230, patch_size: int = 4) -> bool:
    """How many tokens along one side does ``PatchEmbed`` make of an image whose side P does not divide?"""
    rows, _ = token_grid(img_size, patch_size)
    left_over = img_size - rows * patch_size
    mistakes = named_mistakes(
        rows,
        [
            (
                img_size / patch_size,
                "there is no half a token. What does the kernel do with pixels that cannot fill a whole patch?",
            ),
            (
                -(-img_size // patch_size),
                f"that pads the image to {-(-img_size // patch_size) * patch_size} pixels first; PatchEmbed is a "
                "convolution with stride P and no padding, so it never reads past the border.",
            ),
            (rows * rows, f"that is the whole grid ({rows} x {rows}); the question asks for one side."),
            (rows - 1, f"one patch too few: {rows} whole patches of {patch_size} fit in {img_size} pixels."),
        ],
    )  # fmt: skip
    hints = [
        f"does {patch_size} divide {img_size}? A convolution slides its {patch_size} x {patch_size} kernel in steps "
        f"of {patch_size} and only where the whole kernel lies on the image.",
        f"count the whole {patch_size}-pixel patches that fit in {img_size} pixels; pixels that cannot fill a "
        "patch are not read.",
        f"{img_size} // {patch_size} = {rows}: {rows} whole patches use {rows * patch_size} pixels, and the last "
        f"{left_over} pixel rows (and columns) are never read.",
    ]
    praise = (
        f"{rows} whole patches ({rows * patch_size} pixels) a side; the last {left_over} pixel rows and columns are "
        "never read. Notebook 07 shows how Swin handles a feature map that its windows do not divide."
    )
    return check_number(answer, rows, hints, what="the tokens along one side", mistakes=mistakes, praise=praise)


@exercise_check
def check_flatten_order(answer: object) -> bool:
    """Why does a linear layer holding a convolution's weights no longer match it on patches flattened (p1 p2 c)?"""
    options = {
        "a": "would mean numbers went missing or came twice, but the cell printed that every patch holds the same "
        "48 numbers in both orders: a rearrange only reorders.",
        "b": "would give differences in the 6th or 7th digit; the printed difference is in the first decimal place, "
        "a sizeable part of the largest output.",
        "c": "is not so: a linear layer trained from scratch on (p1 p2 c) patches learns the same weights with its "
        "48 columns permuted, and works exactly as well. Only weights made for one order need that order.",
        "d": "",
    }
    hints = [
        "compare the two kinds of patches the cell made: do they hold the same numbers? In the same order?",
        "a linear layer multiplies input number i by column i of its weight. The weights were made for "
        "(c p1 p2) patches: what sits at position 1 of such a patch, and what at position 1 of a (p1 p2 c) patch?",
        "position 1 of a (c p1 p2) patch is the red value of pixel (0, 1); position 1 of a (p1 p2 c) patch is the "
        "green value of pixel (0, 0). Same 48 numbers, each meeting a weight made for another one: answer d.",
    ]
    praise = (
        "the 48 numbers are all there, but each meets a weight made for another pixel or colour. Either side can "
        "be fixed with one rearrange: flatten as (c p1 p2), or permute the weight to 'o (p1 p2 c)'. Notebook 05 "
        "meets the same trap in patch merging."
    )
    return check_choice(answer, "d", options, hints, praise=praise)


@exercise_check
def check_embedding_rank(answer: object, patch_size: int = 4, in_chans: int = 3, embed_dim: int = 96) -> bool:
    """What is the rank of the matrix of all tokens (one row per patch) after the linear embedding, bias left out?"""
    length = in_chans * patch_size**2
    side = patch_size * 2 * (math.isqrt(length) + 1)  # (side / P)^2 > length patches: enough to span every direction
    with torch.random.fork_rng(), torch.no_grad():
        torch.manual_seed(0)
        proj = PatchEmbed(patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim).proj.double()  # no noise
        tokens = proj(torch.rand(1, in_chans, side, side, dtype=torch.float64)) - proj.bias[:, None, None]
    expected = int(torch.linalg.matrix_rank(tokens.flatten(2)[0].T))  # (h w, C): one row per token
    mistakes = named_mistakes(
        expected,
        [
            (embed_dim, f"{embed_dim} is the width of a token, but each of its numbers is made from the same "
             f"{length} numbers of one patch."),
            (3136, "3136 is the number of rows (tokens); a rank is never more than the columns, and here the rows "
             f"are all made from {length} numbers each."),
            (length + 1, "that counts the bias as one more direction; the question leaves the bias out."),
            (in_chans, f"that counts the colour channels; a patch holds {length} numbers."),
            (patch_size**2, f"that counts the pixels of a patch; each has {in_chans} colours."),
        ]
        + [
            (rank, "that looks like a float32 rank: torch.linalg.matrix_rank in float32 counts directions smaller "
             "than its rounding tolerance as zero, and a photo has some faint ones. Compute in float64, or reason it "
             "out: in which subspace do all the tokens lie?")
            for rank in range(length - 8, length)
        ],
    )  # fmt: skip
    hints = [
        "all tokens are made by one and the same linear map from patches. How many independent directions can "
        "its outputs span, however many patches you feed it?",
        f"a token is W x: W is {embed_dim} x {length}, x holds the {length} numbers of one patch. Every token lies "
        "in the space spanned by the columns of W.",
        f"W has {length} columns, so its outputs span at most {length} dimensions; the photo's 3136 patches differ "
        f"enough to fill all of them: the rank is {length}.",
    ]
    praise = (
        f"the embedding puts every patch into the same {length}-dimensional subspace of the {embed_dim}-dimensional "
        "token space: it adds no information. Only the layers after it, which are not linear, use the other "
        "dimensions."
    )
    return check_number(answer, expected, hints, what="the rank", mistakes=mistakes, praise=praise)
