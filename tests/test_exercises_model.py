"""The exercise checks of notebooks 05 to 12: right answers pass, blank and wrong answers get a hint."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from einops import rearrange

from swin_edu import swin_t
from swin_edu.exercises import blocks


def verdict(capsys) -> str:
    return capsys.readouterr().out.strip()


# notebook 05: blocks and patch merging


def test_merge_2x2_accepts_the_reference_order(capsys):
    assert blocks.check_merge_2x2(lambda x: rearrange(x, "b (h p1) (w p2) c -> b h w (p2 p1 c)", p1=2, p2=2))
    assert verdict(capsys) == "Correct"


def test_merge_2x2_accepts_slicing(capsys):
    def merge(x):
        return torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)

    assert blocks.check_merge_2x2(merge)


@pytest.mark.parametrize(
    "merge, says",
    [
        (lambda x: rearrange(x, "b (h p1) (w p2) c -> b h w (p1 p2 c)", p1=2, p2=2), "x1 and x2 are swapped"),
        (lambda x: x[:, ::2, ::2], "shape (2, 2, 3, 12)"),
        (lambda x: rearrange(x, "b (h p1) (w p2) c -> b h w (c p2 p1)", p1=2, p2=2), "not the reference order"),
        (lambda x: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_merge_2x2_rejects_wrong_answers_with_a_hint(capsys, merge, says):
    assert not blocks.check_merge_2x2(merge)
    out = verdict(capsys)
    assert out.startswith("Not yet:") and says in out and "Hint:" in out


def test_merge_2x2_waits_for_an_answer(capsys):
    assert not blocks.check_merge_2x2(None)
    assert verdict(capsys).startswith("Waiting for an answer: ")


def test_stage_shapes_swin_b_384(capsys):
    assert blocks.check_stage_shapes_swin_b_384([(96, 96, 128), (48, 48, 256), (24, 24, 512), (12, 12, 1024)])
    assert verdict(capsys) == "Correct"
    assert not blocks.check_stage_shapes_swin_b_384([(96, 96, 128), (48, 48, 256), (24, 24, 512), (12, 12, 768)])
    assert "stage 4" in verdict(capsys)
    assert not blocks.check_stage_shapes_swin_b_384([(56, 56, 96)])
    assert "4 stages" in verdict(capsys)
    assert not blocks.check_stage_shapes_swin_b_384(None)
    assert not blocks.check_stage_shapes_swin_b_384(42)


def test_stage_shapes_of_swin_t_on_the_meta_device():
    with torch.device("meta"):
        model = swin_t()
    assert blocks.stage_shapes(model, 224, 224) == [(56, 56, 96), (28, 28, 192), (14, 14, 384), (7, 7, 768)]


def test_merging_parameters(capsys):
    assert blocks.check_merging_parameters(2 * 4 * 96 + 4 * 96 * 2 * 96)
    assert verdict(capsys) == "Correct"
    assert not blocks.check_merging_parameters(4 * 96 * 2 * 96)  # forgot the LayerNorm
    assert not blocks.check_merging_parameters(None)


# notebook 06: the whole model; notebook 07: any input size, a new window


def test_parameters_10_classes(capsys):
    from swin_edu.exercises import model

    with torch.device("meta"):
        imagenet = model.count_parameters(swin_t())
    assert model.check_parameters_10_classes(imagenet - (768 * 1000 + 1000) + (768 * 10 + 10))
    assert verdict(capsys) == "Correct"
    assert not model.check_parameters_10_classes(imagenet - 768 * 990)  # forgot the bias
    assert not model.check_parameters_10_classes(None)
    assert "Hint:" in verdict(capsys)


def test_pyramid_shapes_320x480(capsys):
    from swin_edu.exercises import model

    right = [(96, 80, 120), (192, 40, 60), (384, 20, 30), (768, 10, 15)]
    assert model.check_pyramid_shapes_320x480(right)
    assert verdict(capsys) == "Correct"
    channels_last = [(h, w, c) for c, h, w in right]
    assert not model.check_pyramid_shapes_320x480(channels_last)
    assert "another order" in verdict(capsys)
    assert not model.check_pyramid_shapes_320x480(right[:3])
    assert "4 levels" in verdict(capsys)
    assert not model.check_pyramid_shapes_320x480("shapes")


def test_adapt_to_window(capsys):
    from swin_edu.exercises import model
    from swin_edu.position import resize_bias_table

    def adapt(state_dict, window):
        return {
            k: resize_bias_table(v, window) if k.endswith("relative_position_bias_table") else v
            for k, v in state_dict.items()
        }

    assert model.check_adapt_to_window(adapt)
    assert verdict(capsys) == "Correct"
    assert not model.check_adapt_to_window(lambda state_dict, window: state_dict)
    assert "does not fit" in verdict(capsys)
    assert not model.check_adapt_to_window(
        lambda state_dict, window: {k: 2 * v for k, v in adapt(state_dict, window).items()}
    )
    assert "other numbers" in verdict(capsys)
    assert not model.check_adapt_to_window(lambda state_dict, window: list(state_dict))
    assert "state dict" in verdict(capsys)


def test_padded_maps_112(capsys):
    from swin_edu.exercises import model

    right = [(28, 28), (14, 14), (7, 7), (4, 7)]  # 28 -> 14 -> 7 -> 4 (7 padded to 8, halved); 4 padded up to 7
    assert model.check_padded_maps_112(right)
    assert verdict(capsys) == "Correct"
    assert not model.check_padded_maps_112([(28, 28), (14, 14), (7, 7), (3, 7)])  # 7 // 2 instead of padding
    assert "stage 4" in verdict(capsys)
    assert not model.check_padded_maps_112([(28, 28), (14, 14), (7, 7), (7, 4)])
    assert "another order" in verdict(capsys)
    assert not model.check_padded_maps_112(None)
    assert "still None" in verdict(capsys)


# notebook 08: receptive field


def test_corner_and_inner(capsys):
    from swin_edu.exercises import receptive_field

    assert receptive_field.check_corner_and_inner(49, 196)
    assert verdict(capsys) == "Correct"
    assert not receptive_field.check_corner_and_inner(196, 196)  # forgot the mask at the corner
    assert "corner = 196" in verdict(capsys)
    assert not receptive_field.check_corner_and_inner(49, None)
    assert "inner is still None" in verdict(capsys)
    assert receptive_field.check_corner_and_inner(np.int64(49), torch.tensor(196.0))  # whole numbers in any form
    assert verdict(capsys) == "Correct"
    assert not receptive_field.check_corner_and_inner(49.5, 196)  # never rounded
    assert "whole number" in verdict(capsys)


def test_wmsa_stage_fields(capsys):
    from swin_edu.exercises import receptive_field

    assert receptive_field.check_wmsa_stage_fields([49, 196, 784, 3136])
    assert verdict(capsys) == "Correct"
    assert not receptive_field.check_wmsa_stage_fields([49, 98, 196, 392])
    assert "stage 2" in verdict(capsys)
    assert not receptive_field.check_wmsa_stage_fields(None)


def test_field_through_merging(capsys):
    from swin_edu.exercises import receptive_field

    assert receptive_field.check_field_through_merging(lambda f: f.repeat_interleave(2, 0).repeat_interleave(2, 1))
    assert verdict(capsys) == "Correct"
    assert not receptive_field.check_field_through_merging(lambda f: f.repeat(2, 2))  # tiles instead of groups
    assert "different values" in verdict(capsys)
    assert not receptive_field.check_field_through_merging(
        lambda f: f.float().repeat_interleave(2, 0).repeat_interleave(2, 1)
    )
    assert "bool" in verdict(capsys)
    assert not receptive_field.check_field_through_merging(None)


# notebook 10: a training run, read from its confusion matrix


def test_accuracy_from_confusion(capsys):
    from swin_edu.exercises import training_run

    assert training_run.check_accuracy_from_confusion(lambda c: (c.diag().sum() / c.sum()).item())
    assert verdict(capsys) == "Correct"
    assert training_run.check_accuracy_from_confusion(lambda c: c.diag().sum() / c.sum())  # a 0-d tensor is fine
    assert verdict(capsys) == "Correct"
    assert not training_run.check_accuracy_from_confusion(lambda c: c.diag().float().mean())  # mean count per class
    assert "the accuracy is" in verdict(capsys)
    assert not training_run.check_accuracy_from_confusion(lambda c: float("nan"))
    assert "Hint:" in verdict(capsys)
    assert not training_run.check_accuracy_from_confusion(None)
    assert "still None" in verdict(capsys)


def test_lowest_recall(capsys):
    from swin_edu.exercises import training_run

    def right(c):
        return int((c.diag() / c.sum(dim=1)).argmin())  # argmin takes the first of equal minima

    def by_loop(c):  # the same, written out with exact fractions: an independent answer
        shares = [Fraction(int(c[k, k]), int(c[k].sum())) for k in range(len(c))]
        return min(range(len(c)), key=lambda k: (shares[k], k))

    for confusion in training_run.example_confusions():
        assert right(confusion) == by_loop(confusion)
    assert training_run.check_lowest_recall(right)
    assert verdict(capsys) == "Correct"
    assert training_run.check_lowest_recall(lambda c: np.int64(right(c)))
    assert verdict(capsys) == "Correct"
    assert training_run.check_lowest_recall(lambda c: float(right(c)))  # 2.0 is the class 2
    assert verdict(capsys) == "Correct"


def test_lowest_recall_refuses_wrong_answers(capsys):
    from swin_edu.exercises import training_run

    def most_mistakes(c):  # counts, not shares: wrong when the classes have different sizes
        return int((c.sum(dim=1) - c.diag()).argmax())

    def last_of_ties(c):
        recall = (c.diag() / c.sum(dim=1)).tolist()
        return max(k for k in range(len(c)) if recall[k] == min(recall))

    def by_column(c):  # the share of the predictions of a class that are right (precision), not recall
        return int((c.diag() / c.sum(dim=0)).argmin())

    assert not training_run.check_lowest_recall(most_mistakes)
    assert "the most mistakes counted" in verdict(capsys)
    assert not training_run.check_lowest_recall(last_of_ties)
    assert "smallest class index" in verdict(capsys)
    assert not training_run.check_lowest_recall(by_column)
    assert "its recall is" in verdict(capsys)
    assert not training_run.check_lowest_recall(lambda c: 0)  # right only while every recall ties
    assert not training_run.check_lowest_recall(lambda c: len(c))
    assert "the classes are 0 to 2" in verdict(capsys)
    assert not training_run.check_lowest_recall(lambda c: 1.5)  # never rounded into a right class
    assert "whole number" in verdict(capsys)
    assert not training_run.check_lowest_recall(lambda c: (c.diag() / c.sum(dim=1)).argmin(keepdim=True))
    assert not training_run.check_lowest_recall(None)
    assert "still None" in verdict(capsys)


# notebook 12: attention maps and the learned bias


@pytest.fixture
def three_head_model(make_tiny_model):
    """The shared tiny Swin with 3 heads in its first stage and 4 x 4 windows, on 1-channel 32 x 32 images."""
    return make_tiny_model(img_size=32, in_chans=1, embed_dim=12, depths=(2, 2), num_heads=(3, 6), window_size=4)


def test_mean_attention_distance_of_uniform_attention(three_head_model):
    from swin_edu.exercises import attention_maps

    model = three_head_model
    for layer in model.layers:  # zero queries and keys: every head attends uniformly within its window
        for block in layer.blocks:
            torch.nn.init.zeros_(block.attn.qkv.weight)
            torch.nn.init.zeros_(block.attn.qkv.bias)
            torch.nn.init.zeros_(block.attn.relative_position_bias_table)
    distances = attention_maps.mean_attention_distance(model, torch.randn(2, 1, 32, 32), stage=0, block=0)
    coords = torch.stack(torch.meshgrid(torch.arange(4.0), torch.arange(4.0), indexing="ij"), -1).reshape(16, 2)
    assert torch.allclose(distances, torch.cdist(coords, coords).mean().expand(3), atol=1e-5)


def test_most_local_head(capsys, three_head_model):
    from swin_edu.exercises import attention_maps

    model, images = three_head_model, torch.randn(3, 1, 32, 32)
    distances = attention_maps.mean_attention_distance(model, images, 0, 0)
    best = int(distances.argmin())
    assert attention_maps.check_most_local_head(best, model, images, 0, 0)
    assert verdict(capsys) == "Correct"
    assert not attention_maps.check_most_local_head((best + 1) % 3, model, images, 0, 0)
    assert "another looks closer" in verdict(capsys)
    assert not attention_maps.check_most_local_head(7, model, images, 0, 0)
    assert not attention_maps.check_most_local_head(None, model, images, 0, 0)


def test_bias_lookup(capsys):
    from swin_edu.exercises import attention_maps

    assert attention_maps.check_bias_lookup(lambda table, m, dy, dx: table[(dy + m - 1) * (2 * m - 1) + dx + m - 1])
    assert verdict(capsys) == "Correct"
    assert not attention_maps.check_bias_lookup(lambda table, m, dy, dx: table[(dy + m - 1) * m + dx + m - 1])
    assert "different values" in verdict(capsys)
    assert not attention_maps.check_bias_lookup(lambda table, m, dy, dx: table[(dx + m - 1) * (2 * m - 1) + dy + m - 1])
    assert not attention_maps.check_bias_lookup(None)
