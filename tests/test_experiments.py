"""The experiments of swin_edu.experiments: their tasks, their ablations, the leak, and the stored results."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from swin_edu.experiments import EXPERIMENTS, STORED, load_results, run_experiment
from swin_edu.experiments.ablations import (
    add_absolute_position,
    one_stage_swin,
    remove_mask,
    remove_relative_bias,
    remove_shift,
    swin_blocks,
)
from swin_edu.experiments.mask import border_leak, pixel_gradient
from swin_edu.experiments.tasks import COLOURS, digits_split, mark_order, two_marks
from swin_edu.experiments.training import Budget, compare, random_shifts, train_classifier


def marks_in(image: torch.Tensor) -> list[tuple[int, int, int]]:
    """Decode an image of one-pixel tokens (patch 1) by hand: (row, col, colour index) of every coloured pixel."""
    found = []
    for row in range(image.shape[1]):
        for col in range(image.shape[2]):
            pixel = image[:, row, col]
            if pixel.any():
                matches = [index for index, colour in enumerate(COLOURS) if torch.equal(colour, pixel)]
                assert len(matches) == 1, f"pixel {pixel} is no colour of the palette"
                found.append((row, col, matches[0]))
    return found


@pytest.mark.parametrize("size", [1, 2])
def test_two_marks_labels_are_right_by_construction(size):
    data = two_marks(300, grid=8, window=4, patch=1, generator=torch.Generator().manual_seed(1), size=size)
    assert data.images.shape == (300, 3, 8, 8)
    for image, label in zip(data.images, data.labels):
        marks = marks_in(image)
        assert len(marks) == 2 * size * size
        windows = {(row // 4, col // 4) for row, col, _ in marks}
        assert len(windows) == 2, "the two marks must lie in two different windows"
        colours_per_window = {window: {c for r, col, c in marks if (r // 4, col // 4) == window} for window in windows}
        assert all(len(colours) == 1 for colours in colours_per_window.values()), "a mark has one colour"
        same = len({c for _, _, c in marks}) == 1
        assert int(label) == int(same)
    assert 0.4 < data.labels.float().mean() < 0.6, "balanced classes"


def test_two_marks_patches_scale_the_image_and_bad_input_says_what_was_expected():
    data = two_marks(4, grid=8, window=4, patch=2, generator=torch.Generator().manual_seed(0))
    assert data.images.shape == (4, 3, 16, 16)
    assert torch.equal(data.images[:, :, ::2, ::2], data.images[:, :, 1::2, 1::2])
    with pytest.raises(ValueError, match="multiple of window"):
        two_marks(4, grid=6, window=4, patch=1, generator=torch.Generator())
    with pytest.raises(ValueError, match="size"):
        two_marks(4, grid=8, window=4, patch=1, generator=torch.Generator(), size=5)


def test_mark_order_labels_are_right_by_construction():
    data = mark_order(200, grid=8, patch=1, generator=torch.Generator().manual_seed(2))
    for image, label in zip(data.images, data.labels):
        marks = {colour: col for _, col, colour in marks_in(image)}
        red, blue = marks[0], marks[2]  # palette indices of red and blue
        assert red != blue
        assert int(label) == int(red < blue)


def test_digits_split_is_the_projects_split():
    train_images, train_labels, val_images, val_labels = digits_split(16)
    assert train_images.shape == (1437, 1, 16, 16) and val_images.shape == (360, 1, 16, 16)
    # the same split made here from scikit-learn directly
    target = load_digits().target
    train_index, val_index = train_test_split(np.arange(len(target)), test_size=0.2, stratify=target, random_state=0)
    assert train_labels.tolist() == target[train_index].tolist() and val_labels.tolist() == target[val_index].tolist()
    full_train, _, _, _ = digits_split(32)
    assert torch.allclose(train_images[0, 0, 0, 0], full_train[0, 0, :2, :2].mean())


def test_remove_shift_makes_windows_independent():
    """W-MSA only: a window's output depends on its own pixels only, the fact that makes the logit a sum."""
    model = remove_shift(one_stage_swin(8, 1, 3, 2, depth=2, embed_dim=16, num_heads=2, window_size=4)).eval()
    images = torch.rand(1, 3, 8, 8)
    changed = images.clone()
    changed[:, :, :4, :4] = torch.rand(1, 3, 4, 4)  # only the top-left window
    before, after = model.forward_stages(images)[0], model.forward_stages(changed)[0]
    assert torch.equal(before[0, 4:, :], after[0, 4:, :]) and torch.equal(before[0, :4, 4:], after[0, :4, 4:])
    assert not torch.allclose(before[0, :4, :4], after[0, :4, :4])
    shifted = one_stage_swin(8, 1, 3, 2, depth=2, embed_dim=16, num_heads=2, window_size=4).eval()
    shifted.load_state_dict(model.state_dict())
    assert not torch.allclose(shifted.forward_stages(images)[0][0, 4:], shifted.forward_stages(changed)[0][0, 4:])


def test_the_leak_across_the_border_is_zero_with_the_mask_and_not_without():
    leak = border_leak(grid=8, window=4, patch=1, embed_dim=16, num_heads=2)
    inside = leak["with_mask"]["inside_field"]
    assert inside > 1e-3
    assert leak["with_mask"]["outside_field"] < 1e-30 * inside  # e^-100 is what the -100 of the mask leaves
    assert leak["without_mask"]["outside_field"] > 1e-3 * inside
    # by hand: the token (0, 0) shares its shifted window with (7, 7) after the roll by 2: a wrap-around neighbour
    with_mask, without_mask = torch.tensor(leak["gradient_with_mask"]), torch.tensor(leak["gradient_without_mask"])
    assert with_mask[7, 7] < 1e-30 * inside and without_mask[7, 7] > 1e-3 * inside


def test_pixel_gradient_matches_finite_differences():
    model = one_stage_swin(8, 2, 3, 2, depth=2, embed_dim=16, num_heads=2, window_size=2).double().eval()
    images = torch.rand(1, 3, 8, 8, dtype=torch.float64)
    gradient = pixel_gradient(model, images, (1, 2))
    nudged = images.clone()
    nudged[0, 1, 3, 0] += 1e-6  # one pixel of patch (1, 0)
    slope = (model.forward_stages(nudged)[0][0, 1, 2].sum() - model.forward_stages(images)[0][0, 1, 2].sum()) / 1e-6
    assert abs(slope) <= gradient[1, 0] + 1e-6


def test_remove_mask_changes_only_shifted_blocks():
    model = one_stage_swin(8, 1, 3, 2, depth=2, embed_dim=16, num_heads=2, window_size=4).eval()
    unmasked = remove_mask(copy.deepcopy(model))
    images = torch.rand(2, 3, 8, 8)
    regular = model.layers[0].blocks[0]
    x = model.patch_embed(images)
    assert torch.equal(regular(x), unmasked.layers[0].blocks[0](x))
    assert not torch.allclose(model(images), unmasked(images))


def test_remove_relative_bias_stays_zero_through_training():
    model = remove_relative_bias(one_stage_swin(8, 1, 3, 2, depth=2, embed_dim=16, num_heads=2, window_size=4))
    data = two_marks(64, 8, 4, 1, torch.Generator().manual_seed(0))
    train_classifier(model, data.images, data.labels, Budget(steps=3, batch_size=8, lr_per_1024=1.0), seed=0)
    tables = [block.attn.relative_position_bias_table for block in swin_blocks(model)]
    assert all(not table.requires_grad and not table.any() for table in tables)


def test_absolute_position_is_learned_and_checks_the_grid():
    model = add_absolute_position(one_stage_swin(8, 1, 3, 2, depth=2, embed_dim=16, num_heads=2, window_size=4))
    images = torch.rand(2, 3, 8, 8)
    before = model(images)
    with torch.no_grad():
        model.patch_embed.absolute_pos_embed.add_(
            torch.randn_like(model.patch_embed.absolute_pos_embed)
        )  # a constant would vanish in LayerNorm
    assert not torch.allclose(before, model(images))
    assert model.patch_embed.absolute_pos_embed.shape == (1, 8, 8, 16)
    with pytest.raises(ValueError, match="8, 8"):
        model(torch.rand(1, 3, 12, 12))


def test_random_shifts_move_whole_images():
    images = torch.zeros(64, 1, 6, 6)
    images[:, :, 2, 3] = 1.0
    moved = random_shifts(1)(images, torch.Generator().manual_seed(0))
    rows, cols = (moved[:, 0] == 1).nonzero()[:, 1:].T
    assert len(rows) == 64 and set(rows.tolist()) == {1, 2, 3} and set(cols.tolist()) == {2, 3, 4}


def test_compare_says_when_a_difference_is_within_the_spread():
    variants = {
        "a": {"accuracy": 0.80, "per_seed": [0.7, 0.9], "spread": 0.2},
        "b": {"accuracy": 0.75, "per_seed": [0.74, 0.76], "spread": 0.02},
        "c": {"accuracy": 0.50, "per_seed": [0.49, 0.51], "spread": 0.02},
    }
    assert "within the spread" in compare(variants, "a", "b")
    assert "larger than the spread" in compare(variants, "b", "c")


def test_unknown_experiment_and_bad_seeds_say_what_was_expected():
    with pytest.raises(ValueError, match="shift, mask, bias, small_data"):
        run_experiment("shfit")
    with pytest.raises(ValueError, match="at least 1"):
        run_experiment("shift", seeds=0)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_stored_results_have_the_documented_layout(name):
    results = load_results(name)
    assert results["experiment"] == name and results["quick"] is True
    for summary in results["variants"].values():
        assert len(summary["per_seed"]) >= 1
        assert summary["accuracy"] == pytest.approx(sum(summary["per_seed"]) / len(summary["per_seed"]))
    assert (STORED / name / f"{name}.png").is_file()


def test_shift_quick_reproduces_its_stored_headline():
    """Re-train the stored quick ``shift`` models (shifted and wmsa, every stored seed) and compare.

    The same seeds give the same data and initial weights; the arithmetic may differ in the last bits with
    another CPU or thread count, so each mean must agree within the spread over seeds (at least 2 points).
    """
    from swin_edu.experiments.shift import QUICK, train_and_score

    stored = load_results("shift")
    for name, shifted in (("shifted", True), ("wmsa", False)):
        summary = stored["variants"][name]
        again = [
            train_and_score(QUICK, QUICK.grid, QUICK.depth, shifted, seed, device="cpu")["accuracy"]
            for seed in summary["seeds"]
        ]
        tolerance = max(summary["spread"], 0.02)
        assert abs(sum(again) / len(again) - summary["accuracy"]) <= tolerance, (name, again, summary["per_seed"])
    assert stored["variants"]["shifted"]["accuracy"] >= 0.85 and stored["variants"]["wmsa"]["accuracy"] <= 0.60
