"""Checks for notebooks 06 and 07: the whole model, its parameters and weights; any input size, a new window."""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from einops import rearrange

from swin_edu.complexity import count_parameters
from swin_edu.exercises import check_choice, check_number, exercise_check, report, run_answer, waiting
from swin_edu.exercises.blocks import verdict_on_shapes
from swin_edu.model import VARIANTS, SwinTransformer, swin_t
from swin_edu.position import resize_bias_table
from swin_edu.weights import check_compatible

# notebook 06: the whole model and its weights


@exercise_check
def check_parameters_10_classes(answer: object) -> bool:
    """Check the parameter count of Swin-T with a 10-class head instead of ImageNet's 1000."""
    with torch.device("meta"):
        expected = count_parameters(swin_t(num_classes=10))
        imagenet = count_parameters(swin_t())
    config = VARIANTS["swin_t"]
    features = config.embed_dim * 2 ** (len(config.depths) - 1)  # the pooled features of stage 4: 8C = 768
    old_head, new_head = features * 1000 + 1000, features * 10 + 10
    mistakes = {
        imagenet: "the count of the 1000-class model: the classifier depends on the number of classes.",
        imagenet - features * 990: (
            "you shrank the classifier's weight, not its bias: the bias also has one number per class."
        ),
        imagenet - 96 * 990 - 990: (
            f"the classifier reads the pooled features of stage 4, 8C = {features} channels, not C = 96."
        ),
        imagenet + new_head: "you added the new classifier but kept the old one: it replaces it.",
        imagenet
        - old_head: "that is the backbone alone: the old classifier is out, but the new one has parameters too.",
        new_head: "that is the new classifier alone; the rest of the model keeps all its parameters.",
    }
    hint = [
        "which layers of the model depend on the number of classes? Everything else keeps its shape.",
        f"only the classifier changes: a linear layer from the {features} pooled features to the classes, with "
        "a weight and a bias.",
        f"{imagenet:,} - ({features} x 1000 + 1000) + ({features} x 10 + 10): the old classifier out, the new one in.",
    ]
    praise = (
        f"the classifier shrinks from {old_head:,} to {new_head:,} parameters; the other "
        f"{imagenet - old_head:,} are the backbone, whatever the classes."
    )
    return check_number(answer, expected, hint, "the number of parameters", mistakes=mistakes, praise=praise)


@exercise_check
def check_load_errors(answer: object) -> bool:
    """What do the two refusals of ``load_pretrained`` say, and what fixes each? A letter."""
    options = {
        "a": (
            "calls both another variant: another variant lists whole blocks as missing or extra (the Swin-S "
            "weights above), while the first error here names one pair of keys and the second only the head."
        ),
        "b": (
            "reaches for strict=False: in the first case it would load everything else and leave that bias at its "
            "random start, silently; in the second, load_state_dict still refuses tensors of another shape."
        ),
        "c": "",
        "d": (
            "mixes the two up: the first error names keys (one missing, one unexpected) and no shapes; the second "
            "names shapes (the head's) and no missing key."
        ),
    }
    hint = [
        "read each error's headings: which names does it list under 'missing', 'in the checkpoint but not in the "
        "model' and 'shapes that disagree'?",
        "in the first error, the missing key and the unexpected key hold the same parameter under two names; in "
        "the second, every name fits and only the head's shapes differ.",
        "the first: rename the key back (as convert_state_dict renames the timm and torchvision layouts); the "
        "second: load everything but the classifier with load_pretrained(model, weights, new_head=True).",
    ]
    praise = (
        "a name that differs shows as one key missing and one unexpected; a head of another size as shapes that "
        "disagree in head.* only, and the loader then suggests new_head=True."
    )
    return check_choice(answer, "c", options, hint, praise=praise)


def bias_table_rows(variant: str, window_size: int) -> int:
    """How many numbers all relative position bias tables of ``variant`` hold with windows of ``window_size``."""
    config = VARIANTS[variant]
    heads = sum(depth * head for depth, head in zip(config.depths, config.num_heads))
    return (2 * window_size - 1) ** 2 * heads


@exercise_check
def check_parameters_at_384(answer: object) -> bool:
    """Where do the extra parameters of Swin-B at 384 (M = 12) come from, against 224 (M = 7)? A letter."""
    config = VARIANTS["swin_b"]
    extra = bias_table_rows("swin_b", 12) - bias_table_rows("swin_b", 7)
    absolute = ((384 // 4) ** 2 - (224 // 4) ** 2) * config.embed_dim  # one embedding vector per stage-1 token
    options = {
        "a": "",
        "b": (
            "says the patch embedding grows: it is a 4x4 convolution, whose weights do not depend on how many "
            "patches the image has."
        ),
        "c": (
            f"points at an absolute position embedding: Swin has none by default (the official ape option is "
            f"off), and one vector per token would add {absolute:,} parameters, not {extra:,}."
        ),
        "d": (
            "says the linear layers grow with the tokens: a linear layer acts on each token alone, so its weight "
            "is the same whatever the number of tokens."
        ),
    }
    hint = [
        "which weights of a Swin block have a shape that depends on the window size M, or on the image size?",
        "every weight acts on a token or on a 4x4 patch, except one table per attention layer, indexed by the "
        "offsets inside a window.",
        f"each relative position bias table has (2M - 1)^2 rows per head: 23^2 = 529 at M = 12 against "
        f"13^2 = 169 at M = 7, so (529 - 169) x (the number of heads in all blocks) = {extra:,}.",
    ]
    praise = (
        f"only the bias tables grow, (2M - 1)^2 rows per head: 360 more rows for each of the "
        f"{extra // 360} heads of Swin-B's blocks, {extra:,} in all; every other weight keeps its shape."
    )
    return check_choice(answer, "a", options, hint, praise=praise)


# notebook 07: any input size, a change of resolution


def padded_sides(image_size: int, window_size: int = 7) -> list[tuple[int, int]]:
    """``(side, padded side)`` of the four stage maps of Swin-T for one square image, from the model itself."""
    with torch.device("meta"):
        stages = swin_t(window_size=window_size).forward_stages(torch.zeros(1, 3, image_size, image_size))
    return [(stage.shape[1], stage.shape[1] + (-stage.shape[1] % window_size)) for stage in stages]


@exercise_check
def check_padded_maps(answer: object, image_size: int = 200) -> bool:
    """Check ``(side, padded side)`` of the four stage maps of Swin-T (M = 7) for one square image."""
    expected = padded_sides(image_size)
    first = image_size // 4
    floored = [first // 2**i for i in range(4)]  # halving without padding an odd side first

    def padded(sides: list[int]) -> tuple[tuple[int, int], ...]:
        return tuple((side, side + (-side % 7)) for side in sides)

    carried, side = [], first  # the padded side halved for the next stage, instead of the cropped one
    for _ in range(4):
        carried.append((side, side + (-side % 7)))
        side = (side + (-side % 7) + 1) // 2
    mistakes = {
        padded(floored): (
            "an odd side halved by rounding down: patch merging pads an odd map with a row and a column of zeros "
            "first, so the side is rounded up."
        ),
        tuple((side, side) for side, _ in expected): (
            "no stage is padded in your list: the blocks pad each map up to a multiple of the window M = 7."
        ),
        tuple(carried): (
            "the padding carried on into the next stage: the blocks crop it again after attention, so patch "
            "merging receives the unpadded map."
        ),
        tuple((side, side - side % 7) for side, _ in expected): (
            "the padded sides are rounded down to a multiple of 7: the blocks pad a map up to the next multiple of "
            "the window; they never drop tokens."
        ),
    }
    mistakes.pop(tuple(expected), None)  # never call the right answer a mistake (for sizes where two coincide)
    hint = [
        "follow the side through the model: the patch embedding, then three patch mergings; at each stage, what "
        "must the side be for the 7x7 windows to tile it?",
        f"{image_size} / 4 = {first} tokens a side; a patch merging pads an odd side by one before it halves; the "
        "blocks of each stage pad its side up to the next multiple of 7 and crop the padding afterwards.",
        f"sides {', '.join(str(side) for side, _ in expected)} (an odd side is rounded up when halved), padded "
        f"to {', '.join(str(side) for _, side in expected)}.",
    ]
    praise = (
        f"sides {[side for side, _ in expected]}, padded to {[side for _, side in expected]}: the padding lives "
        "only inside the blocks, and patch merging rounds an odd side up."
    )
    return verdict_on_shapes(answer, expected, hint, "(side, padded side)", mistakes, praise=praise)


@exercise_check
def check_transposed_resize(answer: object) -> bool:
    """What did resizing with the offsets read as ``(w h)`` do to the bias tables? A letter."""
    options = {
        "a": (
            "says nothing changed: the table holds numbers of the same size, but in other places; compare the two "
            "offsets the cell prints for each resize."
        ),
        "b": "",
        "c": (
            "says the heads got mixed: the heads axis is untouched in both patterns; each head keeps its own "
            "column, only the order of its rows changes."
        ),
        "d": (
            "blames the stretch: both resize the same 13x13 image to 23x23 with the edges on the edges; the "
            "difference is which axis is which."
        ),
    }
    hint = [
        "look at head 1's bias at (dy, dx) = (0, +6) and at (+6, 0), for both resizes: what moved where?",
        "the flat row index of the table is dy * (2M - 1) + dx, so '(h w)' reads rows as dy and columns as dx; "
        "'(w h)' reads them the other way round.",
        "the table came back transposed: dy and dx trade places, so head 1's preference for keys to the left "
        "became a preference for keys above; heads that are symmetric in dy and dx (0 and 2) cannot show it.",
    ]
    praise = (
        "the bug transposes every table: dy and dx trade places. Nothing raises an error, and a head that treats "
        "both directions alike would never show it: only a head with a direction does."
    )
    return check_choice(answer, "b", options, hint, praise=praise)


def _resize_mistakes(table: torch.Tensor, window: int) -> dict[str, torch.Tensor]:
    """What common wrong ways to adapt a bias table to ``window`` give, by name of the mistake."""
    side, new_side = round(table.shape[0] ** 0.5), 2 * window - 1
    grid = rearrange(table, "(h w) heads -> 1 heads h w", h=side)
    margin = (new_side - side) // 2

    def flat(image: torch.Tensor) -> torch.Tensor:
        return rearrange(image, "1 heads h w -> (h w) heads")

    return {
        "the tables are transposed: dy and dx trade places (exercise 2's bug); the flat index is dy * (2M - 1) + dx, "
        "so the rows of the table are '(h w)'.": resize_bias_table(
            rearrange(grid, "1 heads h w -> (w h) heads"), window
        ),
        "the tables were resized, but not bicubically: the paper (section 3.2) and the official loader use "
        "bicubic interpolation, as resize_bias_table does.": flat(
            F.interpolate(grid, size=(new_side, new_side), mode="bilinear", align_corners=False)
        ),
        "the old table sits in the middle of a new one filled with zeros: the offsets 7..11 get no bias, and the "
        "old ones keep their places; the paper resizes the table like an image instead.": flat(
            F.pad(grid, (margin, margin, margin, margin))
        ),
    }


@exercise_check
def check_adapt_to_window(adapt: object) -> bool:
    """Check ``adapt(state_dict, new_window_size)``: every bias table resized, everything else unchanged.

    The result must load strictly into a model with the new window size, and its tables must be those of
    :func:`swin_edu.position.resize_bias_table`; the state dict given to ``adapt`` must come back untouched.
    """
    hint = [
        "which tensors of a state dict depend on the window size? Everything else can stay as it is.",
        "only the keys ending in 'relative_position_bias_table' change: each head's (2M - 1)^2 rows are a small "
        "image of biases, indexed by (dy, dx); resize it as section 3 of this notebook does.",
        "return {key: resize_bias_table(value, new_window_size) if key.endswith('relative_position_bias_table') "
        "else value for key, value in state_dict.items()}",
    ]
    small = {"embed_dim": 16, "depths": (2, 2), "num_heads": (1, 2), "num_classes": 10}
    with torch.random.fork_rng():  # leave the notebook's random numbers alone
        torch.manual_seed(0)
        model = SwinTransformer(window_size=7, **small)
        for name, parameter in model.named_parameters():  # tables with a direction, so that a transpose shows
            if name.endswith("relative_position_bias_table"):
                torch.nn.init.normal_(parameter)
        state_dict = {key: value.detach() for key, value in model.state_dict().items()}
    original = {key: value.clone() for key, value in state_dict.items()}
    adapted, problem = run_answer(adapt, (state_dict, 12), "adapt")
    if problem is None and adapted is None:  # the template's `return None`: not tried yet
        return waiting("what adapt returns")
    if problem is None and not isinstance(adapted, Mapping):
        problem = f"adapt should return a state dict (a dict of tensors), got {type(adapted).__name__}."
    if problem is None and any(
        key not in state_dict or not torch.equal(state_dict[key], value) for key, value in original.items()
    ):
        problem = "adapt changed the state dict it was given: build a new one, and leave the caller's weights alone."
    if problem is not None:
        return report(False, problem, hint)
    with torch.device("meta"):
        target = SwinTransformer(window_size=12, **small)
    tables = [key for key in original if key.endswith("relative_position_bias_table")]
    if all(isinstance(adapted.get(key), torch.Tensor) and adapted[key].shape == original[key].shape for key in tables):
        return report(False, "the bias tables still have 13^2 = 169 rows; windows of 12 need 23^2 = 529.", hint)
    try:
        check_compatible(target, adapted)
    except ValueError as error:
        first_lines = " ".join(str(error).splitlines()[1:3])
        return report(False, f"the result does not fit a model with window 12: {first_lines} ...", hint)
    for key, value in original.items():
        if key in tables:
            if torch.allclose(adapted[key].float(), resize_bias_table(value, 12).float(), atol=1e-5):
                continue
            for mistake, wrong in _resize_mistakes(value, 12).items():
                if torch.allclose(adapted[key].float(), wrong.float(), atol=1e-5):
                    return report(False, mistake, hint)
            return report(False, f"{key} holds other numbers than resize_bias_table gives.", hint)
        if not torch.equal(adapted[key], value):
            return report(False, f"{key} holds other numbers: only the bias tables change.", hint)
    return report(True, praise="every bias table resized bicubically to 23 x 23 offsets, everything else as it was.")
