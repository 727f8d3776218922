"""The whole model: shapes, any input size, the feature pyramid, parameters and FLOPs (paper Table 1), bad input."""

import copy

import pytest
import timm
import torch

from swin_edu import SwinConfig, SwinTransformer, swin_b, swin_l, swin_s, swin_t
from swin_edu.complexity import count_flops
from swin_edu.position import relative_position_index


@pytest.fixture(scope="module")
def swin_t_model() -> SwinTransformer:
    return swin_t().eval()


def test_logits_and_stage_outputs(swin_t_model):
    images = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert swin_t_model(images).shape == (2, 1000)
        stages = swin_t_model.forward_stages(images)
        pyramid = swin_t_model.feature_pyramid(images)
    assert [tuple(s.shape) for s in stages] == [(2, 56, 56, 96), (2, 28, 28, 192), (2, 14, 14, 384), (2, 7, 7, 768)]
    assert [tuple(p.shape) for p in pyramid] == [(2, 96, 56, 56), (2, 192, 28, 28), (2, 384, 14, 14), (2, 768, 7, 7)]


@pytest.mark.parametrize("height, width", [(256, 320), (230, 190), (64, 64), (32, 96)])
def test_any_input_size(swin_t_model, height, width):
    with torch.no_grad():
        assert swin_t_model(torch.randn(1, 3, height, width)).shape == (1, 1000)


def test_keyword_overrides():
    model = swin_t(
        num_classes=10,
        embed_dim=48,
        depths=(2, 2),
        num_heads=(3, 6),
        window_size=4,
        patch_size=2,
        in_chans=1,
        drop_path_rate=0.1,
    )
    assert model.config.depths == (2, 2) and len(model.layers) == 2
    assert model(torch.randn(2, 1, 32, 32)).shape == (2, 10)
    assert model.layers[1].blocks[1].drop_path.drop_prob == pytest.approx(0.1)
    assert swin_b(img_size=384, window_size=12).layers[0].blocks[0].attn.relative_position_bias_table.shape == (
        23**2,
        4,
    )
    assert isinstance(swin_t(num_classes=0).head, torch.nn.Identity)


def test_state_dict_uses_the_official_layout(swin_t_model):
    keys = set(swin_t_model.state_dict())
    for key in [
        "patch_embed.proj.weight",
        "patch_embed.norm.weight",
        "layers.0.blocks.1.attn.relative_position_bias_table",
        "layers.0.blocks.0.attn.qkv.weight",
        "layers.2.blocks.5.mlp.fc2.bias",
        "layers.0.downsample.reduction.weight",
        "layers.2.downsample.norm.bias",
        "norm.weight",
        "head.weight",
    ]:
        assert key in keys, key
    assert not any(key.endswith(("relative_position_index", "attn_mask")) for key in keys)  # buffers rebuilt, not saved
    assert not any(key.startswith("layers.3.downsample") for key in keys)


def test_parameter_counts_equal_timm_and_the_paper():
    assert sum(p.numel() for p in swin_t().parameters()) == 28_288_354
    timm_count = sum(p.numel() for p in timm.create_model("swin_tiny_patch4_window7_224").parameters())
    assert timm_count == 28_288_354
    with torch.device("meta"):  # shapes only: no memory, no time
        for factory, millions in [(swin_s, 50), (swin_b, 88), (swin_l, 197)]:
            assert round(sum(p.numel() for p in factory().parameters()) / 1e6) == millions


@pytest.mark.parametrize(
    "factory, size, window, gmacs",
    [
        (swin_t, 224, 7, 4.5),
        (swin_s, 224, 7, 8.7),
        (swin_b, 224, 7, 15.4),
        (swin_l, 224, 7, 34.5),
        (swin_b, 384, 12, 47.1),
        (swin_l, 384, 12, 103.9),
    ],
)
def test_flops_match_the_paper(factory, size, window, gmacs):
    with torch.device("meta"):  # the counter needs shapes only
        model = factory(img_size=size, window_size=window)
        images = torch.empty(1, 3, size, size)
    # the counter counts 2 FLOPs per multiply-add; the paper counts multiply-adds
    assert round(count_flops(model, images) / 2 / 1e9, 1) == gmacs


def test_bad_input_says_what_was_expected(swin_t_model):
    with pytest.raises(ValueError, match=r"\(batch, 3, height, width\).*3-D"):
        swin_t_model(torch.randn(3, 224, 224))
    with pytest.raises(ValueError, match="1 channels"):
        swin_t_model(torch.randn(1, 1, 224, 224))
    with pytest.raises(ValueError, match="2x224 pixels"):
        swin_t_model(torch.randn(1, 3, 2, 224))


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="one entry per stage"):
        SwinConfig(depths=(2, 2, 6), num_heads=(3, 6, 12, 24))
    with pytest.raises(ValueError, match="cannot be split"):
        SwinConfig(embed_dim=100)
    with pytest.raises(TypeError):
        swin_t(no_such_setting=1)


def strong_bias(model: SwinTransformer) -> SwinTransformer:
    """Bias tables with std 1, so that the bias and the shift mask visibly shape the attention."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("relative_position_bias_table"):
                parameter.normal_(std=1.0)
    return model


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("sizes", [(112, 160), (160, 112)])  # two sizes, in both orders: the mask cache sees both
def test_a_model_cast_to_half_precision_runs_in_every_mode(make_tiny_model, dtype, sizes):
    reference = strong_bias(make_tiny_model(drop_path_rate=0.0))  # fp32; no stochastic depth: train == eval
    model = copy.deepcopy(reference).to(dtype)  # a cast, not autocast: every parameter in half precision
    tolerance = 0.05 if dtype == torch.bfloat16 else 0.01
    shifted = 1  # the second block of every stage uses SW-MSA
    for size in sizes:
        images = torch.randn(2, 3, size, size)
        with torch.no_grad():
            expected = reference(images)  # (2, 64) features
            tokens = reference.layers[0].blocks[0](reference.patch_embed(images))  # (2, size/4, size/4, 8)
            _, expected_probs = reference.layers[0].blocks[shifted].window_attention(tokens, return_attention=True)
        for training in (False, True):
            model.train(training)
            for grad in (False, True):  # without a gradient the CPU takes the fused path, with one the explicit
                with torch.set_grad_enabled(grad):
                    features = model(images.to(dtype))
                    block = model.layers[0].blocks[shifted]
                    out, probs = block.window_attention(tokens.to(dtype), return_attention=True)
                assert features.dtype == out.dtype == probs.dtype == dtype, (size, training, grad)
                assert torch.allclose(features.float(), expected, atol=tolerance * expected.abs().max())
                assert torch.allclose(probs.float(), expected_probs, atol=tolerance)


@pytest.mark.parametrize("how", ["to_empty", "assign"])
def test_a_model_built_on_the_meta_device_loads_and_gives_the_same_logits(make_tiny_model, how):
    reference = make_tiny_model(num_classes=10)
    state = reference.state_dict()
    with torch.device("meta"):  # no memory and no initialisation: the way to build a large model before loading
        model = SwinTransformer(reference.config)
    if how == "to_empty":
        model.to_empty(device="cpu")  # uninitialised memory for every parameter and buffer
        model.load_state_dict(state)
    else:
        model.load_state_dict(state, assign=True)  # the loaded tensors become the parameters
    model.eval()
    images = torch.randn(2, 3, 112, 112)
    assert torch.equal(model(images), reference(images))
    for module in model.modules():
        if hasattr(module, "relative_position_index"):
            assert torch.equal(module.relative_position_index, relative_position_index(module.window_size))


def test_the_derived_index_is_rebuilt_after_to_empty_alone():
    with torch.device("meta"):
        model = SwinTransformer(SwinConfig(img_size=56, embed_dim=8, depths=(2,), num_heads=(1,), window_size=4))
    model.to_empty(device="cpu")
    index = model.layers[0].blocks[0].attn.relative_position_index
    assert index.device.type == "cpu" and torch.equal(index, relative_position_index(4))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64, torch.bool])
def test_integer_images_are_refused_with_what_was_expected(swin_t_model, dtype):
    with pytest.raises(ValueError, match=rf"floating-point images \(batch, 3, height, width\).*got {dtype}"):
        swin_t_model(torch.zeros(1, 3, 224, 224, dtype=dtype))


def test_every_parameter_receives_a_gradient(make_tiny_model):
    model = strong_bias(make_tiny_model(num_classes=10, drop_path_rate=0.0)).train()
    images, labels = torch.randn(4, 3, 112, 112), torch.arange(4)
    torch.nn.functional.cross_entropy(model(images), labels).backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().max() > 0]
    assert not missing
    assert len(list(model.parameters())) > 100  # every block, merging layer and norm was checked


def test_images_in_another_dtype_than_the_model_are_refused_clearly(make_tiny_model):
    model = make_tiny_model().to(torch.bfloat16)
    with pytest.raises(ValueError, match=r"model's dtype torch.bfloat16; got torch.float32"):
        model(torch.randn(1, 3, 112, 112))
    with torch.autocast("cpu", dtype=torch.bfloat16):  # autocast casts the inputs itself: allowed
        assert model(torch.randn(1, 3, 112, 112)).dtype == torch.bfloat16
