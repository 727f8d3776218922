"""Checks for notebook 03: the relative position index and the bias table (paper section 3.2, Eq. 4)."""

from __future__ import annotations

from swin_edu.exercises import check_choice, exercise_check, report, whole_number
from swin_edu.position import relative_offsets, relative_position_index


@exercise_check
def check_corner_offsets(answer: object) -> bool:
    """Multiple choice (notebook 03, exercise 1): which 49 of the 13 x 13 offsets does the corner query (0, 0) of a
    7 x 7 window use?"""
    options = {
        "a": "is where the centre query's offsets lie. A query's offsets are (query - key) over its own 49 keys, so "
        "they move with the query.",
        "b": "takes key - query. The offset is query - key (coords[i] - coords[j], as in the official code): from "
        "the corner every key is below and to the right, so dy and dx are never positive.",
        "c": "",
        "d": "spreads one query over every offset, but a query meets 49 keys, each at a different offset: it "
        "reads 49 rows of the table, not 169.",
    }
    hint = [
        "write out the offset of two keys by hand: query (0, 0) with key (0, 0), and with key (6, 6).",
        "dy = query row - key row with query row 0 and key rows 0 to 6: which values can dy take? dx the same.",
        "dy and dx both run from -6 to 0: the top-left 7 x 7 of the offsets panel (dy = -6 at the top, "
        "dx = -6 at the left): choose c.",
    ]
    praise = (
        "query row and column are 0, so dy = -key row and dx = -key col run from -6 to 0: the top-left corner of "
        "the offsets. The centre query uses the middle, and any other query a 7 x 7 block in between."
    )
    return check_choice(answer, "c", options, hint, praise=praise)


@exercise_check
def check_wrong_multiplier(answer: object) -> bool:
    """Multiple choice (notebook 03, exercise 2): what does the index built with ``dy * M + dx`` cost the model?"""
    options = {
        "a": "",
        "b": "trusts training to fix it, but training changes the values in the table, not which offsets share a "
        "row: two offsets that read the same row get the same bias, whatever it learns.",
        "c": "expects an out-of-bounds read, but the largest index the wrong formula gives is 96, inside the 169 "
        "rows (printed above): nothing reads past the table, which is why nothing warns.",
        "d": "counts only the 72 rows that are never read. They are a symptom; the harm is that 169 offsets are "
        "squeezed into 97 rows, so different offsets share one bias.",
    }
    hint = [
        "the cell printed two numbers: the largest row read and how many different rows the 169 offsets read. "
        "What must happen when 169 offsets read 97 rows?",
        "169 offsets in 97 rows: some rows are read by two or more offsets. Can a learned value in one row ever give "
        "those offsets different biases?",
        "no: offsets that share a row share their bias forever, and a table laid out in the official order (a "
        "pretrained one, or the hand-made one here) is read at the wrong rows: choose a.",
    ]
    praise = (
        "different offsets that read the same row get the same bias whatever the table learns, and a table in the "
        "official order is read at the wrong rows: the figure's patterns no longer follow the query."
    )
    return check_choice(answer, "a", options, hint, praise=praise)


def _offset_pair(answer: object) -> tuple[list[tuple[int, int]] | None, str | None]:
    """The two offsets ``((dy, dx), (dy, dx))`` in ``answer`` as integers, or ``(None, what is wrong)``."""
    try:
        offsets = list(answer)
    except TypeError:
        offsets = []
    if len(offsets) != 2:
        return None, f"the answer should be two offsets ((dy, dx), (dy, dx)), got {type(answer).__name__}."
    pairs = []
    for name, offset in zip(("the first offset", "the second offset"), offsets):
        try:
            dy, dx = offset
        except (TypeError, ValueError):
            return None, f"{name} should be a pair of integers (dy, dx), got {type(offset).__name__}."
        (dy, problem_dy), (dx, problem_dx) = whole_number(dy, f"dy of {name}"), whole_number(dx, f"dx of {name}")
        if problem_dy or problem_dx:
            return None, problem_dy or problem_dx
        pairs.append((dy, dx))
    return pairs, None


@exercise_check
def check_collision(answer: object, window_size: int = 7) -> bool:
    """Find two different offsets ``((dy, dx), (dy, dx))`` that the wrong formula ``dy * M + dx`` (after the shift by
    M - 1) sends to the same row."""
    limit = window_size - 1
    hint = [
        f"the wrong formula reads (dy + {limit}, dx + {limit}) as a two-digit number in base {window_size}, but "
        f"the second digit goes up to {2 * limit}: what happens when a digit is {window_size} or more?",
        f"a shifted dx of {window_size} or more carries into the dy digit: a * {window_size} + {window_size} = "
        f"(a + 1) * {window_size} + 0. Take an offset whose shifted dx is {window_size} or more, and the offset one "
        f"row further down whose shifted dx is {window_size} less.",
        f"(0, 1) shifts to ({limit}, {limit + 1}): {limit} * {window_size} + {limit + 1} = "
        f"{limit * window_size + limit + 1}; (1, -{limit}) shifts to ({window_size}, 0): {window_size} * "
        f"{window_size} + 0 = {window_size * window_size}. The same row.",
    ]
    pairs, problem = _offset_pair(answer)
    if problem is not None:
        return report(False, problem, hint)

    def wrong_row(dy: int, dx: int) -> int:
        return (dy + limit) * window_size + dx + limit

    inside = [max(abs(dy), abs(dx)) <= limit for dy, dx in pairs]
    if not all(inside):
        unshifted = [(dy - limit, dx - limit) for dy, dx in pairs]
        looks_shifted = all(0 <= dy <= 2 * limit and 0 <= dx <= 2 * limit for dy, dx in pairs)
        if looks_shifted and unshifted[0] != unshifted[1] and wrong_row(*unshifted[0]) == wrong_row(*unshifted[1]):
            problem = (
                f"these look like the shifted coordinates (after adding M - 1 = {limit}); give the offsets themselves, "
                f"each in [-{limit}, {limit}]."
            )
        else:
            dy, dx = pairs[inside.index(False)]
            problem = f"({dy}, {dx}) is not an offset inside a window: both lie in [-{limit}, {limit}]."
        return report(False, problem, hint)
    if pairs[0] == pairs[1]:
        return report(False, "the two offsets are the same offset.", hint)
    rows = [wrong_row(dy, dx) for dy, dx in pairs]
    if rows[0] != rows[1]:
        return report(False, f"dy * M + dx gives them rows {rows[0]} and {rows[1]}: no collision.", hint)
    offsets = relative_offsets(window_size)  # (N, N, 2): an independent look-up of the right rows
    index = relative_position_index(window_size)  # (N, N)
    right = []
    for dy, dx in pairs:
        query, key = ((offsets[..., 0] == dy) & (offsets[..., 1] == dx)).nonzero()[0]
        right.append(index[query, key].item())
    assert right[0] != right[1], "relative_position_index must keep different offsets apart"
    praise = f"both read row {rows[0]} with the multiplier M; with 2M - 1 they read rows {right[0]} and {right[1]}."
    return report(True, praise=praise)
