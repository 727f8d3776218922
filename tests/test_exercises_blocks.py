"""The exercise checks of notebook 05, and the choices of 06 and 07.

For each: the right answer, each named mistake, hints that grow, a blank that waits.
"""

from __future__ import annotations

import pytest
import torch
from exercise_output import verdict

from swin_edu import exercises, swin_t
from swin_edu.exercises import blocks, model
from swin_edu.model import SwinTransformer, swin_b

# exercise 1: the stage shapes of Swin-B at 384

SWIN_B_384 = [(96, 96, 128), (48, 48, 256), (24, 24, 512), (12, 12, 1024)]  # worked by hand: 384 / 4, halve, double


def test_stage_shapes_are_those_of_the_model_itself() -> None:
    """The hand-worked shapes agree with a Swin-B built at 384 and run on the meta device (and Swin-T at 224)."""
    assert blocks.swin_b_384_stage_shapes() == SWIN_B_384
    with torch.device("meta"):
        model = swin_b(img_size=384, window_size=12)
        tiny = swin_t()
    outputs = model.forward_stages(torch.zeros(1, 3, 384, 384, device="meta"))
    assert [tuple(output.shape[1:]) for output in outputs] == SWIN_B_384
    assert blocks.stage_shapes(tiny, 224, 224) == [(56, 56, 96), (28, 28, 192), (14, 14, 384), (7, 7, 768)]


def test_stage_shapes_right_answer_says_what_was_right(capsys) -> None:
    assert blocks.check_stage_shapes_swin_b_384(SWIN_B_384)
    out = verdict(capsys)
    assert out.startswith("Correct: 96 tokens a side and C = 128") and "12 x 12" in out
    assert blocks.check_stage_shapes_swin_b_384([list(shape) for shape in SWIN_B_384])  # lists of lists do too


@pytest.mark.parametrize(
    "answer, says",
    [
        ([(96, 96, 96), (48, 48, 192), (24, 24, 384), (12, 12, 768)], "Swin-T's channels"),
        ([(56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 1024)], "the sides at 224 x 224"),
        ([(24, 24, 128), (12, 12, 256), (6, 6, 512), (3, 3, 1024)], "not 16 x 16 as in ViT"),
        ([(96, 96, 128), (48, 48, 128), (24, 24, 128), (12, 12, 128)], "the channels stay the same"),
        ([(96, 96, 128), (48, 48, 512), (24, 24, 2048), (12, 12, 8192)], "4C is the concatenation"),
        ([(96, 96, 256), (48, 48, 512), (24, 24, 1024), (12, 12, 2048)], "stage 1 keeps the C"),
        ([(48, 48, 256), (24, 24, 512), (12, 12, 1024), (6, 6, 2048)], "one patch merging ahead"),
        ([(96, 96, 128), (48, 48, 256), (24, 24, 512), (12, 12, 768)], "stage 4: (12, 12, 768) is not right"),
        ([(128, 96, 96), (256, 48, 48), (512, 24, 24), (1024, 12, 12)], "the right numbers in another order"),
        ([(96, 96, 128)], "there are 4 stages"),
    ],
)
def test_stage_shapes_name_the_mistake(capsys, answer, says) -> None:
    assert not blocks.check_stage_shapes_swin_b_384(answer)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out, out


def test_stage_shapes_hints_grow_and_the_nudge_keeps_the_answer(capsys) -> None:
    wrong = [(56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 1024)]
    outs = []
    for _ in range(3):
        assert not blocks.check_stage_shapes_swin_b_384(wrong)
        outs.append(verdict(capsys))
    assert "Hint: start from the patch embedding" in outs[0]
    assert not any(str(number) in outs[0].split("Hint:")[1] for number in (96, 128, 1024))  # a nudge, no answer
    assert "Stronger hint: stage 1 has 384 / 4 = 96" in outs[1]
    assert "The way there: (96, 96, 128)" in outs[2] and "(12, 12, 1024)" in outs[2]


def test_stage_shapes_wait_for_a_blank_and_refuse_rubbish(capsys) -> None:
    assert not blocks.check_stage_shapes_swin_b_384(None)
    assert verdict(capsys).startswith("Waiting for an answer:")
    assert not blocks.check_stage_shapes_swin_b_384(42)
    assert "should be a list of 4" in verdict(capsys)
    assert not blocks.check_stage_shapes_swin_b_384([(96.5, 96, 128)] + SWIN_B_384[1:])
    assert "whole number" in verdict(capsys)


# exercises 2 and 3, and the choices of notebooks 06 and 07: each wrong option with its own diagnosis

CHOICES = {
    "swapped_merge": (
        blocks.check_swapped_merge,
        "d",
        {"a": "do not depend on the order", "b": "stage 1, before any merging", "c": "the weights fit exactly"},
        ("compare the shapes", "its position among the 4C channels", "reduction.weight has shape (2C, 4C)"),
    ),
    "crossing_without_shift": (
        blocks.check_crossing_without_shift,
        "a",
        {"b": "columns 6 and 7", "c": "the cell shows the count stays at 49", "d": "over its own channels"},
        ("follow a token out of stage 1", "do either of them respect", "only from stage 2 on"),
    ),
    "load_errors": (  # notebook 06
        model.check_load_errors,
        "c",
        {"a": "lists whole blocks", "b": "random start, silently", "d": "mixes the two up"},
        ("read each error's headings", "the same parameter under two names", "new_head=True"),
    ),
    "parameters_at_384": (  # notebook 06
        model.check_parameters_at_384,
        "a",
        {"b": "4x4 convolution", "c": "778,240 parameters, not 135,360", "d": "acts on each token alone"},
        ("which weights", "one table per attention layer", "= 135,360"),
    ),
    "transposed_resize": (  # notebook 07
        model.check_transposed_resize,
        "b",
        {"a": "in other places", "c": "heads axis is untouched", "d": "which axis is which"},
        ("look at head 1", "dy * (2M - 1) + dx", "dy and dx trade places"),
    ),
}


@pytest.mark.parametrize("name", CHOICES)
def test_a_right_choice_says_what_was_right(name, capsys) -> None:
    check, right, _, _ = CHOICES[name]
    assert check(right) and check(f" {right.upper()} ")
    out = verdict(capsys)
    assert out.startswith("Correct: ") and len(out) > 60


@pytest.mark.parametrize("name", CHOICES)
def test_each_wrong_choice_gets_its_own_diagnosis(name, capsys) -> None:
    check, _, diagnoses, _ = CHOICES[name]
    for letter, says in diagnoses.items():
        exercises.forget_tries()
        assert not check(letter)
        out = verdict(capsys)
        assert out.startswith(f'Not yet: "{letter}"') and says in out, out


@pytest.mark.parametrize("name", CHOICES)
def test_choice_hints_grow_from_a_nudge_to_the_way_there(name, capsys) -> None:
    check, right, diagnoses, hints = CHOICES[name]
    wrong = next(iter(diagnoses))
    outs = []
    for _ in range(4):
        assert not check(wrong)
        outs.append(verdict(capsys))
    for out, label, says in zip(outs, ("Hint", "Stronger hint", "The way there"), hints):
        assert f"{label}: " in out and says in out.split(f"{label}: ")[1], out
    assert f'"{right}"' not in outs[0].split("Hint:")[1]  # the nudge does not name the right letter
    assert outs[3] == outs[2]


@pytest.mark.parametrize("name", CHOICES)
def test_a_blank_choice_waits_and_a_stranger_is_refused(name, capsys) -> None:
    check = CHOICES[name][0]
    assert not check(None)
    assert verdict(capsys).startswith("Waiting for an answer:")
    assert not check("e")
    assert "is not one of the choices" in verdict(capsys)
    assert not check(2)
    assert "should be one letter" in verdict(capsys)


def test_the_swapped_merge_really_breaks_the_weights_and_only_from_stage_2() -> None:
    """What exercise 2 shows: the (p1 p2 c) order changes every output after the first merging, raises nothing."""
    from einops import rearrange

    torch.manual_seed(0)
    model = SwinTransformer(embed_dim=16, depths=(2, 2), num_heads=(1, 2), window_size=4, img_size=32).eval()
    merging = model.layers[0].downsample

    def swapped(x):
        return merging.reduction(merging.norm(rearrange(x, "b (h p1) (w p2) c -> b h w (p1 p2 c)", p1=2, p2=2)))

    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        right = model.forward_stages(images)
        merging.forward = swapped
        wrong = model.forward_stages(images)
    assert torch.equal(right[0], wrong[0])
    assert right[1].shape == wrong[1].shape and not torch.allclose(right[1], wrong[1], atol=1e-3)


def test_without_the_shift_a_token_never_leaves_its_window() -> None:
    """What the cell of exercise 3 shows, brute force on a small stage: unshifted blocks reach 16 tokens, shifted 64."""
    import copy

    torch.manual_seed(0)
    model = SwinTransformer(embed_dim=8, depths=(2,), num_heads=(1,), window_size=4, img_size=32).eval()
    regular, shifted = model.layers[0].blocks
    unshifted = copy.deepcopy(shifted)
    unshifted.shift_size = 0

    def reach(first, second):
        z = torch.randn(1, 8, 8, 8, requires_grad=True)
        second(first(second(first(z))))[0, 3, 3].sum().backward()
        return int((z.grad[0].abs().sum(-1) > 1e-30).sum())

    assert reach(regular, unshifted) == 16  # the 4x4 window of token (3, 3), nothing more
    assert reach(regular, shifted) == 64  # the shifted windows reach the whole 8x8 map
