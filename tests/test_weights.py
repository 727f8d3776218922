"""Weight compatibility: timm, torchvision and official checkpoints give the same logits in swin_edu."""

import pytest
import timm
import torch
import torchvision
from timm.models.swin_transformer import checkpoint_filter_fn

from swin_edu import convert_state_dict, load_pretrained, swin_s, swin_t
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
