"""The live explorers, driven headlessly: every control redraws the figure; impossible settings give a message."""

import asyncio
import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from swin_edu import widgets
from swin_edu.complexity import msa_cost, wmsa_cost
from swin_edu.images import sample_photo
from swin_edu.position import relative_position_index
from swin_edu.receptive_field import effective_receptive_field
from swin_edu.viz.position import random_attention
from swin_edu.viz.style import new_figure
from swin_edu.widgets.controls import int_slider
from swin_edu.widgets.explorer import REST_SECONDS, WholeFigure
from swin_edu.widgets.position import TRAINED_TABLES
from swin_edu.widgets.receptive_field import default_model
from swin_edu.windows import WindowGrid, shifted_window_mask


def decode(png: bytes) -> np.ndarray:
    """A PNG as grey levels ``(H, W)``."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def other_value(control, chosen: dict, name: str):
    """A different valid value for any control (``chosen`` names one where a neighbour would not fit)."""
    if name in chosen:
        return chosen[name]
    if hasattr(control, "options") and control.options:
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        return next(value for value in values if value != control.value)
    if isinstance(control.value, bool):
        return not control.value
    return control.value - control.step if control.value > control.min else control.value + control.step


def assert_every_control_redraws(explorer, chosen: dict | None = None) -> None:
    assert explorer.message == "" and explorer.figure is not None
    for name, control in explorer.controls.items():
        assert control.description, f"control {name} has no label"
        if control.disabled:  # fixed by another control (a trained table fixes the window)
            continue
        before_png, before_count = explorer.image.value, explorer.redraws
        control.value = other_value(control, chosen or {}, name)
        assert explorer.message == "", (name, explorer.message)
        assert explorer.redraws > before_count, name
        assert explorer.image.value != before_png, name


def test_window_explorer():
    explorer = widgets.window_explorer()
    assert "<b>64</b> windows of <b>49</b> tokens" in explorer.readout.value
    assert_every_control_redraws(explorer)


def test_window_explorer_pads_a_map_smaller_than_the_window_as_the_model_does():
    explorer = widgets.window_explorer(window_size=14, stage=4)  # a 14x14 window on the 7x7 map of stage 4
    assert explorer.message == "" and "padded to 14x14" in explorer.readout.value
    assert "<b>1</b> windows of <b>196</b> tokens" in explorer.readout.value
    grid = WindowGrid.for_map(7, 7, 14, 0)  # what the block does with it
    assert (grid.padded_height, grid.padded_width) == (14, 14)
    photo_ax = explorer.figure.axes[0]
    padding = [p for p in photo_ax.patches if p.get_label() == "padding" and p.get_visible()]
    padded_area = sum(p.get_width() * p.get_height() for p in padding)
    assert padded_area == (14 * 32) ** 2 - 224**2  # 32-pixel tokens: the window is 448 px, the photo 224
    assert photo_ax.get_xlim() == (0, 448)
    # the model attends over the padding: formula (2) on 14x14 tokens, more than global attention on 7x7
    assert f"{wmsa_cost(14, 14, 768, 14):.3g}" in explorer.readout.value
    assert f"{msa_cost(7, 7, 768):.3g}" in explorer.readout.value


def test_shift_explorer():
    explorer = widgets.shift_explorer()
    assert_every_control_redraws(explorer)
    explorer.controls["window_size"].value = 4
    assert explorer.controls["shift"].max == 3  # s = M would be no shift: the slider stops before it
    explorer.controls["shift"].value = 3
    assert explorer.controls["roll"].max == 3 and explorer.controls["roll"].value == 3  # a new s shows the whole roll
    explorer.controls["height"].value = 10  # not a whole number of windows: padded to 12, as the model pads
    assert explorer.message == "" and "padded to 12x" in explorer.readout.value


def test_shift_explorer_rolls_step_by_step():
    explorer = widgets.shift_explorer()
    shift = explorer.controls["shift"].value
    frames = set()
    for step in range(shift + 1):
        explorer.controls["roll"].value = step
        assert f"roll by -{step}" in explorer.figure.axes[1].get_title()
        frames.add(explorer.image.value)
    assert len(frames) == shift + 1
    label, play = explorer.children[0].children[:2]
    assert label.value == "play the roll:" and play.tooltip == "play the roll"
    assert play.max == explorer.controls["roll"].max == shift


def test_mask_explorer_default_is_the_official_demo():
    explorer = widgets.mask_explorer()
    assert (
        explorer.values()["height"] == 14 and explorer.values()["window_size"] == 7 and explorer.values()["shift"] == 3
    )
    masks = shifted_window_mask(14, 14, 7, 3)
    for window in range(4):
        assert np.array_equal(explorer.figure.axes[1 + window].images[0].get_array(), masks[window].numpy())
    explorer.controls["window"].value = 1
    explorer.controls["query"].value = 0
    explorer.controls["key"].value = 4
    assert "separates region 1" in explorer.readout.value and "region 2" in explorer.readout.value
    explorer.controls["shift"].value = 1
    assert_every_control_redraws(explorer, {"height": 21, "width": 21, "window_size": 3, "shift": 2})


def test_mask_explorer_offers_only_what_can_be_drawn():
    explorer = widgets.mask_explorer()
    controls = explorer.controls
    assert controls["window"].max == 3 and controls["shift"].max == 6 and controls["query"].max == 48
    controls["height"].value = 15  # padded to 21 rows, as the model pads: six windows
    assert explorer.message == "" and controls["window"].max == 5
    padding = [
        patch for patch in explorer.figure.axes[0].patches if patch.get_label() == "padding" and patch.get_visible()
    ]
    assert len(padding) == 1 and padding[0].get_height() == 6  # rows 15..20 are padding
    masks = shifted_window_mask(21, 14, 7, 3)  # the model's mask for the padded map
    controls["window"].value = 5
    assert np.array_equal(explorer.figure.axes[4].images[0].get_array(), masks[5].numpy())  # windows 2-5 shown
    controls["window_size"].value = 4
    assert controls["shift"].max == 3 and controls["query"].max == 15 and controls["key"].value <= 15
    assert explorer.message == ""


def test_a_refused_setting_greys_out_the_last_figure():
    """The sliders offer only what can be drawn; should a setting still be refused, the old figure is veiled."""

    def layout(number: int) -> int:
        if number == 3:
            raise ValueError("three is one too many")
        return number

    def build(number: int) -> WholeFigure:
        figure = new_figure(4, 3)
        figure.add_subplot().imshow(np.zeros((2, 2)), cmap="gray")  # a black figure
        return WholeFigure(figure, f"number {number}")

    explorer = widgets.Explorer({"number": int_slider("number", 2, 0, 3)}, layout, build, lambda view, number: "")
    figure, image = explorer.figure, explorer.image.value
    explorer.controls["number"].value = 3
    assert explorer.message == "three is one too many" and "Not possible" in explorer.readout.value
    assert explorer.figure is figure and explorer.image.value != image
    grey, shown = decode(explorer.image.value), decode(image)
    assert grey.shape == shown.shape and grey.mean() > shown.mean() + 20  # a white film over the old figure
    explorer.controls["number"].value = 1
    assert explorer.message == "" and decode(explorer.image.value).mean() < grey.mean()


def test_explorers_start_at_the_settings_a_notebook_gives():
    """Notebook 04's small case (official issue #38): H = W = 4, M = 2, s = 1; the masks are the model's."""
    explorer = widgets.mask_explorer(height=4, width=4, window_size=2, shift=1)
    assert explorer.message == ""
    masks = shifted_window_mask(4, 4, 2, 1)
    for window in range(4):
        assert np.array_equal(explorer.figure.axes[1 + window].images[0].get_array(), masks[window].numpy())
    assert explorer.controls["key"].value == 3  # token 4 is not in a 2x2 window: the last one is
    shift = widgets.shift_explorer(height=10, width=8, window_size=5, shift=2)
    assert "padded to 10x10" in shift.readout.value and shift.controls["roll"].value == 2
    journey = widgets.token_journey_explorer(pixel=(10, 20), step=5)
    assert journey.values() == {"row": 10, "col": 20, "step": 5}
    assert widgets.relative_position_explorer(window_size=3, query=4).readout.value.startswith("query token 4 ")


@pytest.mark.parametrize(
    "make, settings, says",
    [
        (widgets.mask_explorer, {"height": 30}, "'height H' cannot be 30: it takes 2 to 28"),
        (widgets.mask_explorer, {"shift": 7}, "(below M: shifting by a whole window is no shift): it takes 0 to 6"),
        (widgets.mask_explorer, {"window_size": 4, "query": 20}, "'query token' cannot be 20 with the other"),
        (
            widgets.mask_explorer,
            {"height": 4, "width": 4, "window_size": 2, "shift": 1, "window": 4},
            "'which window' cannot be 4",
        ),
        (widgets.shift_explorer, {"window_size": 4, "shift": 4}, "'shift s' cannot be 4"),
        (widgets.window_explorer, {"patch_size": 3}, "'patch size (px)' cannot be 3: it takes 2, 4, 8, 16"),
        (widgets.relative_position_explorer, {"table": "nope"}, "'bias table' cannot be 'nope'"),
        (widgets.token_journey_explorer, {"pixel": (300, 1)}, "'pixel row' cannot be 300: it takes 0 to 223"),
        (widgets.complexity_explorer, {"channels": 100}, "'channels C' cannot be 100: it takes 48, 96, 192"),
    ],
)
def test_a_setting_no_slider_offers_is_refused_with_the_reason(make, settings, says):
    with pytest.raises(ValueError) as refused:
        make(**settings)
    assert says in str(refused.value)


def test_a_notebook_without_a_kernel_shows_a_picture_of_the_explorer():
    explorer = widgets.mask_explorer()
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live in a running kernel
    assert base64.b64decode(bundle["image/png"]) == explorer.image.value  # the current view, for GitHub, nbconvert
    assert "Explorer(children" not in bundle["text/plain"] and "mask[0, 0, 4] = 0" in bundle["text/plain"]


def test_relative_position_explorer_without_and_with_a_model(tiny_model):
    explorer = widgets.relative_position_explorer()
    assert np.array_equal(explorer.figure.axes[1].images[0].get_array(), relative_position_index(7).numpy())
    assert_every_control_redraws(explorer)
    explorer.controls["table"].value = "fresh"
    explorer.controls["window_size"].value = 3
    assert explorer.controls["query"].max == 8 and explorer.message == ""
    with_model = widgets.relative_position_explorer(tiny_model)
    assert "model.layers[0].blocks[0].attn" in with_model.readout.value
    assert_every_control_redraws(with_model)


def test_relative_position_explorer_offers_a_trained_table():
    explorer = widgets.relative_position_explorer()
    trained = [value for _, value in explorer.controls["table"].options if value != "fresh"]
    assert len(trained) == 6  # every block of the digits model
    explorer.controls["table"].value = "layers.1.blocks.0"
    assert explorer.controls["window_size"].value == 4 and explorer.controls["window_size"].disabled
    explorer.controls["query"].value = 5  # row 1, col 1 of the 4x4 window
    stored = torch.load(TRAINED_TABLES, weights_only=True)["tables"]["layers.1.blocks.0"]  # (49, heads)
    index = relative_position_index(4)  # (16, 16), computed here
    heads = [ax for ax in explorer.figure.axes if ax.get_title().startswith("head")]
    assert len(heads) == 6
    for head, ax in enumerate(heads):
        assert np.allclose(ax.images[0].get_array(), stored[index[5], head].reshape(4, 4).numpy())
    assert float(stored.abs().max()) > 0.1  # trained: far beyond a fresh table's 0.04


def test_receptive_field_explorer(tiny_model):
    explorer = widgets.receptive_field_explorer(tiny_model)
    assert explorer.controls["block_number"].max == 12 and explorer.controls["row"].max == 27
    assert_every_control_redraws(explorer)
    explorer.controls["mode"].value = "vit"
    assert "<b>784</b> of 784" in explorer.readout.value


def shown_gradient(explorer) -> np.ndarray:
    return np.asarray(explorer.figure.axes[1].images[0].get_array())


def expected_gradient(model, patch: tuple[int, int], block_number: int) -> np.ndarray:
    """The effective field computed here, independently of the explorer, as the panel shows it (log10 / max)."""
    stage, block = model.config.block_positions()[block_number - 1]
    image = sample_photo(model.config.img_size)[None].mean(1, keepdim=True).expand(-1, model.config.in_chans, -1, -1)
    if model.config.in_chans == 3:
        image = sample_photo(model.config.img_size)[None]
    gradient = effective_receptive_field(model, image, (patch[0] >> stage, patch[1] >> stage), stage, block).numpy()
    return np.log10(np.maximum(gradient / gradient.max(), 1e-8))


def test_receptive_field_explorer_follows_the_weights(tiny_model):
    """Issue 9 bug 2: after a training step the same setting shows the new gradients, not remembered ones."""
    explorer = widgets.receptive_field_explorer(tiny_model)
    patch, block_number = (explorer.controls["row"].value, explorer.controls["col"].value), 2
    before = shown_gradient(explorer).copy()
    assert np.allclose(before, expected_gradient(tiny_model, patch, block_number), atol=1e-5)
    optimizer = torch.optim.SGD(tiny_model.parameters(), lr=0.5)
    tiny_model(torch.rand(2, 3, 112, 112)).square().mean().backward()
    optimizer.step()
    explorer.controls["col"].value -= 1
    explorer.controls["col"].value += 1  # back to the same setting, after the step
    after = shown_gradient(explorer)
    assert not np.allclose(after, before, atol=1e-4)
    assert np.allclose(after, expected_gradient(tiny_model, patch, block_number), atol=1e-5)


def test_default_model_leaves_the_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(123)
    model = default_model()
    assert torch.equal(torch.rand(4), expected)
    assert torch.equal(default_model().patch_embed.proj.weight, model.patch_embed.proj.weight)  # its own seed


def test_receptive_field_explorer_takes_a_one_channel_model(make_tiny_model):
    """Issue 14: the digits preset's models take one channel."""
    model = make_tiny_model(in_chans=1)
    explorer = widgets.receptive_field_explorer(model)
    assert explorer.message == "" and np.isfinite(shown_gradient(explorer)).all()
    assert_every_control_redraws(explorer)
    explorer.controls["effective"].value = True
    patch = (explorer.controls["row"].value, explorer.controls["col"].value)
    assert np.allclose(
        shown_gradient(explorer), expected_gradient(model, patch, explorer.controls["block_number"].value), atol=1e-5
    )


def test_the_effective_field_waits_until_the_controls_rest(tiny_model):
    """In a running kernel (an event loop), a moving slider gets the exact field at once, the gradient after."""
    explorer = widgets.receptive_field_explorer(tiny_model)

    async def drag() -> tuple[bool, bool]:
        explorer.controls["row"].value = 3
        moving = bool(np.isnan(shown_gradient(explorer)).all()) and "can see" in explorer.readout.value
        await asyncio.sleep(REST_SECONDS + 0.5)
        return moving, explorer.resting

    moving, resting = asyncio.run(drag())
    assert moving and resting
    patch = (3, explorer.controls["col"].value)
    assert np.allclose(shown_gradient(explorer), expected_gradient(tiny_model, patch, 2), atol=1e-5)


def test_complexity_explorer():
    explorer = widgets.complexity_explorer(channels=48, window_size=4)
    assert "C = 48, M = 4" in explorer.readout.value
    control = explorer.controls["channels"]
    before = explorer.image.value
    control.value = 96
    assert explorer.message == "" and explorer.image.value != before
    assert all(control.description for control in explorer.controls.values())


def test_relative_position_explorer_draws_every_window_size_on_one_figure():
    """A new M updates the figure built for the explorer (no new figure to lay out), and shows M's own tables."""
    explorer = widgets.relative_position_explorer()
    figure = explorer.figure
    for window_size in (2, 5, 9):
        explorer.controls["window_size"].value = window_size
        explorer.controls["query"].value = window_size + 1  # row 1, col 1
        assert explorer.figure is figure and explorer.message == ""
        assert np.array_equal(figure.axes[1].images[0].get_array(), relative_position_index(window_size).numpy())
        attention = random_attention(window_size)  # the explorer's fresh table, drawn again here
        table, index = attention.relative_position_bias_table.detach(), relative_position_index(window_size)
        heads = [ax for ax in figure.axes if ax.get_title().startswith("head")]
        for head, ax in enumerate(heads):
            expected = table[index[window_size + 1], head].reshape(window_size, window_size)
            assert np.allclose(ax.images[0].get_array(), expected.numpy())
            assert ax.images[0].get_extent() == [-0.5, window_size - 0.5, window_size - 0.5, -0.5]
