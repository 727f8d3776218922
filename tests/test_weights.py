"""Weight compatibility: timm, torchvision and official checkpoints give the same logits in swin_edu."""

import pytest
import timm
import torch
import torchvision
from official import official_attn_mask, official_relative_position_index, official_resize
from timm.models.swin_transformer import checkpoint_filter_fn

from swin_edu import SwinTransformer, convert_state_dict, load_pretrained, swin_s, swin_t
from swin_edu.weights import detect_source


def randomise_bias_tables(model: torch.nn.Module) -> torch.nn.Module:
    """Give every relative position bias table large random values, so that a wrong lookup shows in the logits."""
    for name, parameter in model.named_parameters():
        if name.endswith("relative_position_bias_table"):
            torch.nn.init.normal_(parameter, std=1.0)
    return model.eval()


@pytest.fixture(scope="module")
def timm_model():
    torch.manual_seed(1)
    return randomise_bias_tables(timm.create_model("swin_tiny_patch4_window7_224"))


@pytest.fixture(scope="module")
def torchvision_model():
    torch.manual_seed(2)
    return randomise_bias_tables(torchvision.models.swin_t())


def max_difference(a: torch.nn.Module, b: torch.nn.Module, images: torch.Tensor) -> float:
    with torch.no_grad():
        return (a(images) - b(images)).abs().max().item()


def test_timm_weights_give_timm_logits(timm_model):
    model = swin_t().eval()
    model.load_state_dict(convert_state_dict(timm_model.state_dict(), "timm"), strict=True)
    assert max_difference(model, timm_model, torch.randn(2, 3, 224, 224)) <= 1e-4


@pytest.mark.parametrize("height, width", [(224, 224), (250, 190), (100, 300)])
def test_torchvision_weights_give_torchvision_logits(torchvision_model, height, width):
    model = swin_t().eval()
    model.load_state_dict(convert_state_dict(torchvision_model.state_dict(), "torchvision"), strict=True)
    assert max_difference(model, torchvision_model, torch.randn(2, 3, height, width)) <= 1e-4


def test_our_weights_load_into_timm_through_its_official_converter():
    model = randomise_bias_tables(swin_t())
    reference = timm.create_model("swin_tiny_patch4_window7_224").eval()
    reference.load_state_dict(checkpoint_filter_fn(model.state_dict(), reference), strict=True)
    assert max_difference(model, reference, torch.randn(2, 3, 224, 224)) <= 1e-4


def test_load_pretrained_detects_the_source_from_files(tmp_path, timm_model, torchvision_model):
    official = randomise_bias_tables(swin_t())
    for name, reference in [("timm", timm_model), ("torchvision", torchvision_model), ("official", official)]:
        path = tmp_path / f"{name}.pth"
        torch.save({"model": reference.state_dict()}, path)  # wrapped, as training checkpoints are
        model = swin_t().eval()
        assert load_pretrained(model, path) == name
        assert max_difference(model, reference, torch.randn(1, 3, 224, 224)) <= 1e-4


def test_another_variant_is_refused_with_the_keys_that_disagree():
    with torch.device("meta"):
        small_weights = swin_s(num_classes=10).state_dict()
    with pytest.raises(ValueError) as error:
        load_pretrained(swin_t(), small_weights)
    message = str(error.value)
    assert "head.weight: checkpoint (10, 768), model (1000, 768)" in message
    assert "layers.2.blocks.6.norm1.weight" in message  # Swin-S has 18 blocks in stage 3, Swin-T 6


def test_a_truncated_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "weights.pth"
    torch.save(swin_t().state_dict(), path)
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(ValueError, match="cannot read weights from .*weights.pth"):
        load_pretrained(swin_t(), path)


def test_unknown_sources_are_refused():
    with pytest.raises(ValueError, match="source must be one of"):
        convert_state_dict({}, "keras")
    with pytest.raises(ValueError, match="cannot tell"):
        detect_source({"conv.weight": torch.zeros(1)})


# ---------------------------------------------------------------------------------------- official-format files


def official_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s weights with the buffers the official code saves beside them, under the official names.

    Every block has ``attn.relative_position_index``; a shifted block (odd index) whose feature map is larger than
    a window has ``attn_mask`` (the official code stops shifting, and has no mask, when one window covers it).
    """
    config = model.config
    state_dict = dict(model.state_dict())
    side = config.img_size // config.patch_size
    for stage, depth in enumerate(config.depths):
        for block in range(depth):
            window = min(config.window_size, side)
            state_dict[f"layers.{stage}.blocks.{block}.attn.relative_position_index"] = (
                official_relative_position_index(window)
            )
            if block % 2 == 1 and side > config.window_size:
                state_dict[f"layers.{stage}.blocks.{block}.attn_mask"] = official_attn_mask(
                    side, side, window, window // 2
                )
        side //= 2
    return state_dict


@pytest.fixture(scope="module")
def official_swin_t_file(tmp_path_factory) -> tuple:
    """A Swin-T at 224 / M = 7 with random bias tables, saved as the official code saves it: ``{"model": ...}``."""
    torch.manual_seed(3)
    model = randomise_bias_tables(swin_t())
    path = tmp_path_factory.mktemp("official") / "swin_tiny_patch4_window7_224.pth"
    torch.save({"model": official_state_dict(model)}, path)
    return model, path


def test_an_official_file_with_its_persistent_buffers_loads_and_gives_its_logits(official_swin_t_file):
    reference, path = official_swin_t_file
    saved = torch.load(path, weights_only=True)["model"]
    assert saved["layers.0.blocks.1.attn_mask"].shape == (64, 49, 49)  # what the official file holds
    assert saved["layers.3.blocks.0.attn.relative_position_index"].shape == (49, 49)
    assert "layers.3.blocks.1.attn_mask" not in saved  # 7 x 7 in stage 4: no shift, no mask
    model = swin_t().eval()
    assert load_pretrained(model, path) == "official"
    assert max_difference(model, reference, torch.randn(1, 3, 224, 224)) <= 1e-5


def test_a_224_window_7_file_loads_into_a_384_window_12_model_in_one_call(official_swin_t_file):
    reference, path = official_swin_t_file
    model = swin_t(img_size=384, window_size=12)
    assert load_pretrained(model, path) == "official"
    loaded, original = model.state_dict(), reference.state_dict()
    tables = [key for key in original if key.endswith("relative_position_bias_table")]
    assert len(tables) == 12
    for key in tables:
        assert loaded[key].shape == (23 * 23, original[key].shape[1])
        torch.testing.assert_close(loaded[key], official_resize(original[key], 12), atol=1e-6, rtol=1e-6)
    for key in set(original) - set(tables):
        assert torch.equal(loaded[key], original[key]), key
    with torch.no_grad():  # and it runs at 384: stage 4 is one 12 x 12 window
        assert model.eval()(torch.randn(1, 3, 384, 384)).shape == (1, 1000)


def test_the_window_change_keeps_rows_as_dy_and_columns_as_dx():
    """A head whose bias depends on dy alone still does after the resize, and one of dx alone too (no transpose)."""
    dy, dx = torch.meshgrid(torch.arange(-6, 7.0), torch.arange(-6, 7.0), indexing="ij")  # 13 x 13 offsets
    table = torch.stack([dy, dx], -1).flatten(0, 1)  # (169, 2): head 0 reads dy, head 1 reads dx
    model = SwinTransformer(img_size=96, embed_dim=8, depths=(2,), num_heads=(2,), window_size=12, num_classes=0)
    weights = dict(model.state_dict())
    weights["layers.0.blocks.0.attn.relative_position_bias_table"] = table
    load_pretrained(model, weights)
    resized = model.layers[0].blocks[0].attn.relative_position_bias_table.detach().view(23, 23, 2)  # (dy, dx, head)
    by_dy, by_dx = resized[..., 0], resized[..., 1]
    torch.testing.assert_close(by_dy, by_dy[:, :1].expand(23, 23))  # constant along dx
    torch.testing.assert_close(by_dx, by_dx[:1, :].expand(23, 23))  # constant along dy
    torch.testing.assert_close(by_dy[:, 0], by_dx[0, :])  # the same profile, on the other axis
    assert (by_dy[1:, 0] > by_dy[:-1, 0]).all() and abs(by_dy[11, 0]) < 1e-6  # rising through 0 at offset 0


# ------------------------------------------------------------------------- DDP and torch.compile checkpoints


@pytest.mark.parametrize("wrap", ["data_parallel", "compile", "data_parallel+compile", "compile+data_parallel"])
def test_prefixed_state_dicts_of_wrapped_models_load(make_tiny_model, wrap):
    """``module.`` (DataParallel, DistributedDataParallel) and ``_orig_mod.`` (torch.compile), in either order."""
    reference = randomise_bias_tables(make_tiny_model(num_classes=10))
    wrapped = reference
    for step in wrap.split("+"):
        wrapped = torch.nn.DataParallel(wrapped) if step == "data_parallel" else torch.compile(wrapped)
    state_dict = wrapped.state_dict()  # the names a training script saves
    expected_prefix = {"data_parallel": "module.", "compile": "_orig_mod."}
    assert next(iter(state_dict)).startswith("".join(expected_prefix[s] for s in reversed(wrap.split("+"))))
    model = make_tiny_model(num_classes=10)
    assert load_pretrained(model, {"model": state_dict}) == "official"
    assert max_difference(model, reference, torch.randn(2, 3, 112, 112)) == 0


# ------------------------------------------------------------------------------ a new head: other classes


def test_a_head_of_another_size_is_refused_with_the_way_to_fine_tune(make_tiny_model):
    weights = make_tiny_model(num_classes=1000).state_dict()
    with pytest.raises(ValueError, match=r"head.weight: checkpoint \(1000, 64\), model \(10, 64\)") as error:
        load_pretrained(make_tiny_model(num_classes=10), weights)
    assert "new_head=True" in str(error.value)


@pytest.mark.parametrize("num_classes", [10, 0])
def test_new_head_loads_everything_but_the_head(make_tiny_model, num_classes):
    pretrained = randomise_bias_tables(make_tiny_model(num_classes=1000))
    model = make_tiny_model(num_classes=num_classes)
    fresh_head = {key: value.clone() for key, value in model.head.state_dict().items()}
    assert load_pretrained(model, pretrained.state_dict(), new_head=True) == "official"
    loaded, original = model.state_dict(), pretrained.state_dict()
    for key in loaded:
        if not key.startswith("head."):
            assert torch.equal(loaded[key], original[key]), key
    for key, value in model.head.state_dict().items():
        assert torch.equal(value, fresh_head[key]), f"head.{key} must keep its fresh initialisation"
    images = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        assert torch.equal(model.forward_features(images), pretrained.forward_features(images))


# ----------------------------------------------------------------------- what cannot be loaded, and why


@pytest.mark.parametrize("build", [lambda: timm.create_model("swinv2_tiny_window8_256"), torchvision.models.swin_v2_t])
def test_a_swin_v2_checkpoint_is_named_and_refused(build, tiny_model):
    with torch.device("meta"):
        weights = build().state_dict()
    with pytest.raises(ValueError, match="Swin Transformer V2 checkpoint .* V2 is not supported"):
        load_pretrained(tiny_model, weights)


def test_an_unknown_layout_names_what_it_saw(tiny_model):
    with torch.device("meta"):
        weights = torchvision.models.resnet18().state_dict()
    with pytest.raises(ValueError, match=r"cannot tell .* got 122 keys like \['bn1.bias', 'bn1.num_batches_tracked'"):
        load_pretrained(tiny_model, weights)


class Settings:  # stands for the config object that official training checkpoints pickle beside the weights
    epochs = 300


@pytest.mark.parametrize(
    "content, says",
    [
        (b"", "not a complete file written by torch.save"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "not a file written by torch.save"),
        (b"model: swin_t\nlayers: 4\n", "not a file written by torch.save"),
        ([1, 2, 3], "expected a state dict .* got list"),
        (torch.zeros(3), "expected a state dict .* got Tensor"),
        ({"epoch": 3, "optimizer": {}}, r"found 2 entries: 'epoch' \(int\), 'optimizer' \(dict\)"),
        ({}, "found 0 entries"),
        ({0: torch.zeros(1)}, r"found 1 entries: 0 \(Tensor\)"),
        ({"model": {}, "config": Settings()}, r"holds a test_weights.Settings object.*weights_only=False"),
    ],
    ids=["empty", "png", "text", "list", "tensor", "no weights", "empty dict", "numbered", "pickled object"],
)
def test_a_file_that_is_not_a_checkpoint_gets_a_clear_error(tmp_path, tiny_model, content, says):
    path = tmp_path / "weights.pth"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(ValueError, match=says):
        load_pretrained(tiny_model, path)


def test_a_folder_or_a_missing_file_gets_a_clear_error(tmp_path, tiny_model):
    with pytest.raises(ValueError, match="it is a folder"):
        load_pretrained(tiny_model, tmp_path)
    with pytest.raises(FileNotFoundError, match="no weights file at .*missing.pth"):
        load_pretrained(tiny_model, tmp_path / "missing.pth")


def test_a_model_built_on_the_meta_device_takes_the_weights(tmp_path, make_tiny_model):
    reference = randomise_bias_tables(make_tiny_model(num_classes=10))
    torch.save({"model": official_state_dict(reference)}, tmp_path / "weights.pth")
    with torch.device("meta"):
        model = make_tiny_model(num_classes=10)
    load_pretrained(model, tmp_path / "weights.pth")
    assert not any(tensor.is_meta for tensor in [*model.parameters(), *model.buffers()])
    assert all(parameter.requires_grad for parameter in model.parameters())
    assert max_difference(model, reference, torch.randn(2, 3, 112, 112)) == 0
    with torch.device("meta"), pytest.raises(ValueError, match="meta device, so it has no head to keep"):
        load_pretrained(make_tiny_model(num_classes=5), reference.state_dict(), new_head=True)
