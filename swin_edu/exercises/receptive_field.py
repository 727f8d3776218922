"""Checks for notebook 08: how far a token sees after each block (``swin_edu.receptive_field``).

Exercise 1 (predict, then check): the fields of a corner token and an inner token after the first two blocks.
Exercise 2 (break it and watch): why the field stops at the window's edge once the shift is switched off.
Exercise 3 (reason it out): what training can and cannot change about a token's field.
"""

from __future__ import annotations

from swin_edu.exercises import check_choice, exercise_check, report, whole_number
from swin_edu.model import SwinConfig
from swin_edu.receptive_field import receptive_field


def field_size(token: tuple[int, int], stage: int, block: int, mode: str = "swin") -> int:
    """Input patches of Swin-T at 224 that can change ``token`` after ``model.layers[stage].blocks[block]``."""
    return int(receptive_field(token, stage, block, SwinConfig(), mode).sum())


@exercise_check
def check_corner_and_inner(fields: object) -> bool:
    """Exercise 1: ``(corner, inner)``, the field sizes after the first two blocks of Swin-T of the tokens at
    patches (0, 0) and (3, 3).

    Known mistakes are named: a field of one window (no shift), of one 3 x 3 region (block 1 forgotten), both
    fields of block 2 alone (9, 49), four windows at the corner (the mask forgotten), and the two numbers swapped.
    """
    hints = [
        "walk back from the token: first through block 2 (shifted windows, with the mask), then through block 1 "
        "(regular windows). Where does the roll put each token's shifted window?",
        "block 2 rolls the map by 3 up and left. Token (3, 3) lands in the first shifted window, rows and columns "
        "3-9 of the map, which overlap four regular windows. Token (0, 0) lands in the last, wrapped-around window "
        "next to tokens from the bottom and right borders, and the mask keeps it to the 3 x 3 tokens of its own "
        "corner. Then block 1 spreads every token it reached over its whole 7 x 7 window.",
        "inner: rows and columns 3-9 meet the four windows of rows and columns 0-13, so 4 x 49 = 196 patches. "
        "corner: its 3 x 3 tokens (rows and columns 0-2) all lie in window 0, so 49 patches.",
    ]
    if not isinstance(fields, (tuple, list)) or len(fields) != 2:
        return report(False, f"the answer should be a pair (corner, inner) of two numbers, got {fields!r}.", hints)
    window = SwinConfig().window_size ** 2  # 49 patches in one window of stage 1
    expected = {"corner": field_size((0, 0), 0, 1), "inner": field_size((3, 3), 0, 1)}
    values = {}
    for name, answer in zip(("corner", "inner"), fields):
        value, problem = whole_number(answer, name)
        if problem is not None:
            return report(False, problem, hints)
        values[name] = value
    if values == expected:
        return report(
            True,
            praise=f"the inner token's shifted window spans four windows ({expected['inner']} patches); the corner "
            f"token's is the wrapped-around one, where the mask keeps it inside its own window ({expected['corner']}):"
            " at the image border the field grows later.",
        )
    if values == {"corner": expected["inner"], "inner": expected["corner"]}:
        return report(False, "the two numbers are swapped: the first is the corner (0, 0).", hints)
    if values == {"corner": 9, "inner": window}:
        mistake = (
            f"(9, {window}) is what block 2 alone lets each token attend to (the corner's 3 x 3 region, the inner "
            "token's shifted window); block 1 comes before it and spreads every one of those tokens over its window."
        )
        return report(False, mistake, hints)
    if values["inner"] == window:
        mistake = f"inner = {window} is one window, as if the windows never shifted: that is the field after block 1."
        return report(False, mistake, hints)
    corner_mistakes = {
        9: "corner = 9 is the 3 x 3 region the mask leaves open in block 2; block 1 comes before it and spreads "
        "every one of those tokens over its window.",
        4 * window: f"corner = {4 * window} counts four windows: the roll brought tokens from the far borders into "
        "the corner's shifted window, but the mask keeps them apart.",
    }
    if values["corner"] in corner_mistakes:
        return report(False, corner_mistakes[values["corner"]], hints)
    wrong = "corner" if values["corner"] != expected["corner"] else "inner"
    return report(False, f"{wrong} = {values[wrong]} is not right.", hints)


SHIFT_OFF_OPTIONS = {
    "a": "says a mask keeps the windows apart, but a block without a shift has no mask at all: the mask only "
    "separates tokens that the roll brought together. Tokens of two windows are never in the same attention.",
    "b": "blames the relative position bias, but the bias only adds to the scores of pairs inside one window; it "
    "never allows or forbids a pair. Tokens of other windows are not in the attention at all.",
    "c": "",
    "d": "confuses the exact field with the effective one: the broken model's gradient outside the square is "
    "exactly zero, not small. No weights, trained or not, can make it non-zero there.",
}


@exercise_check
def check_shift_off(answer: object) -> bool:
    """Exercise 2: why the field of a model without the shift stops at the edge of a window (a letter)."""
    hints = [
        "look at the square in the right panel: where do its edges lie, compared with the dotted lines?",
        "the dotted lines are the windows of stage 2. Without the shift, which tokens does each block let a token "
        "attend to, and is that set ever different from one block to the next?",
        "every block partitions the map into the same windows, and attention is the only thing that mixes tokens: "
        "a token mixes with its own window, over and over, until patch merging doubles the window. Choose the "
        "statement that says so.",
    ]
    praise = (
        "the windows of every block are the same without the shift, so attention never carries anything across "
        "their edges; only patch merging widens them. The shift is what makes a block's windows straddle the "
        "edges of the previous block's."
    )
    return check_choice(answer, "c", SHIFT_OFF_OPTIONS, hints, praise)


TRAINING_OPTIONS = {
    "a": "would need a path from that patch to the token, and the architecture has none: no window, shifted "
    "window or merging connects them. The gradient through a missing connection is zero for any weights.",
    "b": "treats a small attention weight as a missing connection. The exact field lists the patches that *can* "
    "change the token; softmax gives every open pair of a window a weight above zero (only the mask's -100 pushes "
    "a pair down to about e^-100), so a small weight is still a connection.",
    "c": "treats the effective field as fixed, but it is a gradient, and the gradient depends on the weights. "
    "Luo et al. saw it grow during the training of CNNs.",
    "d": "",
}


@exercise_check
def check_training_and_field(answer: object) -> bool:
    """Exercise 3: what training can change about a token's receptive field (a letter)."""
    hints = [
        "two fields are on the page: one is read off the architecture, the other off the model's gradient. Which "
        "of the two depends on the weights?",
        "the exact field is where the gradient *can* be non-zero: the patches connected to the token through the "
        "windows, the mask and the mergings. Training changes weights, not connections.",
        "training can move the gradient around inside the exact field, but never out of it (no connection, no "
        "gradient) and never shrink the field itself (a small weight is still a connection). Choose the option "
        "that says the gradient's spread may change.",
    ]
    praise = (
        "the architecture fixes where the gradient can be non-zero; the weights decide how it is spread inside "
        "that field. A trained model's effective field may grow towards the edge of the exact field, never past it."
    )
    return check_choice(answer, "d", TRAINING_OPTIONS, hints, praise)
