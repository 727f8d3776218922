"""One token's journey through Swin: where the token holding a pixel sits at every step, and what it can see.

Steps, in the order the model runs them: patch embedding (the pixel's patch becomes a token), every Swin block
(the token's window, regular or after the cyclic shift of paper Figure 4, and the tokens the mask lets it attend
to), patch merging into stages 2-4 (the 2x2 group it is folded into, paper section 3.1), and average pooling.
At every step, the token's exact receptive field on the input patches (``swin_edu.receptive_field``).

Everything comes from the package's own functions: ``WindowGrid`` and ``region_labels`` (windows.py),
``spread_through_block`` and the exact field (receptive_field.py), ``SwinConfig.stage_sizes``. No model is built.
``swin_edu.viz.token_journey`` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from swin_edu.model import SwinConfig
from swin_edu.receptive_field import block_shift_size, every_receptive_field, spread_through_block, token_on_stage
from swin_edu.windows import WindowGrid, region_labels

PAD = -1  # label of the padding cells on the map panel


@dataclass(frozen=True)
class JourneyStep:
    """Where the token is at one step, and what it can see.

    ``kind`` is "patch" (patch embedding), "block" (a Swin block), "merge" (patch merging into ``stage``) or
    "pool" (average pooling). Maps are the stage's token map; ``rolled`` positions are on the padded map after
    the cyclic shift, as the block partitions it.
    """

    kind: str
    stage: int  # 0-based
    block: int  # 0-based within the stage; -1 when not a block
    token: tuple[int, int]  # (row, col) on the stage's map
    map_size: tuple[int, int]  # (h, w) of the stage's map
    padded_size: tuple[int, int]  # (Hp, Wp) of the map shown, padded to multiples of M
    shift: tuple[int, int]  # the roll actually applied, (s_h, s_w); (0, 0) for W-MSA
    rolled_token: tuple[int, int]  # the token on the map shown: after the roll (block), before merging (merge)
    window: int  # row-major index of its window in the rolled map; -1 when not a block
    labels: np.ndarray  # (Hp, Wp) region labels of the map shown (PAD on padding)
    attends: np.ndarray  # bool, unrolled map shown: what it may attend to (block), the 2x2 group (merge), all (pool)
    field: np.ndarray  # bool (grid_h, grid_w): its exact receptive field after this step, on the patch grid
    name: str  # short name for an axis: "patch", "1.1", "M2", "pool"

    def window_cells(self, window_size: int) -> np.ndarray:
        """bool ``(Hp, Wp)``: the tokens of its window on the rolled map, padding excluded (none unless a block)."""
        cells = np.zeros(self.labels.shape, dtype=bool)
        if self.kind == "block":
            top, left = (
                (self.rolled_token[0] // window_size) * window_size,
                (self.rolled_token[1] // window_size) * window_size,
            )
            cells[top : top + window_size, left : left + window_size] = True
        return cells & (self.labels != PAD)

    def headline(self) -> str:
        """A few words: what happens at this step."""
        if self.kind == "block":
            rolled = "W-MSA" if self.shift == (0, 0) else f"SW-MSA, rolled by ({-self.shift[0]}, {-self.shift[1]})"
            return f"stage {self.stage + 1}, block {self.block + 1} ({rolled})"
        return {"patch": "patch embedding", "merge": f"patch merging into stage {self.stage + 1}"}.get(
            self.kind, "average pooling"
        )

    def describe(self) -> str:
        """One sentence for a readout."""
        h, w = self.map_size
        where = f"token ({self.token[0]}, {self.token[1]}) of the {h}x{w} map of stage {self.stage + 1}"
        if self.kind == "patch":
            return f"Patch embedding: the pixel's patch becomes {where}"
        if self.kind == "merge":
            return f"Patch merging: a 2x2 group of stage {self.stage} becomes {where}"
        if self.kind == "pool":
            return f"Average pooling: all {h * w} tokens of stage {self.stage + 1} become one feature vector"
        rolled = "W-MSA, no roll" if self.shift == (0, 0) else f"SW-MSA, rolled by ({-self.shift[0]}, {-self.shift[1]})"
        return f"Stage {self.stage + 1}, block {self.block + 1} ({rolled}): {where}, in window {self.window}"


def pixel_patch(pixel: tuple[int, int], config: SwinConfig) -> tuple[int, int]:
    """The patch ``(row, col)`` holding an image pixel; a clear error outside the image."""
    row, col = pixel
    if not (0 <= row < config.img_size and 0 <= col < config.img_size):
        raise ValueError(f"pixel {pixel} is outside the {config.img_size}x{config.img_size} image")
    return row // config.patch_size, col // config.patch_size


def journey_steps(pixel: tuple[int, int], config: SwinConfig | None = None) -> tuple[JourneyStep, ...]:
    """Every step of the token holding ``pixel``: patch, the blocks and mergings of each stage, pooling."""
    config = config or SwinConfig()
    return _steps_of_patch(pixel_patch(pixel, config), config)


@lru_cache(maxsize=64)
def _steps_of_patch(patch: tuple[int, int], config: SwinConfig) -> tuple[JourneyStep, ...]:
    sizes = config.stage_sizes()
    first = np.zeros(sizes[0], dtype=bool)
    first[patch] = True
    steps = [_plain_step("patch", 0, patch, sizes[0], first, first, config, "patch", patch)]
    for stage, depth in enumerate(config.depths):
        token = token_on_stage(patch, stage)
        if stage > 0:
            group = _merged_group(token, sizes[stage - 1])  # (h_prev, w_prev) bool
            field = _field(token, stage, -1, config)  # the union of the fields of its 2x2 group
            before = token_on_stage(patch, stage - 1)  # the panel shows the map before merging
            steps.append(
                _plain_step("merge", stage, token, sizes[stage], group, field, config, f"M{stage + 1}", before)
            )
        steps += [_block_step(token, stage, block, config) for block in range(depth)]
    last = len(config.depths) - 1
    steps.append(
        _plain_step(
            "pool",
            last,
            token,
            sizes[last],
            np.ones(sizes[last], dtype=bool),
            _pooled_field(config),
            config,
            "pool",
            token,
        )
    )
    return tuple(steps)


def _plain_step(kind, stage, token, size, attends, field, config, name, shown_token) -> JourneyStep:
    """A step without attention: nothing is rolled; the map shown (``attends``' map) is a single region."""
    shown = attends.shape
    grid = WindowGrid.for_map(*shown, config.window_size, 0)
    padded = (grid.padded_height, grid.padded_width)
    labels = np.full(padded, PAD)
    labels[: shown[0], : shown[1]] = 0
    return JourneyStep(kind, stage, -1, token, size, padded, (0, 0), shown_token, -1, labels, attends, field, name)


@lru_cache(maxsize=1024)  # neighbouring pixels share their tokens from stage 2 on: dragging reuses most steps
def _block_step(token, stage: int, block: int, config: SwinConfig) -> JourneyStep:
    """The token in block ``block`` of ``stage``: its window after the roll, and what the mask lets it see."""
    window_size, size = config.window_size, config.stage_sizes()[stage]
    grid = WindowGrid.for_map(*size, window_size, block_shift_size(block, window_size))
    padded, shift = (grid.padded_height, grid.padded_width), grid.shift
    rolled = ((token[0] - shift[0]) % padded[0], (token[1] - shift[1]) % padded[1])  # torch.roll by -s
    window = (rolled[0] // window_size) * (padded[1] // window_size) + rolled[1] // window_size
    labels = region_labels(*padded, window_size, shift).long().numpy() if shift != (0, 0) else np.zeros(padded, int)
    labels[size[0] :, :] = PAD
    labels[:, size[1] :] = PAD
    _read_only(labels)
    alone = torch.zeros(size, dtype=torch.bool)
    alone[token] = True
    attends = _read_only(spread_through_block(alone, window_size, block_shift_size(block, window_size)).numpy())
    field = _field(token, stage, block, config)
    name = f"{stage + 1}.{block + 1}"
    return JourneyStep("block", stage, block, token, size, padded, shift, rolled, window, labels, attends, field, name)


def _merged_group(token: tuple[int, int], previous_size: tuple[int, int]) -> np.ndarray:
    """The 2x2 tokens of the previous stage that patch merging concatenates into ``token`` (padding cropped)."""
    group = np.zeros(previous_size, dtype=bool)
    group[2 * token[0] : 2 * token[0] + 2, 2 * token[1] : 2 * token[1] + 2] = True
    return group


@lru_cache(maxsize=4)
def _pooled_field(config: SwinConfig) -> np.ndarray:
    """The pooled features average every last-stage token: the union of all their fields."""
    last = len(config.depths) - 1
    rows, cols = _every_field(config)[last, config.depths[last] - 1]
    return _read_only((rows.any(dim=0)[:, None] & cols.any(dim=0)[None, :]).numpy())


@lru_cache(maxsize=2048)
def _field(token: tuple[int, int], stage: int, block: int, config: SwinConfig) -> np.ndarray:
    """The exact receptive field of ``token`` after a block (-1: after patch merging), read-only numpy bool
    ``(grid_h, grid_w)``: its rows times its columns (see ``every_receptive_field``)."""
    rows, cols = _every_field(config)[stage, block]
    return _read_only((rows[token[0]][:, None] & cols[token[1]][None, :]).numpy())


@lru_cache(maxsize=2)
def _every_field(config: SwinConfig) -> dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]]:
    """The fields of every token of every step, computed once per architecture (a few kilobytes)."""
    return every_receptive_field(config)


def _read_only(array: np.ndarray) -> np.ndarray:
    """The array, locked: cached steps are shared, so no caller may change them."""
    array.flags.writeable = False
    return array
