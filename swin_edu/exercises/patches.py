"""Checks for notebooks 00 and 01: how an image becomes tokens (paper section 3.1)."""

from __future__ import annotations

import torch
from einops import rearrange

from swin_edu.exercises import check_number, exercise_check, report, run_answer, tensor_form_problem, tensor_problem
from swin_edu.patches import PatchEmbed


@exercise_check
def check_num_tokens(answer: object, img_size: int = 224, patch_size: int = 4) -> bool:
    """How many tokens (patches) does an ``img_size`` x ``img_size`` image give with P x P patches?"""
    with torch.random.fork_rng(), torch.no_grad():  # building a layer must not move the student's random state
        embed = PatchEmbed(patch_size=patch_size, in_chans=3, embed_dim=1)
        tokens = embed(torch.zeros(1, 3, img_size, img_size))  # (1, H/P, W/P, 1)
    expected = tokens.shape[1] * tokens.shape[2]
    hint = f"the image is a grid of ({img_size} / {patch_size}) x ({img_size} / {patch_size}) patches."
    return check_number(answer, expected, hint, what="the number of tokens")


@exercise_check
def check_patch_length(answer: object, patch_size: int = 4, in_chans: int = 3) -> bool:
    """How many numbers does one flattened P x P patch of an ``in_chans``-channel image hold?"""
    with torch.random.fork_rng():
        embed = PatchEmbed(patch_size=patch_size, in_chans=in_chans, embed_dim=1)
    expected = embed.proj.weight[0].numel()  # one output channel sees (in_chans, P, P) inputs
    hint = f"a patch is {patch_size} x {patch_size} pixels, and every pixel has {in_chans} channels."
    return check_number(answer, expected, hint, what="the patch length")


@exercise_check
def check_embedding_parameters(answer: object, patch_size: int = 4, in_chans: int = 3, embed_dim: int = 96) -> bool:
    """How many learned parameters does the linear embedding (the ``proj`` layer) have?"""
    with torch.random.fork_rng():
        embed = PatchEmbed(patch_size=patch_size, in_chans=in_chans, embed_dim=embed_dim)
    expected = sum(parameter.numel() for parameter in embed.proj.parameters())
    hint = "a linear layer from n inputs to m outputs has an n x m weight and m biases; here n is the patch length."
    return check_number(answer, expected, hint, what="the parameter count")


@exercise_check
def check_patch_partition(partition: object) -> bool:
    """Check ``partition(images (B, 3, H, W), P) -> (B, H/P, W/P, 3*P*P)``.

    Right means: a linear layer holding the weights of ``PatchEmbed.proj``, applied to the student's patches,
    gives exactly what the convolution gives. That fixes both the shape and the order of the 3*P*P numbers.
    """
    hint = (
        "split H into (h p1) and W into (w p2) with einops, then group (c p1 p2) last: the convolution weight "
        "is laid out (out, in_channel, row, column), so the channel comes first in each patch."
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        images = torch.randn(2, 3, 16, 12)
        embed = PatchEmbed(patch_size=4, in_chans=3, embed_dim=8)
    patches, problem = run_answer(partition, (images, 4), "partition")
    if problem is not None:
        return report(False, problem, hint)
    if not isinstance(patches, torch.Tensor) or tuple(patches.shape) != (2, 4, 3, 48):
        shape = tuple(patches.shape) if isinstance(patches, torch.Tensor) else type(patches).__name__
        return report(
            False, f"for images (2, 3, 16, 12) and P=4 the result should be (2, 4, 3, 48), got {shape}.", hint
        )
    problem = tensor_form_problem(patches, (2, 4, 3, 48), "the result")
    if problem is not None:
        return report(False, problem, hint)
    with torch.no_grad():
        by_convolution = rearrange(embed.proj(images), "b c h w -> b h w c")  # (2, 4, 3, 8)
        by_linear = patches.detach().cpu().float() @ embed.proj.weight.flatten(1).T + embed.proj.bias  # (2, 4, 3, 8)
    problem = tensor_problem(by_linear, by_convolution, "a linear layer on your patches")
    if problem is not None:
        problem += " The 48 numbers of each patch are in another order than the convolution reads them."
    return report(problem is None, problem or "", hint)
