"""The live explorers, driven headlessly: every control redraws the figure; impossible settings give a message."""

import numpy as np
import pytest
import torch

from swin_edu import widgets
from swin_edu.model import SwinConfig, SwinTransformer
from swin_edu.position import relative_position_index
from swin_edu.windows import shifted_window_mask


@pytest.fixture(scope="module")
def tiny_model() -> SwinTransformer:
    torch.manual_seed(0)
    return SwinTransformer(SwinConfig(img_size=112, embed_dim=8, num_heads=(1, 1, 2, 2), num_classes=0)).eval()


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
        before_png, before_count = explorer.image.value, explorer.redraws
        control.value = other_value(control, chosen or {}, name)
        assert explorer.message == "", (name, explorer.message)
        assert explorer.redraws > before_count, name
        assert explorer.image.value != before_png, name


def test_window_explorer():
    explorer = widgets.window_explorer()
    assert "<b>64</b> windows of <b>49</b> tokens" in explorer.readout.value
    assert_every_control_redraws(explorer)
    explorer.controls["image_size"].value = 224
    explorer.controls["patch_size"].value = 4
    explorer.controls["window_size"].value = 14
    explorer.controls["stage"].value = 4  # a 14x14 window on a 7x7 map
    assert "larger than" in explorer.message and "Not possible" in explorer.readout.value


def test_shift_explorer():
    explorer = widgets.shift_explorer()
    assert_every_control_redraws(explorer)
    drawn = explorer.redraws
    explorer.controls["shift"].value = explorer.controls["window_size"].value
    assert "shift must be" in explorer.message and explorer.redraws == drawn
    explorer.controls["shift"].value = 0
    assert explorer.message == "" and explorer.redraws == drawn + 1


def test_mask_explorer_default_is_the_seed_demo():
    explorer = widgets.mask_explorer()
    assert explorer.values()["height"] == 14 and explorer.values()["window_size"] == 7 and explorer.values()["shift"] == 3
    masks = shifted_window_mask(14, 14, 7, 3)
    for window in range(4):
        assert np.array_equal(explorer.figure.axes[1 + window].images[0].get_array(), masks[window].numpy())
    explorer.controls["window"].value = 1
    explorer.controls["query"].value = 0
    explorer.controls["key"].value = 4
    assert "separates region 1" in explorer.readout.value and "region 2" in explorer.readout.value
    explorer.controls["shift"].value = 1
    assert_every_control_redraws(explorer, {"height": 21, "width": 21, "window_size": 3, "shift": 2})


def test_mask_explorer_refuses_impossible_settings():
    explorer = widgets.mask_explorer()
    explorer.controls["shift"].value = 7
    assert "shift" in explorer.message
    explorer.controls["shift"].value = 3
    explorer.controls["window_size"].value = 5  # 14 is not a multiple of 5
    assert "whole number" in explorer.message
    explorer.controls["window_size"].value = 7
    explorer.controls["height"].value = 6  # window larger than the map
    assert "larger than" in explorer.message
    explorer.controls["height"].value = 14
    explorer.controls["window"].value = 7
    assert "only 4 windows" in explorer.message


def test_relative_position_explorer_without_and_with_a_model(tiny_model):
    explorer = widgets.relative_position_explorer()
    assert np.array_equal(explorer.figure.axes[1].images[0].get_array(), relative_position_index(7).numpy())
    assert_every_control_redraws(explorer)
    explorer.controls["window_size"].value = 3
    assert explorer.controls["query"].max == 8 and explorer.message == ""
    with_model = widgets.relative_position_explorer(tiny_model)
    assert "model.layers[0].blocks[0].attn" in with_model.readout.value
    assert_every_control_redraws(with_model)


def test_receptive_field_explorer(tiny_model):
    explorer = widgets.receptive_field_explorer(tiny_model)
    assert explorer.controls["block_number"].max == 12 and explorer.controls["row"].max == 27
    assert_every_control_redraws(explorer)
    explorer.controls["mode"].value = "vit"
    assert "<b>784</b> of 784" in explorer.readout.value


def test_complexity_explorer():
    explorer = widgets.complexity_explorer(channels=48, window_size=4)
    assert "C = 48, M = 4" in explorer.readout.value
    control = explorer.controls["channels"]
    before = explorer.image.value
    control.value = 96
    assert explorer.message == "" and explorer.image.value != before
    assert all(control.description for control in explorer.controls.values())
